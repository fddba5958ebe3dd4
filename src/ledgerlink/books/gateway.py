"""Stored gateway money (`payments`, `balance_entries`; models/payments.py) as the ledger's gateway
inputs (ledger/inputs.py), for the posting rules of ledger/gateway_posting.py.

Money is taken as the processor's balance saw it: the settlement columns, in the balance's currency,
so the clearing account of an integration (its balance at the processor) is emptied by payouts in the
same currency. A movement without a settlement (a processor that reports none) falls back to its own
amount and currency, with no fee. The settlement is signed as the balance moved (money in positive);
the inputs state direction by their type, so the signs are turned here:

- charge (kind charge): GatewayCharge of the settlement amount, fee the settlement fee; settled once
  its status is `succeeded` (without a settlement: the captured amount).
- gateway refund (kind refund): GatewayRefund of minus the settlement amount (money out), fee the
  settlement fee; settled once its status is `succeeded`: a pending refund may still fail.
- chargeback (kind chargeback): the dispute's net movement so far (withdrawal, plus the reinstatement
  when won): money out is a Chargeback of that amount and fee; money back overall is `reinstated`, the
  mirror image. Settled once money moved (it has a settlement). When a won dispute's reinstatement
  arrives, the row's net changes and the store posts a reversal and the net entry (revisions.py).
- fee (balance entry of kind fee: a fee billed on its own): ProcessorFee, or MarketplaceFee for a
  marketplace's integration (MARKETPLACES), of minus its net (a fee taken is money out; a fee credited
  back is a negative fee). Settled once the balance entry exists (fees are not cancelled).
- payout (kind payout): Payout of its amount (already stated in the payout's direction; negative when
  it debits the bank), settled once `paid`: until then it may still fail.

Each input carries the row's `external_id` (ch_…, re_…, dp_…, po_…, txn_…), which keys its entry, and
the order as the processor named it (`order_external_id`), so that money for a known order posts
against receivables and other money against unapplied cash.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ledgerlink.ledger.accounts import MARKETPLACES
from ledgerlink.ledger.entries import SourceKind
from ledgerlink.ledger.errors import PostingError
from ledgerlink.ledger.inputs import (
    Chargeback,
    GatewayCharge,
    GatewayEvent,
    GatewayRefund,
    MarketplaceFee,
    Payout,
    ProcessorFee,
)

# The source kind each `payments` kind posts as (the anti-join in gateway_job.py uses the same map).
PAYMENT_SOURCE_KINDS: dict[str, SourceKind] = {
    "charge": SourceKind.CHARGE,
    "refund": SourceKind.GATEWAY_REFUND,
    "chargeback": SourceKind.CHARGEBACK,
    "payout": SourceKind.PAYOUT,
}


def fee_source_kind(provider: str | None) -> SourceKind:
    return SourceKind.MARKETPLACE_FEE if provider in MARKETPLACES else SourceKind.PROCESSOR_FEE


def _moment(value: datetime | None, fallback: datetime | None) -> datetime:
    moment = value or fallback
    if moment is None:
        raise PostingError("the movement has no date", {})
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _fee(value: int | None, what: str, external_id: str) -> int:
    fee = int(value or 0)
    if fee < 0:
        raise PostingError(
            f"the {what} {external_id} has a negative fee ({fee}), which its posting rule cannot take",
            {"externalId": external_id, "feeMinor": fee},
        )
    return fee


def _common(row: Any) -> dict[str, Any]:
    return {
        "external_id": row.external_id,
        "occurred_at": _moment(row.processed_at, getattr(row, "created_at", None)),
        "order_external_id": row.order_external_id or None,
    }


def charge(row: Any) -> GatewayCharge:
    if row.settlement_amount is not None:
        amount, currency, fee = row.settlement_amount, row.settlement_currency, row.settlement_fee
    else:
        amount = row.captured_amount if row.captured_amount is not None else row.amount
        currency, fee = row.currency, 0
    if amount < 0:
        raise PostingError(f"the charge {row.external_id} took money out ({amount})", {"externalId": row.external_id})
    return GatewayCharge(
        **_common(row),
        currency=currency,
        amount_minor=int(amount),
        fee_minor=_fee(fee, "charge", row.external_id),
        settled=row.status == "succeeded",
    )


def refund(row: Any) -> GatewayRefund:
    if row.settlement_amount is not None:
        amount, currency, fee = -row.settlement_amount, row.settlement_currency, row.settlement_fee
    else:
        amount, currency, fee = row.amount, row.currency, 0
    if amount < 0:
        raise PostingError(f"the refund {row.external_id} brought money in ({amount})", {"externalId": row.external_id})
    return GatewayRefund(
        **_common(row),
        currency=currency,
        amount_minor=int(amount),
        # Negative when the processor gives part of the charge's fee back with the refund (PayPal does):
        # the fee lines then credit the fee expense and debit the clearing account.
        fee_minor=int(fee or 0),
        settled=row.status == "succeeded",
    )


def chargeback(row: Any) -> Chargeback:
    if row.settlement_amount is None:  # no money has moved yet
        return Chargeback(**_common(row), currency=row.currency, amount_minor=int(row.amount), settled=False)
    net, fee = int(row.settlement_amount), int(row.settlement_fee or 0)
    reinstated = net > 0
    sign = -1 if reinstated else 1
    # Stated in the direction of the dispute (withdrawal) or of its reinstatement, fee alike.
    amount, fee = -net * sign, fee * sign
    return Chargeback(
        **_common(row),
        currency=row.settlement_currency,
        amount_minor=amount,
        fee_minor=_fee(fee, "chargeback", row.external_id),
        reinstated=reinstated,
        settled=True,
    )


def payout(row: Any) -> Payout:
    return Payout(
        **_common(row),
        currency=row.currency,
        amount_minor=int(row.amount),
        settled=row.status == "paid",
    )


def from_payment(row: Any) -> GatewayEvent:
    """A `payments` row (kind charge, refund, chargeback or payout) as its gateway input."""
    match row.kind:
        case "charge":
            return charge(row)
        case "refund":
            return refund(row)
        case "chargeback":
            return chargeback(row)
        case "payout":
            return payout(row)
    raise PostingError(f"no posting rule for a payment of kind {row.kind}", {"kind": row.kind})


def from_fee_entry(row: Any, provider: str | None) -> ProcessorFee | MarketplaceFee:
    """A `balance_entries` row of kind fee (a fee billed on its own) as a processor or marketplace fee:
    money out of the balance is a fee taken (positive), money in a fee credited back (negative)."""
    kind = MarketplaceFee if provider in MARKETPLACES else ProcessorFee
    return kind(
        external_id=row.external_id,
        currency=row.currency,
        amount_minor=-int(row.net),
        occurred_at=_moment(row.occurred_at, None),
        settled=True,
        # A marketplace's fee names the order it was withheld for (an AmazonOrderId).
        order_external_id=row.source_external_id if provider in MARKETPLACES else None,
    )
