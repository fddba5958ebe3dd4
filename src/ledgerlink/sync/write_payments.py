"""A processor's records: charges, refunds, chargebacks and payouts into `payments`, balance
transactions into `balance_entries`, what each payout paid out into `payout_items`.

Every record is decided through its external reference like any other (`refs.decide`); its links are
then resolved in SQL from what the processor stated, in both directions, so the order records arrive
in does not matter:

- order: `order_source` + `order_external_id` name an order of the workspace's integration of that
  provider (through its external refs); without an id, an order number unique in the workspace (or
  among that provider's integrations) will do. A refund or chargeback follows its charge: its own
  reference counts only when it names no charge, or a charge that names no order. Nothing unique to go
  by leaves `order_id` NULL, and an order synced later links the movements waiting for it
  (`write_orders_linking_payments`, the `order` writer), their refunds and chargebacks with them.
- parent: a refund's or chargeback's charge (`parent_external_id`), whichever is written second.
- payout: a movement or balance entry is in the payout whose items list its balance transaction.

Links are resolved by whoever writes second, and both writers serialise on a per-integration
advisory lock held to the end of their page's transaction, so two concurrent pages (a refunds page and
a charges page, an orders page and a charges page) can never both miss the link. Changed records are
written whole and their links resolved again.

Events: `payment.created` for a charge seen for the first time, in the page's transaction. A
processor's refund announces nothing: it is the money leg of a refund the shop's sync announces as
`refund.created`, and announcing both would tell subscribers about one refund twice. Chargebacks and
payouts have no event types of their own yet.

Totals: each sync run's charges (captured amount, per currency) and processor fees (per balance
currency) are added to `payment_sync_totals` with the page that counted them, for seed 000's
`totalAmount`, `totalFees` and `feesRecorded`. A fee is counted where it was recorded: a charge's,
refund's or dispute's fee with that record (from its balance transaction), a fee billed on its own
(Radar, a fee adjustment) as a balance entry of kind `fee`; the balance entries of charges and disputes
carry the same fees again and are not counted twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.canonical import payments as pay
from ledgerlink.canonical.external_refs import Outcome
from ledgerlink.connectors.registry import PROVIDERS
from ledgerlink.db.copy import insert_rows
from ledgerlink.events import emit_many, event_row
from ledgerlink.ids import derived_id, new_id
from ledgerlink.models import BalanceEntry, Payment, PaymentSyncTotal, PayoutItem
from ledgerlink.sync.context import Item, LoadContext, LoadResult
from ledgerlink.sync.refs import Decision, RefItem, decide
from ledgerlink.sync.rows import delete_where_in, upsert
from ledgerlink.sync.write_orders import write_orders

PAYMENT_FEATURE = "payment_sync"
# (measure, currency) -> [records, amount in minor units]
Tally = dict[tuple[str, str], list[int]]


# --------------------------------------------------------------------------------------------------
# Serialising the writers of one processor integration


async def _serialise(session: AsyncSession, integration_ids: Iterable[str]) -> None:
    """Wait for (and hold to the end of this transaction) each integration's payment-writing lock, in
    a fixed order so two holders of several never deadlock."""
    for integration_id in sorted(set(integration_ids)):
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": f"payments:{integration_id}"}
        )


# --------------------------------------------------------------------------------------------------
# Resolving links (each statement fills only what is still NULL, or what points elsewhere)

_LINK_ORDERS = text(
    """
    WITH target AS (
        SELECT p.id, p.workspace_id, p.order_source, p.order_external_id, p.order_number,
               parent.order_id AS parent_order_id
          FROM payments p LEFT JOIN payments parent ON parent.id = p.parent_id
         WHERE p.id = ANY(:ids) AND p.order_id IS NULL
           -- A refund or chargeback follows its charge: its own reference counts only when it names
           -- no charge, or a charge that names no order.
           AND (p.parent_external_id IS NULL OR parent.order_id IS NOT NULL
                OR (parent.id IS NOT NULL AND parent.order_source IS NULL
                    AND parent.order_external_id IS NULL AND parent.order_number IS NULL))
    ),
    candidate AS (
        SELECT t.id, t.parent_order_id AS order_id, 0 AS rank
          FROM target t WHERE t.parent_order_id IS NOT NULL
        UNION ALL
        SELECT t.id, o.id, 1
          FROM target t
          JOIN integrations i
            ON i.workspace_id = t.workspace_id AND (t.order_source IS NULL OR i.provider = t.order_source)
          JOIN external_refs r
            ON r.workspace_id = t.workspace_id AND r.integration_id = i.id
           AND r.resource_type = 'order' AND r.external_id = t.order_external_id
          JOIN orders o ON o.id = r.canonical_id
        UNION ALL
        SELECT t.id, o.id, 2
          FROM target t
          JOIN orders o
            ON o.workspace_id = t.workspace_id AND o.number IN (t.order_number, '#' || t.order_number)
          JOIN integrations i
            ON i.id = o.integration_id AND (t.order_source IS NULL OR i.provider = t.order_source)
         WHERE t.order_external_id IS NULL
    ),
    best AS (SELECT id, min(rank) AS rank FROM candidate GROUP BY id),
    picked AS (
        SELECT c.id, min(c.order_id) AS order_id
          FROM candidate c JOIN best b ON b.id = c.id AND b.rank = c.rank
         GROUP BY c.id
        HAVING count(DISTINCT c.order_id) = 1
    )
    UPDATE payments p SET order_id = picked.order_id, updated_at = now()
      FROM picked WHERE p.id = picked.id
    RETURNING p.id, p.order_id
    """
)

_LINK_PARENTS = text(
    """
    UPDATE payments c SET parent_id = p.id, updated_at = now()
      FROM payments p
     WHERE c.id = ANY(:ids) AND c.parent_id IS NULL AND c.parent_external_id IS NOT NULL
       AND p.integration_id = c.integration_id AND p.kind = 'charge' AND p.external_id = c.parent_external_id
    """
)

_LINK_PAYOUTS = text(
    """
    UPDATE payments m SET payout_id = pi.payout_id, updated_at = now()
      FROM payout_items pi
     WHERE m.id = ANY(:ids) AND m.payout_id IS NULL AND m.settlement_external_id IS NOT NULL
       AND pi.integration_id = m.integration_id AND pi.external_id = m.settlement_external_id
       AND pi.payout_id <> m.id
    """
)

_WAITING_CHILDREN = text(
    """
    SELECT id FROM payments
     WHERE integration_id = :integration_id AND parent_external_id = ANY(:external_ids)
       AND (parent_id IS NULL OR order_id IS NULL)
    """
)

_ENTRIES_OF_MOVEMENTS = text(
    """
    UPDATE balance_entries b SET payment_id = p.id, updated_at = now()
      FROM payments p
     WHERE p.id = ANY(:ids) AND b.integration_id = p.integration_id
       AND b.source_external_id = p.external_id AND b.payment_id IS DISTINCT FROM p.id
    """
)

_ENTRY_LINKS = text(
    """
    UPDATE balance_entries b
       SET payment_id = coalesce(b.payment_id, (
               SELECT p.id FROM payments p
                WHERE p.integration_id = b.integration_id AND p.external_id = b.source_external_id
                ORDER BY p.id LIMIT 1)),
           payout_id = coalesce(b.payout_id, (
               SELECT pi.payout_id FROM payout_items pi
                WHERE pi.integration_id = b.integration_id AND pi.external_id = b.external_id
                ORDER BY pi.payout_id LIMIT 1)),
           updated_at = now()
     WHERE b.id = ANY(:ids)
    """
)

_PAID_OUT_MOVEMENTS = text(
    """
    UPDATE payments m SET payout_id = pi.payout_id, updated_at = now()
      FROM payout_items pi
     WHERE pi.payout_id = ANY(:ids) AND m.integration_id = pi.integration_id
       AND m.settlement_external_id = pi.external_id AND m.id <> pi.payout_id
       AND m.payout_id IS DISTINCT FROM pi.payout_id
    """
)

_PAID_OUT_ENTRIES = text(
    """
    UPDATE balance_entries b SET payout_id = pi.payout_id, updated_at = now()
      FROM payout_items pi
     WHERE pi.payout_id = ANY(:ids) AND b.integration_id = pi.integration_id
       AND b.external_id = pi.external_id AND b.payout_id IS DISTINCT FROM pi.payout_id
    """
)

_WAITING_FOR_ORDERS = text(
    """
    SELECT id FROM payments
     WHERE workspace_id = :workspace_id AND order_id IS NULL
       AND (order_external_id = ANY(:external_ids)
            OR (order_external_id IS NULL AND order_number = ANY(:numbers)))
    """
)

_UNLINKED_CHILDREN = text("SELECT id FROM payments WHERE parent_id = ANY(:ids) AND order_id IS NULL")

_PROCESSORS = text(
    "SELECT id FROM integrations WHERE workspace_id = :workspace_id AND provider = ANY(:providers) ORDER BY id"
)


async def link_orders(session: AsyncSession, payment_ids: list[str]) -> dict[str, str]:
    """Resolve the orders of these movements where still unknown; returns {payment id: order id} of
    those linked now. A refund's or chargeback's charge's order first, else the stated order."""
    if not payment_ids:
        return {}
    rows = await session.execute(_LINK_ORDERS, {"ids": payment_ids})
    return {row.id: row.order_id for row in rows}


