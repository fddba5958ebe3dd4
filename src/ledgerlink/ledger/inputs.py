"""Money movements at a processor or marketplace, as the posting rules need them and no more.

Deliberately small and platform-neutral: an adapter maps a Stripe balance transaction, a PayPal
transaction or an Amazon financial event onto one of these. Amounts are integer minor units of
`currency`. A charge, refund or chargeback states its direction by its type, so its amount is never
negative; fees and payouts are net movements and may be (a fee credited back, a payout that debits
the bank). Nothing posts until `settled`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from ledgerlink.ledger.entries import check_currency


def _whole(value: object, what: str, *, signed: bool) -> None:
    if type(value) is not int or (not signed and value < 0):
        sign = "" if signed else "non-negative "
        raise ValueError(f"{what} must be a {sign}whole number of minor units, got {value!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class GatewayEvent:
    external_id: str
    currency: str
    amount_minor: int
    occurred_at: datetime
    settled: bool = True
    order_external_id: str | None = None  # the shop order it pays or refunds, when known

    signed: ClassVar[bool] = False
    signed_fee: ClassVar[bool] = False

    def __post_init__(self) -> None:
        check_currency(self.currency)
        _whole(self.amount_minor, "amount", signed=self.signed)
        _whole(getattr(self, "fee_minor", 0), "fee", signed=self.signed_fee)
        if not self.external_id:
            raise ValueError("external_id is required")


@dataclass(frozen=True, slots=True, kw_only=True)
class GatewayCharge(GatewayEvent):
    """A customer's payment captured by the processor; `fee_minor` is what the processor kept of it."""

    fee_minor: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class GatewayRefund(GatewayEvent):
    """Money sent back to the customer through the processor; `fee_minor` is what the processor charged
    for it, or, negative, the part of the payment's fee it gave back (PayPal does)."""

    fee_minor: int = 0

    signed_fee: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Chargeback(GatewayEvent):
    """A dispute's funds withdrawn (or, `reinstated`, returned when the dispute is won), and its fee."""

    fee_minor: int = 0
    reinstated: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessorFee(GatewayEvent):
    """A processor fee that is not part of a charge (monthly fees, a fee adjustment)."""

    signed: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class MarketplaceFee(GatewayEvent):
    """A marketplace's commission or service fee, withheld from its settlement."""

    signed: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Payout(GatewayEvent):
    """The processor's (or marketplace's settlement's) transfer to the bank; negative when it debits it."""

    signed: ClassVar[bool] = True
