"""Orders with everything they are made of. A changed order's child rows are rebuilt; their ids are
derived from the order and the upstream's line/refund ids, so what points at them keeps pointing.
Refunds are their own records (keyed by the upstream refund id) and announce themselves once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.canonical import records as rec
from ledgerlink.canonical.external_refs import Outcome, payload_hash
from ledgerlink.db.copy import insert_rows, insert_tuples
from ledgerlink.events import EventRow, emit_many, event_row
from ledgerlink.ids import derived_id, new_id
from ledgerlink.models import Order, OrderAddress, OrderDiscount, OrderLine, OrderShippingLine, OrderTaxLine, Refund
from ledgerlink.sync.context import Item, LoadContext, LoadResult
from ledgerlink.sync.order_rows import (
    CHILD_ROWS,
    AddressRow,
    DiscountRow,
    LineRow,
    RefundLineRow,
    RefundRow,
    ShippingLineRow,
    TaxLineRow,
)
from ledgerlink.sync.refs import RefItem, decide, link, lookup
from ledgerlink.sync.rows import delete_where_in, in_list, upsert
from ledgerlink.sync.write_catalog import skus_in_workspace
from ledgerlink.sync.write_customers import write_customers

CHILD_TABLES = (OrderTaxLine, OrderDiscount, OrderShippingLine, OrderAddress, OrderLine)


class _Rows:
    """The child rows of one page's orders, gathered to be written in one COPY per table."""

    def __init__(self, ctx: LoadContext) -> None:
        self.workspace_id = ctx.workspace_id
        self.of_type: dict[Any, list[Any]] = {row_type: [] for row_type, _ in CHILD_ROWS}

    def add(self, row: Any) -> None:
        self.of_type[type(row)].append(row)

    def taxes(self, order_id: str, owner: str, tax_lines: tuple[rec.TaxLine, ...], **target: str) -> None:
        for n, t in enumerate(tax_lines):
            self.add(
                TaxLineRow(
                    id=derived_id("tax", order_id, owner, str(n)),
                    workspace_id=self.workspace_id,
                    order_id=order_id,
                    order_line_id=target.get("line"),
                    shipping_line_id=target.get("shipping"),
                    title=t.title,
                    rate=t.rate,
                    amount=t.amount,
                    presentment_amount=t.presentment_amount,
                    price_includes_tax=t.price_includes_tax,
                    position=n,
                )
            )


def _order_row(ctx: LoadContext, order_id: str, o: rec.Order, customer_id: str | None) -> dict[str, Any]:
    return {
        "id": order_id,
        "workspace_id": ctx.workspace_id,
        "integration_id": ctx.integration_id,
        "customer_id": customer_id,
        "number": o.number,
        "email": o.email,
        "status": o.status,
        "financial_status": o.financial_status,
        "fulfillment_status": o.fulfillment_status,
        "currency": o.currency,
        "presentment_currency": o.presentment_currency,
        "exchange_rate": o.exchange_rate,
        "taxes_included": o.taxes_included,
        "subtotal_amount": o.subtotal,
        "subtotal_presentment_amount": o.subtotal_presentment,
        "discount_amount": o.discount,
        "discount_presentment_amount": o.discount_presentment,
        "shipping_amount": o.shipping,
        "shipping_presentment_amount": o.shipping_presentment,
        "tax_amount": o.tax,
        "tax_presentment_amount": o.tax_presentment,
        "total_amount": o.total,
        "total_presentment_amount": o.total_presentment,
        "placed_at": o.placed_at,
        "closed_at": o.closed_at,
        "cancelled_at": o.cancelled_at,
        "cancel_reason": o.cancel_reason,
        "note": o.note,
        "tags": list(o.tags),
        "attributes": dict(o.attributes),
    }