async def _ids(session: AsyncSession, statement: Any, **params: Any) -> list[str]:
    return [row[0] for row in await session.execute(statement, params)]


async def write_orders_linking_payments(session: AsyncSession, ctx: LoadContext, items: list[Item]) -> LoadResult:
    """The `order` writer: orders as `write_orders` writes them, then the payments waiting for them."""
    result = await write_orders(session, ctx, items)
    if result.created:
        await link_payments_to_orders(session, ctx.workspace_id, [i.record for i in items])
    return result


async def link_payments_to_orders(session: AsyncSession, workspace_id: str, orders: list[Any]) -> None:
    """Link the movements of the workspace's processors that name these (just synced) orders."""
    providers = [p.id for p in PROVIDERS.values() if PAYMENT_FEATURE in p.features]
    processors = await _ids(session, _PROCESSORS, workspace_id=workspace_id, providers=providers)
    if not processors:
        return
    await _serialise(session, processors)
    numbers = {str(o.number) for o in orders if o.number}
    numbers |= {n.lstrip("#") for n in numbers}
    waiting = await _ids(
        session,
        _WAITING_FOR_ORDERS,
        workspace_id=workspace_id,
        external_ids=[o.external_id for o in orders],
        numbers=sorted(numbers),
    )
    linked = await link_orders(session, waiting)
    if linked:
        await link_orders(session, await _ids(session, _UNLINKED_CHILDREN, ids=list(linked)))


