"""A processor's canonical records as the rows of `payments` and `balance_entries`, and what each
counts for in `payment_sync_totals`.

A movement's row holds every column a processor writes, its links NULL (`payment_links` resolves them
after the write), so a changed record is replaced whole. A stated reference is kept only if it fits
its column: a longer one is no id of anything we hold.

Totals: a charge counts its captured amount (per currency); a processor fee is counted where it was
recorded (per balance currency), for seed 000's `totalAmount`, `totalFees` and `feesRecorded`: a
charge's, refund's or dispute's fee with that record (from its balance transaction), a fee billed on
its own (Radar, a fee adjustment) as a balance entry of kind `fee`; the balance entries of charges and
disputes carry the same fees again and are not counted twice.
"""

from __future__ import annotations

from typing import Any

from ledgerlink.canonical import payments as pay

# (measure, currency) -> [records, amount in minor units]
Tally = dict[tuple[str, str], list[int]]


# --------------------------------------------------------------------------------------------------
# Movements, payout items and balance entries


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


def distinct_items(payout: pay.Payout) -> list[pay.PayoutItem]:
    """A payout's items, each balance transaction once (where it is first listed)."""
    seen: dict[str, pay.PayoutItem] = {}
    for item in payout.items or ():
        seen.setdefault(item.external_id, item)
    return list(seen.values())


def balance_entry_row(entry: pay.BalanceEntry) -> dict[str, Any]:
    """Every column a processor writes; links NULL (resolved after the write)."""
    s = entry.settlement
    return {
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


# --------------------------------------------------------------------------------------------------
# What a record counts for in the run's totals


def _add(tally: Tally, measure: str, currency: str, amount: int) -> None:
    held = tally.setdefault((measure, currency), [0, 0])
    held[0] += 1
    held[1] += amount


def _settled_fee(tally: Tally, s: pay.Settlement | None) -> None:
    if s is not None and s.fee:
        _add(tally, "fees", s.currency, s.fee)


def tally_of(record: Any) -> Tally:
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
