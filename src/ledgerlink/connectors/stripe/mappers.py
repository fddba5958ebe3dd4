"""Stripe objects (API version 2023-08-16) to canonical payment records.

A mapper reads only what the object must hold and raises (KeyError, TypeError, ValueError, pydantic's
ValidationError) on anything Stripe would not send, so one bad object fails as a DATA_MAPPING item
error instead of loading nonsense. Amounts go through `amounts.to_canonical` (ISK and MGA differ from
ISO 4217); a balance transaction's amounts are in the balance's currency, which may differ from the
charge's (then `exchange_rate` says by how much).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ledgerlink.canonical import payments as pay
from ledgerlink.connectors.stripe.amounts import to_canonical

ORDER_ID_KEYS = ("order_id", "orderid", "order-id", "order")
ORDER_NUMBER_KEYS = ("order_number", "ordernumber", "order-number", "order_no")
SOURCE_KEYS = ("source", "platform", "channel")
_DESCRIBED_ORDER = re.compile(r"(?i)\border\b\s*(?:no\.?|number)?\s*#?\s*(\d[\w-]*)")
FEE_KINDS = {"stripe_fee": "processor_fee"}
ENTRY_KINDS: dict[str, pay.EntryKind] = {
    "charge": "charge",
    "payment": "charge",
    "refund": "refund",
    "payment_refund": "refund",
    "stripe_fee": "fee",
    "stripe_fx_fee": "fee",
    "tax_fee": "fee",
    "application_fee": "fee",
    "payout": "payout",
    "payout_cancel": "payout",
    "payout_failure": "payout",
    "adjustment": "adjustment",
}
ADJUSTMENT_KINDS: dict[str, pay.EntryKind] = {"dispute": "chargeback", "dispute_reversal": "chargeback_reversal"}
REFUND_STATUSES: dict[str | None, pay.PaymentStatus] = {
    "succeeded": "succeeded",
    "pending": "pending",
    "requires_action": "pending",
    None: "pending",
    "failed": "failed",
    "canceled": "cancelled",
}
DISPUTE_STATUSES: dict[str, pay.ChargebackStatus] = {
    "warning_needs_response": "inquiry",
    "warning_under_review": "inquiry",
    "warning_closed": "closed",
    "needs_response": "needs_response",
    "under_review": "under_review",
    "won": "won",
    "lost": "lost",
}
PAYOUT_STATUSES: dict[str, pay.PayoutStatus] = {
    "pending": "pending",
    "in_transit": "in_transit",
    "paid": "paid",
    "failed": "failed",
    "canceled": "cancelled",
}


def unix_time(value: Any) -> datetime:
    """Stripe's Unix seconds as an aware UTC datetime."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"not a Unix timestamp: {value!r}")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError) as exc:
        raise ValueError(f"timestamp out of range: {value}") from exc


def optional_unix_time(value: Any) -> datetime | None:
    return None if value is None else unix_time(value)


def _id(value: Any) -> str | None:
    """An expandable field's id, whether it came as the id or as the expanded object."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return str(value["id"])
    raise TypeError(f"not an id or object: {value!r}")


def _minor(obj: Mapping[str, Any], key: str) -> int:
    return to_canonical(obj[key], obj["currency"])


def _text(mapping: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    lowered = {str(k).lower(): v for k, v in mapping.items()}
    return next((str(lowered[k]).strip() for k in keys if str(lowered.get(k) or "").strip()), None)


def order_reference(metadata: Mapping[str, Any] | None, description: str | None) -> pay.OrderReference | None:
    """The order a shop's plugin named in the metadata (`order_id`, `order_number`, `source`), else an
    "Order #1001" in the description; None when neither names one."""
    metadata = metadata or {}
    external_id, number = _text(metadata, ORDER_ID_KEYS), _text(metadata, ORDER_NUMBER_KEYS)
    if number is None and description and (match := _DESCRIBED_ORDER.search(description)):
        number = match.group(1)
    if external_id is None and number is None:
        return None
    return pay.OrderReference(source=_text(metadata, SOURCE_KEYS), external_id=external_id, number=number)


def settlement(txn: Mapping[str, Any]) -> pay.Settlement:
    """A balance transaction's movement of the balance."""
    rate = txn.get("exchange_rate")
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int | float)):
        raise TypeError(f"exchange_rate is not a number: {rate!r}")
    return pay.Settlement(
        external_id=str(txn["id"]),
        amount=_minor(txn, "amount"),
        fee=_minor(txn, "fee"),
        net=_minor(txn, "net"),
        currency=txn["currency"],
        exchange_rate=Decimal(str(rate)) if rate is not None else None,
        available_at=optional_unix_time(txn.get("available_on")),
        status="pending" if txn.get("status") == "pending" else "available",
        fee_lines=tuple(
            pay.FeeLine(
                kind=FEE_KINDS.get(str(d["type"]), str(d["type"])),
                amount=_minor(d, "amount"),
                currency=d["currency"],
                description=d.get("description"),
            )
            for d in txn.get("fee_details") or ()
        ),
    )