# --------------------------------------------------------------------------------------------------
# Rows


def _text(value: str | None, limit: int, lower: bool = False) -> str | None:
    """A stated reference kept only if it fits (a longer one is no id of anything we hold)."""
    if value is None:
        return None
    value = value.strip().lower() if lower else value.strip()
    return value if value and len(value) <= limit else None


def _order(ref: pay.OrderReference | None) -> dict[str, Any]:
    return {
        "order_source": _text(ref.source, 40, lower=True) if ref else None,
        "order_external_id": _text(ref.external_id, 255) if ref else None,
        "order_number": _text(ref.number, 64) if ref else None,
    }


def _settlement(s: pay.Settlement | None) -> dict[str, Any]:
    if s is None:
        return dict.fromkeys(
            (
                "settlement_amount",
                "settlement_currency",
                "settlement_fee",
                "settlement_net",
                "exchange_rate",
                "settlement_external_id",
                "settlement_status",
                "available_at",
            )
        )
    return {
        "settlement_amount": s.amount,
        "settlement_currency": s.currency,
        "settlement_fee": s.fee,
        "settlement_net": s.net,
        "exchange_rate": s.exchange_rate,
        "settlement_external_id": s.external_id,
        "settlement_status": s.status,
        "available_at": s.available_at,
    }


