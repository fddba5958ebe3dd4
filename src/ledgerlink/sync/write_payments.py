"""A processor's records: charges, refunds, chargebacks and payouts into `payments`, balance
transactions into `balance_entries`, what each payout paid out into `payout_items`.

Every record is decided through its external reference like any other (`refs.decide`), under the
integration's payment-writing lock, and written as `payment_rows` makes it; its links are then
resolved by `payment_links`. Changed records are written whole and their links resolved again.

Events: `payment.created` for a charge seen for the first time, in the page's transaction. A
processor's refund announces nothing: it is the money leg of a refund the shop's sync announces as
`refund.created`, and announcing both would tell subscribers about one refund twice. Chargebacks and
payouts have no event types of their own yet.

Totals: what each sync run's records count for (`payment_rows.tally_of`: charges' captured amounts,
processor fees) is added to `payment_sync_totals` with the page that counted them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.canonical.external_refs import Outcome
from ledgerlink.db.copy import insert_rows
from ledgerlink.events import emit_many, event_row
from ledgerlink.ids import derived_id, new_id
from ledgerlink.models import BalanceEntry, Payment, PaymentSyncTotal, PayoutItem
from ledgerlink.sync.context import Item, LoadContext, LoadResult
from ledgerlink.sync.payment_links import (
    link_entries,
    link_movements,
    link_orders,
    link_paid_out,
    link_waiting_children,
    serialise_writers,
)
from ledgerlink.sync.payment_rows import (
    Tally,
    balance_entry_row,
    charge_row,
    chargeback_row,
    distinct_items,
    payout_row,
    refund_row,
    tally_of,
)
from ledgerlink.sync.refs import Decision, RefItem, decide
from ledgerlink.sync.rows import delete_where_in, upsert

# --------------------------------------------------------------------------------------------------
# Totals


async def _record_totals(session: AsyncSession, ctx: LoadContext, items: list[Item]) -> None:
    if ctx.run_id is None:
        return  # a webhook or one-off load: no run to count for
    tally: Tally = defaultdict(lambda: [0, 0])
    for item in items:
        for key, (records, amount) in tally_of(item.record).items():
            tally[key][0] += records
            tally[key][1] += amount
    if not tally:
        return
    table = PaymentSyncTotal.__table__
    stmt = insert(table).values(
        [
            {
                "sync_run_id": ctx.run_id,
                "workspace_id": ctx.workspace_id,
                "measure": measure,
                "currency": currency,
                "records": records,
                "amount": amount,
            }
            for (measure, currency), (records, amount) in sorted(tally.items())
        ]
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["sync_run_id", "measure", "currency"],
            set_={"records": table.c.records + stmt.excluded.records, "amount": table.c.amount + stmt.excluded.amount},
        )
    )


# --------------------------------------------------------------------------------------------------
# Writers


async def _decide(
    session: AsyncSession, ctx: LoadContext, resource_type: str, items: list[Item]
) -> tuple[LoadResult, list[tuple[Item, Decision]]]:
    """Lock, decide, count; returns the items to write (one per external id, the page's last copy)."""
    await serialise_writers(session, [ctx.integration_id])
    result = LoadResult()
    decisions = await decide(
        session,
        ctx.scope(resource_type),
        [RefItem(i.external_id, i.updated_at, i.payload_hash, i.versioned) for i in items],
        lambda _ext: new_id("pay"),
    )
    last: dict[str, tuple[Item, Decision]] = {}
    for item in items:
        decision = decisions.get(item.external_id)
        if decision is not None:
            result.count(decision.outcome)
            last[item.external_id] = (item, decision)
    await _record_totals(session, ctx, [i for i in items if i.external_id in decisions])
    return result, [(i, d) for i, d in last.values() if d.writes]


async def _write_movements(
    session: AsyncSession,
    ctx: LoadContext,
    items: list[Item],
    resource_type: str,
    to_row: Callable[[Any], dict[str, Any]],
) -> tuple[LoadResult, list[tuple[Item, Decision]]]:
    result, writing = await _decide(session, ctx, resource_type, items)
    if not writing:
        return result, writing
    rows = [
        {
            "id": decision.canonical_id,
            "workspace_id": ctx.workspace_id,
            "integration_id": ctx.integration_id,
            "gateway": ctx.provider,
            "external_id": item.external_id,
            **to_row(item.record),
        }
        for item, decision in writing
    ]
    await upsert(session, Payment.__table__, rows)
    await link_movements(session, [row["id"] for row in rows])
    return result, writing


async def write_payments(session: AsyncSession, ctx: LoadContext, items: list[Item]) -> LoadResult:
    """Charges; then the refunds and chargebacks that were waiting for them; `payment.created` events."""
    result, writing = await _write_movements(session, ctx, items, "payment", charge_row)
    if not writing:
        return result
    linked = await link_orders(session, [d.canonical_id for _, d in writing])
    await link_waiting_children(session, ctx.integration_id, [i.external_id for i, _ in writing])
    await emit_many(
        session,
        [
            event_row(
                workspace_id=ctx.workspace_id,
                type="payment.created",
                source=ctx.provider,
                integration_id=ctx.integration_id,
                subject_id=decision.canonical_id,
                data={
                    "paymentId": decision.canonical_id,
                    "externalId": item.external_id,
                    "kind": "charge",
                    "status": item.record.status,
                    "amountMinor": item.record.amount,
                    "capturedMinor": item.record.captured_amount,
                    "currency": item.record.currency,
                    "orderId": linked.get(decision.canonical_id),
                    "occurredAt": item.record.occurred_at.isoformat(),
                },
            )
            for item, decision in writing
            if decision.outcome is Outcome.CREATED
        ],
    )
    return result


async def write_payment_refunds(session: AsyncSession, ctx: LoadContext, items: list[Item]) -> LoadResult:
    result, writing = await _write_movements(session, ctx, items, "payment_refund", refund_row)
    await link_orders(session, [d.canonical_id for _, d in writing])
    return result


async def write_chargebacks(session: AsyncSession, ctx: LoadContext, items: list[Item]) -> LoadResult:
    result, writing = await _write_movements(session, ctx, items, "chargeback", chargeback_row)
    await link_orders(session, [d.canonical_id for _, d in writing])
    return result


async def write_payouts(session: AsyncSession, ctx: LoadContext, items: list[Item]) -> LoadResult:
    """Payouts, and (where the payout lists them) the balance transactions each paid out."""
    result, writing = await _write_movements(session, ctx, items, "payout", payout_row)
    listed = [(item.record, d.canonical_id) for item, d in writing if item.record.items is not None]
    if not listed:
        return result
    payout_ids = [payout_id for _, payout_id in listed]
    await delete_where_in(session, PayoutItem.__table__, "payout_id", payout_ids)
    await insert_rows(
        session,
        PayoutItem.__table__,
        [
            {
                "id": derived_id("pay", payout_id, item.external_id),
                "workspace_id": ctx.workspace_id,
                "payout_id": payout_id,
                "integration_id": ctx.integration_id,
                "external_id": item.external_id,
                "kind": item.kind,
                "source_external_id": item.source_external_id,
                "amount": item.amount,
                "fee": item.fee,
                "net": item.net,
                "currency": item.currency,
                "position": n,
            }
            for payout, payout_id in listed
            for n, item in enumerate(distinct_items(payout))
        ],
    )
    await link_paid_out(session, payout_ids)
    return result


async def write_balance_entries(session: AsyncSession, ctx: LoadContext, items: list[Item]) -> LoadResult:
    result, writing = await _decide(session, ctx, "balance_entry", items)
    if not writing:
        return result
    rows = [
        {
            "id": decision.canonical_id,
            "workspace_id": ctx.workspace_id,
            "integration_id": ctx.integration_id,
            "external_id": item.external_id,
            **balance_entry_row(item.record),
        }
        for item, decision in writing
    ]
    await upsert(session, BalanceEntry.__table__, rows)
    await link_entries(session, [row["id"] for row in rows])
    return result
