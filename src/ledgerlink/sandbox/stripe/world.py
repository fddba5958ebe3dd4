"""The simulated Stripe account as a whole: every object, found by id, listed newest first.

Built once, on the first request that needs it, from the shared dataset (so a sandbox of 100,000
orders costs nothing until Stripe is asked). `now` is the account's present: the last moment anything
happened, so what is "pending" or "in transit" is decided by the data, never by the wall clock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, Generic, TypeVar

from ledgerlink.sandbox.dataset import Store
from ledgerlink.sandbox.stripe import balance, charges, events
from ledgerlink.sandbox.stripe.facts import BalanceTransaction, Charge, Dispute, Event, Payout, Refund

T = TypeVar("T")


class Collection(Generic[T]):
    """Objects of one kind, newest first (ties: the later made is the newer), and by id."""

    def __init__(self, items: list[T], key: Callable[[T], str] = attrgetter("id")) -> None:
        made_order = sorted(range(len(items)), key=lambda n: (_created(items[n]), n), reverse=True)
        self.items = [items[n] for n in made_order]
        self.position = {key(item): n for n, item in enumerate(self.items)}

    def get(self, object_id: str) -> T | None:
        n = self.position.get(object_id)
        return None if n is None else self.items[n]


def _created(item: Any) -> int:
    return int(item.created)


@dataclass
class World:
    seed: int
    now: int
    charges: Collection[Charge]
    refunds: Collection[Refund]
    disputes: Collection[Dispute]
    balance_transactions: Collection[BalanceTransaction]
    payouts: Collection[Payout]
    events: Collection[Event]
    refunds_of: dict[str, list[Refund]]
    dispute_of: dict[str, Dispute]
    payout_of: dict[str, str]  # balance transaction id -> the payout that paid it out
    intents: Collection[Charge]  # each charge by its PaymentIntent's id (one charge per intent here)
    serve_malformed: bool = True  # render the dataset's malformed charges broken (the faults decide)

    @classmethod
    def build(cls, store: Store) -> World:
        paid = charges.order_payments(store)
        moments = [p.charge.created for p in paid] + [r.created for p in paid for r in p.refunds]
        moments += [t for p in paid if p.dispute for t in (p.dispute.created, p.dispute.closed_at) if t]
        now = max(moments, default=int(store.start.timestamp()))
        entries = balance.movements(store.seed, paid, now)
        made = balance.payouts(store.seed, entries, now)
        payouts = [payout for payout, _ in made]
        refunds_of: dict[str, list[Refund]] = defaultdict(list)
        for refund in (r for p in paid for r in p.refunds):
            refunds_of[refund.charge_id].append(refund)
        return cls(
            seed=store.seed,
            now=now,
            charges=Collection([p.charge for p in paid]),
            refunds=Collection([r for p in paid for r in p.refunds]),
            disputes=Collection([p.dispute for p in paid if p.dispute]),
            balance_transactions=Collection(entries + [debit for _, debit in made]),
            payouts=Collection(payouts),
            events=Collection(events.events(store.seed, paid, payouts, now)),
            refunds_of=dict(refunds_of),
            dispute_of={p.charge.id: p.dispute for p in paid if p.dispute},
            payout_of={entry: payout.id for payout in payouts for entry in payout.contents},
            intents=Collection([p.charge for p in paid], key=attrgetter("intent_id")),
        )

    def collection(self, kind: str) -> Collection[Any]:
        return {
            "charge": self.charges,
            "refund": self.refunds,
            "dispute": self.disputes,
            "balance_transaction": self.balance_transactions,
            "payout": self.payouts,
            "event": self.events,
            "payment_intent": self.intents,
        }[kind]

    def refunded(self, charge_id: str, at: int) -> int:
        return sum(r.amount for r in self.refunds_of.get(charge_id, ()) if r.created <= at)
