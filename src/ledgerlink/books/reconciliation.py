"""Payout reconciliation from the stored processor records (migration 0007): each payout (a `payments`
row of kind payout) against the balance transactions it says it paid out (`payout_items`, as the
payout states them) and against what the processor's balance ledger recorded for those transactions
(`balance_entries`), through ledger/reconciliation.py.

Mismatches: `total` (the payout amount is not the sum of its items' nets), `amount` (an item's net
differs from the recorded balance transaction's), `not_recorded` (an item with no recorded balance
transaction: the balance sync has not seen it). The payout's own debit among its items is left out
of both sides. Not compared yet: the journal's clearing-account postings (an open point).

An Amazon settlement (a payout of a marketplace's integration, gateway.MARKETPLACES) is reconciled the
same way, with one difference on the books' side: a marketplace's balance ledger holds the fees of each
financial event (balance entries of kind fee, keyed as the settlement's items are), not its gross, which
is the order's. So an item is compared by the fees the books recorded for it (the books' net: the
item's gross less those fees), and an item that carries no fee has nothing to be recorded and matches
as it is. A settlement whose total is not its events' sum is the `total` mismatch, with the difference.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.books.gateway import MARKETPLACES
from ledgerlink.db.paging import fetch_page
from ledgerlink.ledger.inputs import Payout
from ledgerlink.ledger.reconciliation import Mismatch, PayoutItem, reconcile_payout
from ledgerlink.ledger.render import decimal_string
from ledgerlink.models import BalanceEntry, Payment
from ledgerlink.models import PayoutItem as PayoutItemRow

OWN_DEBIT = "payout"


def _mismatch(m: Mismatch, currency: str) -> dict[str, Any]:
    return {
        "reason": m.reason,
        "kind": m.kind,
        "externalId": m.external_id,
        "expectedMinor": m.expected_minor,
        "actualMinor": m.actual_minor,
        "differenceMinor": m.difference_minor,
        "expected": decimal_string(m.expected_minor, currency),
        "actual": decimal_string(m.actual_minor, currency),
        "difference": decimal_string(m.difference_minor, currency),
    }


def _books(payout: Payment, items: list[PayoutItemRow], recorded: list[BalanceEntry]) -> list[PayoutItem]:
    """What the books hold for the payout's items (see the module's note on marketplaces)."""
    if payout.gateway not in MARKETPLACES:
        return [PayoutItem(b.kind, b.external_id, b.amount, b.fee) for b in recorded if b.kind != OWN_DEBIT]
    fees_taken = {b.external_id: -b.net for b in recorded if b.kind == "fee"}
    return [
        PayoutItem(i.kind, i.external_id, i.amount, fees_taken.get(i.external_id, i.fee))
        for i in items
        if i.external_id in fees_taken or i.fee == 0
    ]


def payout_view(payout: Payment, items: list[PayoutItemRow], recorded: list[BalanceEntry]) -> dict[str, Any]:
    currency = payout.currency
    occurred = payout.processed_at or payout.arrival_at or payout.created_at
    result = reconcile_payout(
        Payout(
            external_id=payout.external_id or payout.id,
            currency=currency,
            amount_minor=payout.amount,
            occurred_at=occurred,
        ),
        [PayoutItem(i.kind, i.external_id, i.amount, i.fee) for i in items if i.kind != OWN_DEBIT],
        _books(payout, items, recorded),
    )
    # Recorded transactions are looked up by the payout's items, so none can be missing from it.
    mismatches = [m for m in result.mismatches if m.reason != "not_in_payout"]
    return {
        "payoutId": payout.id,
        "externalId": payout.external_id,
        "integrationId": payout.integration_id,
        "gateway": payout.gateway,
        "status": payout.status,
        "date": occurred.date().isoformat(),
        "currency": currency,
        "payoutMinor": result.payout_minor,
        "payout": decimal_string(result.payout_minor, currency),
        "itemsNetMinor": result.items_net_minor,
        "itemsNet": decimal_string(result.items_net_minor, currency),
        "items": len(result.matched) + sum(1 for m in mismatches if m.reason != "total"),
        "matched": len(result.matched),
        "reconciled": not mismatches,
        "mismatches": [_mismatch(m, currency) for m in mismatches],
    }


async def payout_reconciliations(
    session: AsyncSession, workspace_id: str, *, integration_id: str | None, offset: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """One page of payouts, newest first, each reconciled."""
    query = select(Payment).where(Payment.workspace_id == workspace_id, Payment.kind == "payout")
    if integration_id:
        query = query.where(Payment.integration_id == integration_id)
    query = query.order_by(Payment.processed_at.desc().nulls_last())
    payouts, total = await fetch_page(session, query, order_by=Payment.id, offset=offset, limit=limit)
    items: dict[str, list[PayoutItemRow]] = defaultdict(list)
    recorded: dict[tuple[str, str], BalanceEntry] = {}
    if payouts:
        listed = select(PayoutItemRow).where(PayoutItemRow.payout_id.in_([p.id for p in payouts]))
        for item in (await session.execute(listed.order_by(PayoutItemRow.payout_id, PayoutItemRow.position))).scalars():
            items[item.payout_id].append(item)
        keys = [(i.integration_id, i.external_id) for rows in items.values() for i in rows]
        if keys:
            entries = select(BalanceEntry).where(
                tuple_(BalanceEntry.integration_id, BalanceEntry.external_id).in_(keys)
            )
            for entry in (await session.execute(entries)).scalars():
                recorded[(entry.integration_id, entry.external_id)] = entry
    views = []
    for payout in payouts:
        own = items[payout.id]
        found = [recorded[k] for k in ((i.integration_id, i.external_id) for i in own) if k in recorded]
        views.append(payout_view(payout, own, found))
    return views, total
