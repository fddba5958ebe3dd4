"""Customers (and locations, which load the same way): upsert by external reference, emit events."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.canonical import records as rec
from ledgerlink.canonical.external_refs import Outcome
from ledgerlink.events import emit_many, event_row
from ledgerlink.ids import new_id
from ledgerlink.models import Customer, Location
from ledgerlink.sync.context import Item, LoadContext, LoadResult
from ledgerlink.sync.refs import Decision, RefItem, decide
from ledgerlink.sync.rows import upsert


async def decide_items(
    session: AsyncSession, ctx: LoadContext, resource_type: str, items: list[Item], prefix: str
) -> dict[str, Decision]:
    return await decide(
        session,
        ctx.scope(resource_type),
        [RefItem(i.external_id, i.updated_at, i.payload_hash) for i in items],
        lambda _external_id: new_id(prefix),
    )


def customer_row(ctx: LoadContext, canonical_id: str, c: rec.Customer) -> dict[str, Any]:
    return {
        "id": canonical_id,
        "workspace_id": ctx.workspace_id,
        "email": c.email,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "company": c.company,
        "phone": c.phone,
        "currency": c.currency,
        "accepts_marketing": c.accepts_marketing,
        "tax_exempt": c.tax_exempt,
        "note": c.note,
        "tags": list(c.tags),
        "attributes": {},
    }


async def write_customers(
    session: AsyncSession, ctx: LoadContext, items: list[Item]
) -> tuple[LoadResult, dict[str, str]]:
    """Returns the counts and external id -> canonical id for every customer of the page."""
    result = LoadResult()
    decisions = await decide_items(session, ctx, "customer", items, "cus")
    rows, events = [], []
    for item in items:
        decision = decisions.get(item.external_id)
        if decision is None:
            continue
        result.count(decision.outcome)
        if decision.writes:
            rows.append(customer_row(ctx, decision.canonical_id, item.record))
            kind = "customer.created" if decision.outcome is Outcome.CREATED else "customer.updated"
            events.append(
                event_row(
                    workspace_id=ctx.workspace_id,
                    type=kind,
                    source=ctx.provider,
                    integration_id=ctx.integration_id,
                    subject_id=decision.canonical_id,
                    data={
                        "customerId": decision.canonical_id,
                        "externalId": item.external_id,
                        "email": item.record.email,
                    },
                )
            )
    await upsert(session, Customer.__table__, rows)
    await emit_many(session, events)
    return result, {ext: d.canonical_id for ext, d in decisions.items()}


def location_row(ctx: LoadContext, canonical_id: str, loc: rec.Location) -> dict[str, Any]:
    return {
        "id": canonical_id,
        "workspace_id": ctx.workspace_id,
        "name": loc.name,
        "kind": loc.kind or "warehouse",
        "active": loc.active,
        "country_code": loc.country_code,
        "attributes": {},
    }


async def write_locations(session: AsyncSession, ctx: LoadContext, items: list[Item]) -> LoadResult:
    result = LoadResult()
    decisions = await decide_items(session, ctx, "location", items, "loc")
    rows = []
    for item in items:
        decision = decisions.get(item.external_id)
        if decision is None:
            continue
        result.count(decision.outcome)
        if decision.writes:
            rows.append(location_row(ctx, decision.canonical_id, item.record))
    await upsert(session, Location.__table__, rows)
    return result