def _fee_lines(s: pay.Settlement | None) -> list[dict[str, Any]]:
    return [f.model_dump(mode="json") for f in s.fee_lines] if s is not None else []


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    """Without what says nothing (None, empty lists and maps); 0 and False stay."""
    return {k: v for k, v in values.items() if v is not None and not (isinstance(v, dict | list) and not v)}


def _movement(kind: str, status: str, amount: int, currency: str, occurred_at: Any, **columns: Any) -> dict[str, Any]:
    """Every column a processor writes: links NULL (resolved after the write), nothing left out, so a
    changed record is replaced whole. `refund_id` is not among them: it is not the processor's to set."""
    row: dict[str, Any] = {
        "kind": kind,
        "status": status,
        "upstream_status": None,
        "amount": amount,
        "currency": currency,
        "captured_amount": None,
        "refunded_amount": None,
        **_settlement(None),
        "processed_at": occurred_at,
        "parent_external_id": None,
        **_order(None),
        "reason": None,
        "evidence_due_at": None,
        "arrival_at": None,
        "description": None,
        "attributes": {},
        "order_id": None,
        "parent_id": None,
        "payout_id": None,
    }
    row.update(columns)
    return row


def charge_row(p: pay.Payment) -> dict[str, Any]:
    return _movement(
        "charge",
        p.status,
        p.amount,
        p.currency,
        p.occurred_at,
        captured_amount=p.captured_amount,
        refunded_amount=p.refunded_amount,
        **_settlement(p.settlement),
        **_order(p.order),
        description=p.description,
        attributes=_compact(
            {
                "paymentIntent": p.payment_intent_external_id,
                "customer": p.customer_external_id,
                "method": p.method,
                "failureCode": p.failure_code,
                "failureMessage": p.failure_message,
                "disputed": p.disputed,
                "metadata": dict(p.metadata),
                "feeLines": _fee_lines(p.settlement),
            }
        ),
    )


def refund_row(r: pay.PaymentRefund) -> dict[str, Any]:
    return _movement(
        "refund",
        r.status,
        r.amount,
        r.currency,
        r.occurred_at,
        **_settlement(r.settlement),
        parent_external_id=r.payment_external_id,
        **_order(r.order),
        reason=_text(r.reason, 255),
        attributes=_compact({"feeLines": _fee_lines(r.settlement)}),
    )


def chargeback_row(c: pay.Chargeback) -> dict[str, Any]:
    """The settlement is the sum of the dispute's balance movements so far (withdrawal, reinstatement)."""
    moved = [s for s in c.settlements if c.settlements and s.currency == c.settlements[0].currency]
    settlement: dict[str, Any] = _settlement(None)
    if moved:
        first = moved[0]
        settlement = {
            "settlement_amount": sum(s.amount for s in moved),
            "settlement_currency": first.currency,
            "settlement_fee": sum(s.fee for s in moved),
            "settlement_net": sum(s.net for s in moved),
            "exchange_rate": first.exchange_rate,
            "settlement_external_id": first.external_id,
            "settlement_status": "pending" if any(s.status == "pending" for s in moved) else "available",
            "available_at": max((s.available_at for s in moved if s.available_at), default=None),
        }
    return _movement(
        "chargeback",
        c.status,
        c.amount,
        c.currency,
        c.occurred_at,
        upstream_status=_text(c.upstream_status, 40),
        **settlement,
        parent_external_id=c.payment_external_id,
        reason=_text(c.reason, 255),
        evidence_due_at=c.evidence_due_at,
        attributes=_compact({"settlements": [s.external_id for s in c.settlements]}),
    )


def payout_row(p: pay.Payout) -> dict[str, Any]:
    own = next((i for i in p.items or () if i.external_id == p.settlement_external_id), None)
    return _movement(
        "payout",
        p.status,
        p.amount,
        p.currency,
        p.occurred_at,
        settlement_amount=own.amount if own else None,
        settlement_currency=own.currency if own else None,
        settlement_fee=own.fee if own else None,
        settlement_net=own.net if own else None,
        settlement_external_id=p.settlement_external_id,
        arrival_at=p.arrival_at,
        attributes=_compact(
            {
                "automatic": p.automatic,
                "method": p.method,
                "destination": p.destination_external_id,
                "unreconciledMinor": p.unreconciled(),
                "itemsRead": p.items is not None,
            }
        ),
    )


