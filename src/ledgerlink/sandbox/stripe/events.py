"""The account's event log: what Stripe would have announced, when, about which object.

Each event names its object and the moment it happened; the object is rendered as it stood at that
moment (a `charge.succeeded` shows no refund even if one came later), as Stripe's snapshots do.
"""

from __future__ import annotations

from collections.abc import Iterable

from ledgerlink.sandbox.stripe.charges import OrderPayments
from ledgerlink.sandbox.stripe.facts import Event, Payout
from ledgerlink.sandbox.stripe.ids import object_id


def _event(
    seed: int,
    type_: str,
    created: int,
    kind: str,
    subject: str,
    previous_attributes: dict[str, object] | None = None,
    automatic: bool = False,
) -> Event:
    event_id = object_id("evt", seed, type_, subject, created)
    return Event(event_id, type_, created, kind, subject, previous_attributes, automatic)


def _charge_events(seed: int, paid: OrderPayments) -> Iterable[Event]:
    charge = paid.charge
    if charge.outcome == "failed":
        yield _event(seed, "charge.failed", charge.created, "charge", charge.id)
        yield _event(seed, "payment_intent.payment_failed", charge.created, "payment_intent", charge.intent_id)
        return
    yield _event(seed, "charge.succeeded", charge.created, "charge", charge.id)
    if charge.captured:
        yield _event(seed, "payment_intent.succeeded", charge.created, "payment_intent", charge.intent_id)
    elif charge.released_at is not None:
        yield _event(seed, "payment_intent.canceled", charge.released_at, "payment_intent", charge.intent_id)
    refunded = 0
    for refund in paid.refunds:
        before = {"amount_refunded": refunded, "refunded": False}
        refunded += refund.amount
        yield _event(seed, "charge.refunded", refund.created, "charge", charge.id, previous_attributes=before)
        yield _event(seed, "refund.created", refund.created, "refund", refund.id)
    if paid.dispute is not None:
        yield _event(seed, "charge.dispute.created", paid.dispute.created, "dispute", paid.dispute.id)
        if paid.dispute.closed_at is not None:
            yield _event(seed, "charge.dispute.closed", paid.dispute.closed_at, "dispute", paid.dispute.id)


def _payout_events(seed: int, payout: Payout, horizon: int) -> Iterable[Event]:
    yield _event(seed, "payout.created", payout.created, "payout", payout.id, automatic=True)
    if payout.arrival_date <= horizon:
        before = {"status": "in_transit"}
        yield _event(
            seed, "payout.paid", payout.arrival_date, "payout", payout.id, previous_attributes=before, automatic=True
        )


def events(seed: int, paid: list[OrderPayments], payouts: list[Payout], horizon: int) -> list[Event]:
    found = [e for p in paid for e in _charge_events(seed, p)]
    found += [e for payout in payouts for e in _payout_events(seed, payout, horizon)]
    return found