def _children(
    rows: _Rows, order_id: str, o: rec.Order, variant_ids: dict[str, str], refund_ids: dict[str, str]
) -> None:
    workspace_id = rows.workspace_id
    line_ids: dict[str, str] = {}
    for n, line in enumerate(o.lines):
        line_id = derived_id("oli", order_id, line.external_id)
        line_ids[line.external_id] = line_id
        variant_id = variant_ids.get(line.variant_external_id or "") or variant_ids.get(f"sku:{line.sku}")
        rows.add(
            LineRow(
                id=line_id,
                workspace_id=workspace_id,
                order_id=order_id,
                variant_id=variant_id,
                sku=line.sku,
                title=line.title,
                variant_title=line.variant_title,
                quantity=line.quantity,
                unit_price_amount=line.unit_price,
                unit_price_presentment_amount=line.unit_price_presentment,
                discount_amount=line.discount,
                discount_presentment_amount=line.discount_presentment,
                taxable=line.taxable,
                requires_shipping=line.requires_shipping,
                position=n,
                attributes=dict(line.attributes),
            )
        )
        rows.taxes(order_id, f"line:{line.external_id}", line.tax_lines, line=line_id)
    for n, ship in enumerate(o.shipping_lines):
        ship_id = derived_id("shl", order_id, str(n))
        rows.add(
            ShippingLineRow(
                id=ship_id,
                workspace_id=workspace_id,
                order_id=order_id,
                title=ship.title,
                code=ship.code,
                carrier=ship.carrier,
                amount=ship.amount,
                presentment_amount=ship.presentment_amount,
                discount_amount=ship.discount,
                discount_presentment_amount=ship.discount_presentment,
                position=n,
            )
        )
        rows.taxes(order_id, f"shipping:{n}", ship.tax_lines, shipping=ship_id)
    rows.taxes(order_id, "order", o.tax_lines)
    for n, d in enumerate(o.discounts):
        rows.add(
            DiscountRow(
                id=derived_id("dsc", order_id, str(n)),
                workspace_id=workspace_id,
                order_id=order_id,
                kind=d.kind,
                code=d.code,
                title=d.title,
                target=d.target,
                value_type=d.value_type,
                value=d.value,
                amount=d.amount,
                presentment_amount=d.presentment_amount,
                position=n,
            )
        )
    for kind, address in (("billing", o.billing_address), ("shipping", o.shipping_address)):
        if address is not None:
            rows.add(
                AddressRow(
                    id=derived_id("adr", order_id, kind),
                    workspace_id=workspace_id,
                    order_id=order_id,
                    kind=kind,
                    name=address.name,
                    company=address.company,
                    line1=address.line1,
                    line2=address.line2,
                    city=address.city,
                    region=address.region,
                    region_code=address.region_code,
                    postal_code=address.postal_code,
                    country_code=address.country_code,
                    phone=address.phone,
                )
            )
    for refund in o.refunds:
        refund_id = refund_ids[refund.external_id]
        rows.add(
            RefundRow(
                id=refund_id,
                workspace_id=workspace_id,
                order_id=order_id,
                reason=refund.reason,
                note=refund.note,
                amount=refund.amount,
                presentment_amount=refund.presentment_amount,
                shipping_amount=refund.shipping_amount,
                shipping_presentment_amount=refund.shipping_presentment_amount,
                shipping_tax_amount=refund.shipping_tax_amount,
                shipping_tax_presentment_amount=refund.shipping_tax_presentment_amount,
                processed_at=refund.processed_at,
            )
        )
        for n, rl in enumerate(refund.lines):
            line_id = line_ids.get(rl.line_external_id or "")
            if line_id is None:
                continue  # a refund of something that is not a line (a fee, an adjustment): kept in the total
            rows.add(
                RefundLineRow(
                    id=derived_id("rfl", refund_id, str(n)),
                    workspace_id=workspace_id,
                    refund_id=refund_id,
                    order_line_id=line_id,
                    quantity=rl.quantity,
                    amount=rl.amount,
                    presentment_amount=rl.presentment_amount,
                    tax_amount=rl.tax_amount,
                    tax_presentment_amount=rl.tax_presentment_amount,
                    restock_type=rl.restock_type,
                )
            )


async def _customers(session: AsyncSession, ctx: LoadContext, orders: list[rec.Order]) -> dict[str, str]:
    """external customer id -> canonical id: embedded customers are upserted, referenced ones looked up."""
    embedded = {o.customer.external_id: o.customer for o in orders if o.customer is not None}
    mapping: dict[str, str] = {}
    if embedded:
        items = [Item(ext, c, payload_hash(c.model_dump(mode="json")), c.updated_at) for ext, c in embedded.items()]
        _, mapping = await write_customers(session, ctx, items)
    referenced = [
        o.customer_external_id for o in orders if o.customer_external_id and o.customer_external_id not in mapping
    ]
    mapping.update(await lookup(session, ctx.scope("customer"), referenced))
    return mapping


async def _variants(session: AsyncSession, ctx: LoadContext, orders: list[rec.Order]) -> dict[str, str]:
    """variant external id (or "sku:X") -> canonical variant id, for linking lines to the catalogue."""
    lines = [line for o in orders for line in o.lines]
    found = await lookup(
        session, ctx.scope("variant"), [ln.variant_external_id for ln in lines if ln.variant_external_id]
    )
    # A line is linked by SKU only when its own variant is not known (see _children): ask for those.
    unlinked = [ln.sku for ln in lines if ln.sku and not found.get(ln.variant_external_id or "")]
    by_sku = await skus_in_workspace(session, ctx.workspace_id, unlinked)
    found.update({f"sku:{sku}": ids[0] for sku, ids in by_sku.items()})
    return found