# --------------------------------------------------------------------------------------------------
# Totals


def _add(tally: Tally, measure: str, currency: str, amount: int) -> None:
    held = tally.setdefault((measure, currency), [0, 0])
    held[0] += 1
    held[1] += amount


def _settled_fee(tally: Tally, s: pay.Settlement | None) -> None:
    if s is not None and s.fee:
        _add(tally, "fees", s.currency, s.fee)


def _tally_of(record: Any) -> Tally:
    tally: Tally = {}
    match record:
        case pay.Payment():
            _add(tally, "payments", record.currency, record.captured_amount)
            _settled_fee(tally, record.settlement)
        case pay.PaymentRefund():
            _settled_fee(tally, record.settlement)
        case pay.Chargeback():
            for s in record.settlements:
                _settled_fee(tally, s)
        case pay.BalanceEntry() if record.kind == "fee" and record.settlement.net:
            _add(tally, "fees", record.settlement.currency, -record.settlement.net)
    return tally


async def _record_totals(session: AsyncSession, ctx: LoadContext, items: list[Item]) -> None:
    if ctx.run_id is None:
        return  # a webhook or one-off load: no run to count for
    tally: Tally = defaultdict(lambda: [0, 0])
    for item in items:
        for key, (records, amount) in _tally_of(item.record).items():
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
    await _serialise(session, [ctx.integration_id])
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
    ids = [row["id"] for row in rows]
    await session.execute(_LINK_PARENTS, {"ids": ids})
    await session.execute(_LINK_PAYOUTS, {"ids": ids})
    await session.execute(_ENTRIES_OF_MOVEMENTS, {"ids": ids})
    return result, writing


async def write_payments(session: AsyncSession, ctx: LoadContext, items: list[Item]) -> LoadResult:
    """Charges; then the refunds and chargebacks that were waiting for them; `payment.created` events."""
    result, writing = await _write_movements(session, ctx, items, "payment", charge_row)
    if not writing:
        return result
    linked = await link_orders(session, [d.canonical_id for _, d in writing])
    children = await _ids(
        session, _WAITING_CHILDREN, integration_id=ctx.integration_id, external_ids=[i.external_id for i, _ in writing]
    )
    if children:
        await session.execute(_LINK_PARENTS, {"ids": children})
        await link_orders(session, children)
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
            for n, item in enumerate(_distinct_items(payout))
        ],
    )
    await session.execute(_PAID_OUT_MOVEMENTS, {"ids": payout_ids})
    await session.execute(_PAID_OUT_ENTRIES, {"ids": payout_ids})
    return result


def _distinct_items(payout: pay.Payout) -> list[pay.PayoutItem]:
    seen: dict[str, pay.PayoutItem] = {}
    for item in payout.items or ():
        seen.setdefault(item.external_id, item)
    return list(seen.values())


async def write_balance_entries(session: AsyncSession, ctx: LoadContext, items: list[Item]) -> LoadResult:
    result, writing = await _decide(session, ctx, "balance_entry", items)
    if not writing:
        return result
    rows = []
    for item, decision in writing:
        entry: pay.BalanceEntry = item.record
        s = entry.settlement
        rows.append(
            {
                "id": decision.canonical_id,
                "workspace_id": ctx.workspace_id,
                "integration_id": ctx.integration_id,
                "external_id": item.external_id,
                "kind": entry.kind,
                "upstream_type": entry.upstream_type[:60],
                "category": _text(entry.category, 60),
                "source_external_id": _text(entry.source_external_id, 255),
                "payment_id": None,
                "payout_id": None,
                "amount": s.amount,
                "fee": s.fee,
                "net": s.net,
                "currency": s.currency,
                "exchange_rate": s.exchange_rate,
                "status": s.status,
                "available_at": s.available_at,
                "occurred_at": entry.occurred_at,
                "description": entry.description,
                "fee_lines": _fee_lines(s),
            }
        )
    await upsert(session, BalanceEntry.__table__, rows)
    await session.execute(_ENTRY_LINKS, {"ids": [row["id"] for row in rows]})
    return result
