"""Payout reconciliation: does a payout (a Stripe payout, an Amazon settlement) add up to the
transactions it says it contains, and do those agree with what the books recorded?

Every item is compared by its net (gross less fees, signed as it moves the payout). An item the books
hold with another net is an `amount` mismatch, one they do not hold is `not_recorded`, one the books
expected in this payout but the payout lacks is `not_in_payout`, and the payout amount against the sum
of its items is the `total` check. Expected is the books' figure (for `total`, the items' sum), actual
the payout's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from ledgerlink.ledger.inputs import (
    Chargeback,
    GatewayCharge,
    GatewayEvent,
    GatewayRefund,
    MarketplaceFee,
    Payout,
    ProcessorFee,
)

Reason = Literal["amount", "not_recorded", "not_in_payout", "total"]


@dataclass(frozen=True, slots=True)
class PayoutItem:
    kind: str  # charge, refund, chargeback, fee, adjustment… (canonical/payments.py's EntryKind fits)
    external_id: str
    amount_minor: int  # signed gross: + into the payout (a charge), - out of it (a refund)
    fee_minor: int = 0  # what the processor kept of it

    @property
    def net_minor(self) -> int:
        return self.amount_minor - self.fee_minor


@dataclass(frozen=True, slots=True)
class Mismatch:
    reason: Reason
    kind: str
    external_id: str | None
    expected_minor: int
    actual_minor: int

    @property
    def difference_minor(self) -> int:
        return self.actual_minor - self.expected_minor


@dataclass(frozen=True, slots=True)
class PayoutReconciliation:
    payout_id: str
    currency: str
    payout_minor: int
    items_net_minor: int
    matched: tuple[PayoutItem, ...]
    mismatches: tuple[Mismatch, ...]

    @property
    def reconciled(self) -> bool:
        return not self.mismatches


def payout_item(event: GatewayEvent) -> PayoutItem:
    """How a recorded event moves a payout."""
    match event:
        case GatewayCharge():
            return PayoutItem("charge", event.external_id, event.amount_minor, event.fee_minor)
        case GatewayRefund():
            return PayoutItem("refund", event.external_id, -event.amount_minor, event.fee_minor)
        case Chargeback():
            sign = 1 if event.reinstated else -1
            return PayoutItem("chargeback", event.external_id, sign * event.amount_minor, -sign * event.fee_minor)
        case ProcessorFee() | MarketplaceFee():
            return PayoutItem("fee", event.external_id, 0, event.amount_minor)
    raise TypeError(f"{type(event).__name__} is not part of a payout")


def reconcile_payout(
    payout: Payout, contained: Sequence[PayoutItem], recorded: Iterable[PayoutItem] | None = None
) -> PayoutReconciliation:
    """`contained`: what the processor says the payout holds; `recorded`: what the books hold for it
    (None: check the payout against its own items only)."""
    books = {(i.kind, i.external_id): i for i in recorded} if recorded is not None else None
    matched: list[PayoutItem] = []
    mismatches: list[Mismatch] = []
    for item in contained:
        known = books.pop((item.kind, item.external_id), None) if books is not None else item
        if known is None:
            mismatches.append(Mismatch("not_recorded", item.kind, item.external_id, 0, item.net_minor))
        elif known.net_minor != item.net_minor:
            mismatches.append(Mismatch("amount", item.kind, item.external_id, known.net_minor, item.net_minor))
        else:
            matched.append(item)
    for missing in (books or {}).values():
        mismatches.append(Mismatch("not_in_payout", missing.kind, missing.external_id, missing.net_minor, 0))
    items_net = sum(i.net_minor for i in contained)
    if items_net != payout.amount_minor:
        mismatches.append(Mismatch("total", "payout", payout.external_id, items_net, payout.amount_minor))
    return PayoutReconciliation(
        payout.external_id, payout.currency, payout.amount_minor, items_net, tuple(matched), tuple(mismatches)
    )