def _expanded_settlement(value: Any) -> pay.Settlement | None:
    """The settlement of an expanded `balance_transaction` (None when absent or left as an id)."""
    return settlement(value) if isinstance(value, Mapping) else None


def _charge_status(charge: Mapping[str, Any]) -> pay.PaymentStatus:
    status = charge["status"]
    if status == "failed":
        return "failed"
    if status == "pending":
        return "pending"
    if status != "succeeded":
        raise ValueError(f"unknown charge status {status!r}")
    if charge.get("captured", True):
        return "succeeded"
    return "cancelled" if charge.get("refunded") else "pending"  # released, or authorised awaiting capture


def _method(charge: Mapping[str, Any]) -> str | None:
    details = charge.get("payment_method_details") or {}
    kind = details.get("type")
    brand = (details.get(kind) or {}).get("brand") if kind else None
    return str(brand or kind) if (brand or kind) else None


def map_charge(charge: Mapping[str, Any]) -> pay.Payment:
    captured = charge.get("amount_captured", charge["amount"] if charge.get("captured") else 0)
    return pay.Payment(
        external_id=str(charge["id"]),
        status=_charge_status(charge),
        amount=_minor(charge, "amount"),
        captured_amount=to_canonical(captured, charge["currency"]),
        refunded_amount=_minor(charge, "amount_refunded"),
        currency=charge["currency"],
        occurred_at=unix_time(charge["created"]),
        description=charge.get("description"),
        order=order_reference(charge.get("metadata"), charge.get("description")),
        payment_intent_external_id=_id(charge.get("payment_intent")),
        customer_external_id=_id(charge.get("customer")),
        method=_method(charge),
        failure_code=charge.get("failure_code"),
        failure_message=charge.get("failure_message"),
        disputed=bool(charge.get("disputed", False)),
        settlement=_expanded_settlement(charge.get("balance_transaction")),
        metadata=dict(charge.get("metadata") or {}),
    )


def map_refund(refund: Mapping[str, Any]) -> pay.PaymentRefund:
    return pay.PaymentRefund(
        external_id=str(refund["id"]),
        payment_external_id=_id(refund.get("charge")),
        status=REFUND_STATUSES[refund.get("status")],
        amount=_minor(refund, "amount"),
        currency=refund["currency"],
        occurred_at=unix_time(refund["created"]),
        reason=refund.get("reason"),
        order=order_reference(refund.get("metadata"), refund.get("description")),
        settlement=_expanded_settlement(refund.get("balance_transaction")),
    )


def map_dispute(dispute: Mapping[str, Any]) -> pay.Chargeback:
    evidence = dispute.get("evidence_details") or {}
    charge = _id(dispute["charge"])
    if charge is None:
        raise ValueError("a dispute without its charge")
    return pay.Chargeback(
        external_id=str(dispute["id"]),
        payment_external_id=charge,
        status=DISPUTE_STATUSES[dispute["status"]],
        upstream_status=dispute["status"],
        amount=_minor(dispute, "amount"),
        currency=dispute["currency"],
        reason=dispute.get("reason"),
        occurred_at=unix_time(dispute["created"]),
        evidence_due_at=optional_unix_time(evidence.get("due_by")),
        settlements=tuple(settlement(txn) for txn in dispute.get("balance_transactions") or ()),
    )


def entry_kind(txn: Mapping[str, Any]) -> pay.EntryKind:
    kind = ENTRY_KINDS.get(str(txn["type"]), "other")
    return ADJUSTMENT_KINDS.get(str(txn.get("reporting_category")), kind) if kind == "adjustment" else kind


def map_balance_transaction(txn: Mapping[str, Any]) -> pay.BalanceEntry:
    return pay.BalanceEntry(
        external_id=str(txn["id"]),
        kind=entry_kind(txn),
        upstream_type=str(txn["type"]),
        category=txn.get("reporting_category"),
        occurred_at=unix_time(txn["created"]),
        source_external_id=_id(txn.get("source")),
        description=txn.get("description"),
        settlement=settlement(txn),
    )


def _payout_item(txn: Mapping[str, Any]) -> pay.PayoutItem:
    return pay.PayoutItem(
        external_id=str(txn["id"]),
        kind=entry_kind(txn),
        source_external_id=_id(txn.get("source")),
        amount=_minor(txn, "amount"),
        fee=_minor(txn, "fee"),
        net=_minor(txn, "net"),
        currency=txn["currency"],
    )


def map_payout(payout: Mapping[str, Any]) -> pay.Payout:
    """`_balance_transactions` (what the connector read for it) become the payout's items."""
    contents = payout.get("_balance_transactions")
    return pay.Payout(
        external_id=str(payout["id"]),
        status=PAYOUT_STATUSES[payout["status"]],
        amount=_minor(payout, "amount"),
        currency=payout["currency"],
        occurred_at=unix_time(payout["created"]),
        arrival_at=optional_unix_time(payout.get("arrival_date")),
        automatic=bool(payout.get("automatic", True)),
        method=payout.get("method"),
        destination_external_id=_id(payout.get("destination")),
        settlement_external_id=_id(payout.get("balance_transaction")),
        items=None if contents is None else tuple(_payout_item(txn) for txn in contents),
    )
