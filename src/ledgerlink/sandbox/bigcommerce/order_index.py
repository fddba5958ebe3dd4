"""Finding orders without generating them all.

The store generates order `i` on demand; its id, `date_created` and (until touched) `date_modified`
all grow with `i`. So id, created and modified filters become an index range, computed by
arithmetic plus a couple of generated orders at its edges; touched orders (the store's overlay)
are checked one by one and merged in at their place in the sort order. Only filters on what an
order contains (status, customer, e-mail, refunds) need the orders themselves: those facts are
generated once per index and cached.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from ledgerlink.sandbox.bigcommerce.query import shown, within
from ledgerlink.sandbox.bigcommerce.statuses import status_id
from ledgerlink.sandbox.dataset import Order, Store

ID_BASE = 100_000  # order `i` has id ID_BASE + i (Store.order_by_id)
SORT_FIELDS = ("id", "date_created", "date_modified", "status_id", "customer_id", "channel_id", "external_id")


class OrderFacts(NamedTuple):
    status_id: int
    customer_id: int
    email: str
    refunds: int


def facts_of(order: Order) -> OrderFacts:
    return OrderFacts(status_id(order), order.customer_id or 0, order.email, len(order.refunds))


@dataclass(frozen=True)
class OrderFilter:
    min_id: int | None = None
    max_id: int | None = None
    min_created: datetime | None = None
    max_created: datetime | None = None
    min_modified: datetime | None = None
    max_modified: datetime | None = None
    status_id: int | None = None
    customer_id: int | None = None
    email: str | None = None
    with_refunds: bool = False

    def uses_facts(self) -> bool:
        return self.with_refunds or any(v is not None for v in (self.status_id, self.customer_id, self.email))

    def facts_match(self, facts: OrderFacts) -> bool:
        return (
            (self.status_id is None or facts.status_id == self.status_id)
            and (self.customer_id is None or facts.customer_id == self.customer_id)
            and (self.email is None or facts.email.lower() == self.email.lower())
            and (not self.with_refunds or facts.refunds > 0)
        )

    def in_ranges(self, order: Order) -> bool:
        return (
            within(order.id, self.min_id, self.max_id)
            and within(shown(order.created_at), self.min_created, self.max_created)
            and within(shown(order.updated_at), self.min_modified, self.max_modified)
        )

    def matches(self, order: Order) -> bool:
        return self.in_ranges(order) and self.facts_match(facts_of(order))


class OrderIndex:
    def __init__(self, store: Store):
        self.store = store
        self._facts: dict[int, OrderFacts] = {}

    def facts(self, index: int) -> OrderFacts:
        """Facts of a generated (untouched) order, generated once."""
        if index not in self._facts:
            self._facts[index] = facts_of(self.store.order(index))
        return self._facts[index]

    def touched(self) -> dict[int, Order]:
        return {o.id - ID_BASE: o for o in self.store.changed_orders()}

    def status_counts(self, indices: Iterable[int]) -> Counter[int]:
        touched = self.touched()
        return Counter(facts_of(touched[i]).status_id if i in touched else self.facts(i).status_id for i in indices)

    def select(self, flt: OrderFilter, sort: str = "id", descending: bool = False) -> list[int]:
        """Indices of the matching orders in sort order (ties by id)."""
        touched = self.touched()
        run = self._generated_run(flt, touched)
        extras = [o for o in touched.values() if flt.matches(o)]
        if sort in {"status_id", "customer_id"}:
            indices = self._sorted_by_fact(run, extras, sort)
        else:
            indices = self._merged(run, extras, sort, touched)
        return indices[::-1] if descending else indices

    def _generated_run(self, flt: OrderFilter, touched: dict[int, Order]) -> list[int]:
        lo, hi = self._bounds(flt, touched)
        run = [i for i in range(lo, hi) if i not in touched]
        return [i for i in run if flt.facts_match(self.facts(i))] if flt.uses_facts() else run

    def _bounds(self, flt: OrderFilter, touched: dict[int, Order]) -> tuple[int, int]:
        """The index range of generated orders within the id, created and modified limits (exact)."""
        n = self.store.orders_count
        lo, hi = 0, n
        if flt.min_id is not None:
            lo = max(lo, flt.min_id - ID_BASE)
        if flt.max_id is not None:
            hi = min(hi, flt.max_id - ID_BASE + 1)
        if flt.min_created is not None:
            lo = max(lo, self._first_created_at_or_after(flt.min_created))
        if flt.max_created is not None:
            hi = min(hi, self._first_created_after(flt.max_created))
        if flt.min_modified is not None:
            lo = max(lo, self._first_modified_at_or_after(flt.min_modified, touched))
        if flt.max_modified is not None:
            hi = min(hi, self._first_modified_after(flt.max_modified, touched))
        return max(0, lo), max(0, min(hi, n))

    def _first_created_at_or_after(self, moment: datetime) -> int:
        return max(0, -((self.store.start - moment) // self.store.step))

    def _first_created_after(self, moment: datetime) -> int:
        return min(self.store.orders_count, max(0, (moment - self.store.start) // self.store.step + 1))

    def _first_modified_at_or_after(self, moment: datetime, touched: dict[int, Order]) -> int:
        """Generated modification dates grow with the index: start from the store's estimate and step
        over the few generated orders still before `moment` (touched indices are not in the run)."""
        i = self.store.index_updated_since(moment)
        while i < self.store.orders_count and (i in touched or self.store.order(i).updated_at < moment):
            i += 1
        return i

    def _first_modified_after(self, moment: datetime, touched: dict[int, Order]) -> int:
        i = self._first_created_after(moment)  # nothing is modified before it is created
        while i > 0 and (i - 1 in touched or self.store.order(i - 1).updated_at > moment):
            i -= 1
        return i

    def _merged(self, run: list[int], extras: Iterable[Order], sort: str, touched: dict[int, Order]) -> list[int]:
        """Touched orders slot into the (sorted) generated run where their sort key falls."""
        place: Callable[[Order], int]
        if sort == "date_modified":

            def place(o: Order) -> int:
                return bisect.bisect_left(run, self._first_modified_at_or_after(o.updated_at, touched))
        else:  # id, date_created (and the constant channel_id/external_id): index order

            def place(o: Order) -> int:
                return bisect.bisect_left(run, o.id - ID_BASE)

        slots = sorted((place(o), _sort_key(o, sort), o.id - ID_BASE) for o in extras)
        merged: list[int] = []
        start = 0
        for position, _, index in slots:
            merged += run[start:position]
            merged.append(index)
            start = position
        return merged + run[start:]

    def _sorted_by_fact(self, run: list[int], extras: Iterable[Order], sort: str) -> list[int]:
        keyed = [(getattr(self.facts(i), sort), i) for i in run]
        keyed += [(getattr(facts_of(o), sort), o.id - ID_BASE) for o in extras]
        return [i for _, i in sorted(keyed)]


def _sort_key(order: Order, sort: str) -> tuple[datetime | int, int]:
    if sort == "date_modified":
        return order.updated_at, order.id
    return order.id, order.id
