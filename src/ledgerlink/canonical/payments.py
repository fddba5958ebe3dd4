"""What a payment processor says happened to money: canonical records its mappers produce.

Platform-neutral like `records`: amounts are integer minor units (ISO 4217 exponents) of the record's
currency, times are aware UTC datetimes, references are upstream ids. A movement's size is stated in
the direction its kind names (a refund of 5.00 is `amount=500`); what it did to the processor balance
is its `Settlement`, signed (money in positive, money out negative) as the balance saw it, fees and all.
The kinds line up with the `payments` table: charge, refund, chargeback, fee (as balance entries) and
payout. Each record is keyed by `external_id` within its integration.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from ledgerlink.canonical.records import Record, _upper_currency

Currency = Annotated[str, AfterValidator(_upper_currency)]
Minor = int  # integer minor units of the record's currency
# The payments table's statuses: pending | succeeded | failed | cancelled.
PaymentStatus = Literal["pending", "succeeded", "failed", "cancelled"]
ChargebackStatus = Literal["inquiry", "needs_response", "under_review", "won", "lost", "closed"]
PayoutStatus = Literal["pending", "in_transit", "paid", "failed", "cancelled"]
EntryKind = Literal["charge", "refund", "chargeback", "chargeback_reversal", "fee", "payout", "adjustment", "other"]


class OrderReference(Record):
    """The commerce order a payment was for, as the processor was told it (metadata or description)."""

    source: str | None = None  # the channel's provider id (shopify, woocommerce, bigcommerce, …) when stated
    external_id: str | None = None  # the channel's order id
    number: str | None = None  # the order number shoppers see, when that is all there is

    @model_validator(mode="after")
    def _names_an_order(self) -> OrderReference:
        if not (self.external_id or self.number):
            raise ValueError("an order reference needs the order's id or number")
        return self


class FeeLine(Record):
    kind: str  # processor_fee | application_fee | tax, or the processor's own word
    amount: Minor
    currency: Currency
    description: str | None = None


class Settlement(Record):
    """A movement of the processor balance, in the balance's currency: gross, fee and net."""

    external_id: str  # the balance transaction
    amount: Minor  # signed: positive into the balance
    fee: Minor  # what the processor kept (positive), or gave back (negative)
    net: Minor
    currency: Currency
    exchange_rate: Decimal | None = Field(default=None, gt=0, description="balance units per movement unit")
    available_at: datetime | None = None
    status: Literal["pending", "available"] = "available"
    fee_lines: tuple[FeeLine, ...] = ()

    @model_validator(mode="after")
    def _balances(self) -> Settlement:
        if self.net != self.amount - self.fee:
            raise ValueError(f"net {self.net} is not amount {self.amount} less fee {self.fee}")
        return self


class Payment(Record):
    """A buyer's payment (a charge): what was asked, captured and given back, and what it settled to."""

    external_id: str
    status: PaymentStatus
    amount: Minor
    captured_amount: Minor = Field(ge=0)
    refunded_amount: Minor = Field(ge=0)
    currency: Currency
    occurred_at: datetime
    description: str | None = None
    order: OrderReference | None = None
    payment_intent_external_id: str | None = None
    customer_external_id: str | None = None
    method: str | None = None  # card brand or payment method type: visa, sepa_debit, …
    failure_code: str | None = None
    failure_message: str | None = None
    disputed: bool = False
    settlement: Settlement | None = None  # None until captured (and for failed or released payments)
    metadata: dict[str, str] = Field(default_factory=dict)


class PaymentRefund(Record):
    """Money given back on a payment (the processor's refund, not the shop's commercial refund)."""

    external_id: str
    payment_external_id: str | None  # the charge it refunds
    status: PaymentStatus
    amount: Minor = Field(ge=0)
    currency: Currency
    occurred_at: datetime
    reason: str | None = None
    order: OrderReference | None = None
    settlement: Settlement | None = None


class Chargeback(Record):
    """A dispute: the buyer's bank pulling a payment back, and how it stands."""

    external_id: str
    payment_external_id: str
    status: ChargebackStatus
    upstream_status: str
    amount: Minor = Field(ge=0)
    currency: Currency
    reason: str | None = None
    occurred_at: datetime
    evidence_due_at: datetime | None = None
    settlements: tuple[Settlement, ...] = ()  # the withdrawal, and a reinstatement if won

    @property
    def fee(self) -> Minor:
        return sum(s.fee for s in self.settlements)


class BalanceEntry(Record):
    """One line of the processor balance: a charge's gross and fee, a refund, a dispute, a fee billed on
    its own, a payout. Fees and payouts are reconciled from these."""

    external_id: str
    kind: EntryKind
    upstream_type: str  # the processor's own type (Stripe: charge, adjustment, stripe_fee, …)
    category: str | None = None  # the processor's reporting category
    occurred_at: datetime
    source_external_id: str | None = None  # the charge, refund, dispute or payout it moved money for
    description: str | None = None
    settlement: Settlement


class PayoutItem(Record):
    """A balance entry a payout paid out (for reconciliation: the payout is their net total)."""

    external_id: str
    kind: EntryKind
    source_external_id: str | None = None
    amount: Minor
    fee: Minor
    net: Minor
    currency: Currency


class Payout(Record):
    """Money moved between the processor's (or marketplace's) balance and the bank: positive when it
    pays the bank, negative when it debits it (an Amazon settlement whose fees outweighed its sales)."""

    external_id: str
    status: PayoutStatus
    amount: Minor
    currency: Currency
    occurred_at: datetime
    arrival_at: datetime | None = None
    automatic: bool = True
    method: str | None = None
    destination_external_id: str | None = None
    settlement_external_id: str | None = None  # the balance entry that debits it
    items: tuple[PayoutItem, ...] | None = None  # None: not read (only automatic payouts list theirs)

    def unreconciled(self) -> Minor | None:
        """The payout less the net of what it contains (0 when they match); None when not known."""
        if self.items is None:
            return None
        return self.amount - sum(i.net for i in self.items if i.external_id != self.settlement_external_id)


PaymentRecord = Payment | PaymentRefund | Chargeback | BalanceEntry | Payout
