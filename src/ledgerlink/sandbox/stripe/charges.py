"""Orders paid through Stripe: one charge per order (failed, released or captured), its refunds and disputes.

Derived from the shared dataset, so the Stripe account pays for the very orders the commerce sandboxes
serve: each charge carries the order in its metadata (`order_id`, `order_number`, `source`) the way a
shop's Stripe plugin writes it, except a few that only say so in the description. Amounts are the
order's presentment total in Stripe's minor units (three-decimal currencies in tens, as Stripe takes them).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ledgerlink.canonical.money import exponent, to_minor
from ledgerlink.sandbox.dataset import Order, Store
from ledgerlink.sandbox.stripe import facts
from ledgerlink.sandbox.stripe.ids import object_id, token

DAY = 86_400
STRIPE_SHARE = 0.75  # orders paid through Stripe; the rest went through other gateways
DESCRIPTION_ONLY = 0.1  # charges whose order is named only in the description, not the metadata
DISPUTE_SHARE = 0.03
SOURCES = ("shopify", "woocommerce", "bigcommerce")
CARDS = (("visa", "credit"), ("visa", "debit"), ("mastercard", "credit"), ("amex", "credit"))
DISPUTE_REASONS = ("fraudulent", "product_not_received", "product_unacceptable", "duplicate", "general")
DISPUTE_OUTCOMES = ("needs_response", "under_review", "won", "lost", "warning_closed")


def unix(moment: datetime) -> int:
    return int(moment.timestamp())


def stripe_minor(amount: Decimal, currency: str) -> int:
    """`Decimal("12.5"), "KWD"` -> 12500: ISO minor units, three-decimal currencies rounded to tens."""
    minor = to_minor(amount, currency)
    return (minor + 5) // 10 * 10 if exponent(currency) == 3 else minor


@dataclass(frozen=True)
class OrderPayments:
    index: int
    charge: facts.Charge
    refunds: tuple[facts.Refund, ...]
    dispute: facts.Dispute | None


def _card(rnd: random.Random, seed: int, order: Order) -> facts.Card:
    brand, funding = CARDS[rnd.randrange(len(CARDS))]
    return facts.Card(
        brand=brand,
        last4=f"{rnd.randrange(10_000):04d}",
        exp_month=rnd.randint(1, 12),
        exp_year=order.created_at.year + rnd.randint(1, 5),
        country=order.billing.country_code,
        funding=funding,
        fingerprint=token(seed, "fingerprint", order.email, length=16),
    )


def _outcome(order: Order) -> str:
    if order.financial_status == "pending":
        return "failed"
    return "released" if order.cancelled_at else "succeeded"


def _metadata(rnd: random.Random, order: Order, index: int) -> dict[str, str]:
    if rnd.random() < DESCRIPTION_ONLY:
        return {}
    return {"order_id": str(order.id), "order_number": str(order.number), "source": SOURCES[index % len(SOURCES)]}


def _charge(rnd: random.Random, seed: int, order: Order, index: int) -> facts.Charge:
    outcome = _outcome(order)
    return facts.Charge(
        id=object_id("ch", seed, index),
        intent_id=object_id("pi", seed, index),
        payment_method_id=object_id("pm", seed, index),
        created=unix(order.created_at) + 20,
        amount=stripe_minor(order.presentment(order.total), order.presentment_currency),
        currency=order.presentment_currency.lower(),
        outcome=outcome,
        description=f"Order #{order.number}",
        metadata=_metadata(rnd, order, index),
        customer_id=object_id("cus", seed, order.customer_id) if order.customer_id else None,
        email=order.email,
        billing=order.billing,
        card=_card(rnd, seed, order),
        balance_transaction_id=object_id("txn", seed, "charge", index) if outcome == "succeeded" else None,
        released_at=unix(order.cancelled_at) if order.cancelled_at else None,
        malformed=order.malformed,
    )


def _refunds(seed: int, order: Order, charge: facts.Charge) -> tuple[facts.Refund, ...]:
    if not charge.captured:
        return ()
    refunds, left = [], charge.amount
    for refund in order.refunds:
        amount = min(left, stripe_minor(order.presentment(refund.amount), order.presentment_currency))
        if amount <= 0:
            continue
        left -= amount
        refunds.append(
            facts.Refund(
                id=object_id("re", seed, refund.id),
                charge_id=charge.id,
                intent_id=charge.intent_id,
                created=unix(refund.created_at),
                amount=amount,
                currency=charge.currency,
                reason="requested_by_customer",
                balance_transaction_id=object_id("txn", seed, "refund", refund.id),
                metadata={"order_id": str(order.id), "refund_id": str(refund.id)} if charge.metadata else {},
            )
        )
    return tuple(refunds)


def _dispute(rnd: random.Random, seed: int, charge: facts.Charge, refunded: int, index: int) -> facts.Dispute | None:
    if not charge.captured or refunded >= charge.amount or rnd.random() >= DISPUTE_SHARE:
        return None
    status = DISPUTE_OUTCOMES[rnd.randrange(len(DISPUTE_OUTCOMES))]
    created = charge.created + DAY * rnd.randint(5, 20)
    closed = created + DAY * 21 if status in ("won", "lost", "warning_closed") else None
    movements = () if status == "warning_closed" else (object_id("txn", seed, "dispute", index),)
    if status == "won":
        movements += (object_id("txn", seed, "dispute-won", index),)
    return facts.Dispute(
        id=object_id("dp", seed, index),
        charge_id=charge.id,
        intent_id=charge.intent_id,
        created=created,
        amount=charge.amount - refunded,
        currency=charge.currency,
        reason=DISPUTE_REASONS[rnd.randrange(len(DISPUTE_REASONS))],
        status=status,
        brand=charge.card.brand,
        evidence_due_by=created + DAY * 14,
        balance_transaction_ids=movements,
        closed_at=closed,
    )


def order_payments(store: Store) -> list[OrderPayments]:
    """Every order paid through Stripe, oldest first."""
    paid = []
    for index in range(store.orders_count):
        rnd = random.Random(f"{store.seed}:stripe:{index}")
        if rnd.random() >= STRIPE_SHARE:
            continue
        order = store.order(index)
        charge = _charge(rnd, store.seed, order, index)
        refunds = _refunds(store.seed, order, charge)
        dispute = _dispute(rnd, store.seed, charge, sum(r.amount for r in refunds), index)
        paid.append(OrderPayments(index, charge, refunds, dispute))
    return paid