async def write_orders(session: AsyncSession, ctx: LoadContext, items: list[Item]) -> LoadResult:
    result = LoadResult()
    decisions = await decide(
        session,
        ctx.scope("order"),
        [RefItem(i.external_id, i.updated_at, i.payload_hash) for i in items],
        lambda _ext: new_id("ord"),
    )
    writing = [(i, decisions[i.external_id]) for i in items if i.external_id in decisions]
    for _, decision in writing:
        result.count(decision.outcome)
    writing = [(i, d) for i, d in writing if d.writes]
    if not writing:
        return result
    orders: list[rec.Order] = [i.record for i, _ in writing]
    customer_ids = await _customers(session, ctx, orders)
    variant_ids = await _variants(session, ctx, orders)
    # Only an order stored before has a status to change from (a first sync asks nothing here).
    updated_ids = [d.canonical_id for _, d in writing if d.outcome is Outcome.UPDATED]
    previous_status = (
        {
            row.id: row.status
            for row in await session.execute(
                select(Order.id, Order.status).where(in_list(Order.id)), {"values": updated_ids}
            )
        }
        if updated_ids
        else {}
    )
    refund_scope = ctx.scope("refund")
    known_refunds = await lookup(session, refund_scope, [r.external_id for o in orders for r in o.refunds])
    refund_ids = {
        r.external_id: known_refunds.get(r.external_id) or derived_id("rfd", ctx.integration_id, r.external_id)
        for o in orders
        for r in o.refunds
    }

    # Rebuild the children of changed orders: refunds (and their lines, by cascade) first.
    await delete_where_in(session, Refund.__table__, "order_id", updated_ids)
    for table in CHILD_TABLES:
        await delete_where_in(session, table.__table__, "order_id", updated_ids)

    rows = _Rows(ctx)
    new_rows, changed_rows, events = [], [], []
    for item, decision in writing:
        order: rec.Order = item.record
        customer_id = customer_ids.get(
            order.customer_external_id or (order.customer.external_id if order.customer else "")
        )
        row = _order_row(ctx, decision.canonical_id, order, customer_id)
        (new_rows if decision.outcome is Outcome.CREATED else changed_rows).append(row)
        _children(rows, decision.canonical_id, order, variant_ids, refund_ids)
        events.extend(
            _order_events(ctx, decision, item, previous_status.get(decision.canonical_id), known_refunds, refund_ids)
        )
    # A created order's id was minted by this page's ref insert, which only one writer wins: nothing
    # can conflict with it, so it goes straight in; changed orders are upserted.
    await insert_rows(session, Order.__table__, new_rows)
    await upsert(session, Order.__table__, changed_rows)
    for row_type, model in CHILD_ROWS:
        await insert_tuples(session, model.__table__, row_type._fields, rows.of_type[row_type])
    await link(session, refund_scope, {ext: rid for ext, rid in refund_ids.items() if ext not in known_refunds})
    await emit_many(session, events)
    return result


def _order_events(
    ctx: LoadContext,
    decision: Any,
    item: Item,
    before: str | None,
    known_refunds: dict[str, str],
    refund_ids: dict[str, str],
) -> list[EventRow]:
    order: rec.Order = item.record
    data = {
        "orderId": decision.canonical_id,
        "externalId": item.external_id,
        "orderNumber": order.number,
        "status": order.status,
        "financialStatus": order.financial_status,
        "currency": order.currency,
        "totalMinor": order.total,
    }

    def event(kind: str, payload: dict[str, Any], subject: str) -> EventRow:
        return event_row(
            workspace_id=ctx.workspace_id,
            type=kind,
            source=ctx.provider,
            integration_id=ctx.integration_id,
            subject_id=subject,
            data=payload,
        )

    kind = "order.created" if decision.outcome is Outcome.CREATED else "order.updated"
    events = [event(kind, data, decision.canonical_id)]
    if order.status == "cancelled" and before not in (None, "cancelled"):  # a transition, not a first sighting
        events.append(event("order.cancelled", data, decision.canonical_id))
    for refund in order.refunds:
        if refund.external_id not in known_refunds:
            rid = refund_ids[refund.external_id]
            events.append(
                event(
                    "refund.created",
                    {
                        "refundId": rid,
                        "orderId": decision.canonical_id,
                        "externalId": refund.external_id,
                        "amountMinor": refund.amount,
                        "currency": order.currency,
                    },
                    rid,
                )
            )
    return events
