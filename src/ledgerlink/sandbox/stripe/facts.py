"""What happened on the simulated Stripe account, before any rendering: plain frozen records.

Times are Unix seconds (Stripe's own unit); amounts are integers in Stripe's minor units of the
object's currency, which Stripe writes in lower case. The renderers turn these into API objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ledgerlink.sandbox.dataset import Address


@dataclass(frozen=True)
class Card:
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    country: str
    funding: str
    fingerprint: str


@dataclass(frozen=True)
class Charge:
    """A card payment for one commerce order, and the PaymentIntent it belongs to."""

    id: str
    intent_id: str
    payment_method_id: str
    created: int
    amount: int
    currency: str
    outcome: str  # succeeded | failed | released (authorised, then cancelled before capture)
    description: str
    metadata: dict[str, str]
    customer_id: str | None
    email: str
    billing: Address
    card: Card
    balance_transaction_id: str | None
    released_at: int | None = None
    malformed: bool = False  # served broken while the faults say so (a bad-record test case)

    @property
    def captured(self) -> bool:
        return self.outcome == "succeeded"


@dataclass(frozen=True)
class Refund:
    id: str
    charge_id: str
    intent_id: str
    created: int
    amount: int
    currency: str
    reason: str
    balance_transaction_id: str
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Dispute:
    id: str
    charge_id: str
    intent_id: str
    created: int
    amount: int
    currency: str
    reason: str
    status: str  # needs_response | under_review | won | lost | warning_closed
    brand: str
    evidence_due_by: int
    balance_transaction_ids: tuple[str, ...]  # the withdrawal, then any reinstatement
    closed_at: int | None


@dataclass(frozen=True)
class FeeDetail:
    amount: int
    currency: str
    description: str
    type: str = "stripe_fee"


@dataclass(frozen=True)
class BalanceTransaction:
    id: str
    type: str  # charge | refund | adjustment | payout | stripe_fee
    reporting_category: str
    created: int
    available_on: int
    amount: int
    fee: int
    currency: str  # the balance's currency (the charge's, or USD where Stripe converted)
    source_id: str | None
    description: str | None
    exchange_rate: float | None = None
    fee_details: tuple[FeeDetail, ...] = ()

    @property
    def net(self) -> int:
        return self.amount - self.fee


@dataclass(frozen=True)
class Payout:
    id: str
    created: int
    arrival_date: int
    amount: int
    currency: str
    balance_transaction_id: str
    destination_id: str
    contents: tuple[str, ...]  # the balance transactions it pays out, its own included


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    created: int
    kind: str  # the object type it carries: charge | refund | dispute | payout | payment_intent
    object_id: str
    previous_attributes: dict[str, object] | None = None
    automatic: bool = False  # raised by Stripe itself (no API request behind it)
