"""Finding a page of orders without generating the store.

Generated orders are in index order by creation date, id *and* modification date (order i is last
modified before order i + 1 is created), so date filters become an index range and sorting by date,
id or modified is index order. Orders changed since (the store's overlay, few) are "extras": they are
left out of the range (as "holes") and merged back by their real values. Filters that need an order's
content (status, customer, product, search) scan the range once; status/customer/product facets of
generated orders are cached since generated orders never change.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple, Protocol

from ledgerlink.sandbox.dataset import Order, Store
from ledgerlink.sandbox.woocommerce.orders import woo_status
from ledgerlink.sandbox.woocommerce.wire import DateRange, to_second

ORDER_ID_BASE = 100_000


@dataclass(frozen=True)
class OrderFilter:
    dates: DateRange = field(default_factory=DateRange)
    statuses: frozenset[str] | None = None  # None: any
    include: tuple[int, ...] = ()
    exclude: frozenset[int] = frozenset()
    customer: int | None = None
    product: int | None = None
    search: str | None = None
    orderby: str = "date"  # date | id | modified | include | title | slug
    descending: bool = True

    @property
    def needs_content(self) -> bool:
        return bool(self.statuses or self.customer is not None or self.product is not None or self.search)


class Facets(NamedTuple):
    status: str
    customer_id: int
    products: frozenset[int]


def facets_of(order: Order) -> Facets:
    return Facets(
        woo_status(order),
        order.customer_id or 0,
        frozenset({line.product_id for line in order.lines} | {line.variant_id for line in order.lines}),
    )


def haystack(order: Order) -> str:
    parts = [str(order.number), str(order.id), order.email, order.note]
    for address in (order.billing, order.shipping):
        parts += [
            address.first_name,
            address.last_name,
            address.company,
            address.line1,
            address.city,
            address.postal_code,
            address.phone,
        ]
    parts += [line.title for line in order.lines] + [line.sku for line in order.lines]
    return " ".join(parts).casefold()


def modified(order: Order) -> datetime:
    return to_second(order.updated_at)


class IndexSequence(Protocol):
    def __len__(self) -> int: ...
    def __getitem__(self, rank: int) -> int: ...
    def rank(self, index: int) -> int:
        """How many elements are below `index`."""
        ...


@dataclass(frozen=True)
class IndexRun:
    """The indexes lo..hi-1 except `holes` (sorted, all inside the run): no list is built."""

    lo: int
    hi: int
    holes: tuple[int, ...]

    def __len__(self) -> int:
        return max(0, self.hi - self.lo - len(self.holes))

    def _count_le(self, value: int) -> int:
        return value - self.lo + 1 - bisect_right(self.holes, value)

    def __getitem__(self, rank: int) -> int:
        start = self.lo + rank
        if not self.holes:  # nothing changed since generation (a sync's every page): no search
            return start
        return start + bisect_left(range(start, start + len(self.holes) + 1), rank + 1, key=self._count_le)

    def rank(self, index: int) -> int:
        clamped = min(max(index, self.lo), self.hi)
        return clamped - self.lo - bisect_left(self.holes, clamped)


class IndexList(list[int]):
    def rank(self, index: int) -> int:
        return bisect_left(self, index)


class OrderFinder:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._facets: dict[int, Facets] = {}

    # -- index arithmetic over generated orders ------------------------------------------------

    def _first_created_after(self, when: datetime, inclusive: bool) -> int:
        """First index created after `when` (or at it, if inclusive)."""
        start, step = self.store.start, self.store.step
        if when < start or (inclusive and when == start):
            return 0
        whole, rest = divmod(when - start, step)
        first = whole + (0 if inclusive and not rest else 1)
        return min(first, self.store.orders_count)

    def _first_generated(self, since: datetime, before: Callable[[Order], bool], overlay: dict[int, Order]) -> int:
        """First index (overlay ones aside) whose generated order is not `before` the point at `since`.
        Store.index_updated_since gives a start no later than that; a few orders decide the rest."""
        index = self.store.index_updated_since(since)
        while index < self.store.orders_count and (index in overlay or before(self.store.order(index))):
            index += 1
        return index

    def _range(self, dates: DateRange, overlay: dict[int, Order]) -> tuple[int, int]:
        lo, hi = 0, self.store.orders_count
        if dates.after is not None:
            lo = max(lo, self._first_created_after(dates.after, inclusive=False))
        if dates.before is not None:
            hi = min(hi, self._first_created_after(dates.before, inclusive=True))
        if (since := dates.modified_after) is not None:
            lo = max(lo, self._first_generated(since, lambda o: modified(o) <= since, overlay))
        if (until := dates.modified_before) is not None:
            hi = min(hi, self._first_generated(until, lambda o: modified(o) < until, overlay))
        return lo, max(lo, hi)

    # -- content filters -----------------------------------------------------------------------

    def _facets_at(self, index: int) -> Facets:
        if index not in self._facets:
            self._facets[index] = facets_of(self.store.order(index))
        return self._facets[index]

    @staticmethod
    def _facets_ok(f: OrderFilter, facets: Facets) -> bool:
        return (
            (f.statuses is None or facets.status in f.statuses)
            and (f.customer is None or facets.customer_id == f.customer)
            and (f.product is None or f.product in facets.products)
        )

    @staticmethod
    def _search_ok(f: OrderFilter, order: Order) -> bool:
        return not f.search or f.search.casefold() in haystack(order)

    def _extras(self, f: OrderFilter, overlay: dict[int, Order]) -> list[Order]:
        include = set(f.include)
        return [
            o
            for o in overlay.values()
            if (not include or o.id in include)
            and o.id not in f.exclude
            and f.dates.admits(o.created_at, o.updated_at)
            and self._facets_ok(f, facets_of(o))
            and self._search_ok(f, o)
        ]

    def _index_ok(self, f: OrderFilter, index: int) -> bool:
        return self._facets_ok(f, self._facets_at(index)) and (
            not f.search or self._search_ok(f, self.store.order(index))
        )

    def _base(self, f: OrderFilter, overlay: dict[int, Order]) -> IndexSequence:
        lo, hi = self._range(f.dates, overlay)
        skip = set(overlay) | {order_id - ORDER_ID_BASE for order_id in f.exclude}
        if f.include:
            wanted = {order_id - ORDER_ID_BASE for order_id in f.include} - skip
            candidates: Sequence[int] = sorted(i for i in wanted if lo <= i < hi)
        elif f.needs_content:
            candidates = [i for i in range(lo, hi) if i not in skip]
        else:
            return IndexRun(lo, hi, tuple(sorted(i for i in skip if lo <= i < hi)))
        return IndexList(i for i in candidates if not f.needs_content or self._index_ok(f, i))

    # -- ordering and paging -------------------------------------------------------------------

    def _base_before(self, f: OrderFilter, base: IndexSequence, extra: Order, overlay: dict[int, Order]) -> int:
        """How many base orders sort before `extra` (ascending; ties broken by id, as WooCommerce adds ID)."""
        if f.orderby != "modified":
            return base.rank(extra.id - ORDER_ID_BASE)
        key = (modified(extra), extra.id)
        boundary = self._first_generated(key[0], lambda o: (modified(o), o.id) < key, overlay)
        return base.rank(boundary)

    def find(self, f: OrderFilter, start: int, count: int) -> tuple[Iterator[Order], int]:
        """Orders [start, start + count) of the filtered, sorted result, and the result's size. The orders
        are generated as they are iterated (at once, before the store changes), so a page's hundred
        orders never all live at once: each is rendered and dropped in turn."""
        overlay = {o.id - ORDER_ID_BASE: o for o in self.store.changed_orders()}
        extras = self._extras(f, overlay)
        if f.orderby == "include":
            return self._by_include(f, extras, overlay, start, count)
        base = self._base(f, overlay)
        sort_key: Callable[[Order], tuple[datetime | int, ...]] = (
            (lambda o: (modified(o), o.id)) if f.orderby == "modified" else (lambda o: (o.id,))
        )
        extras.sort(key=sort_key)
        positions = [n + self._base_before(f, base, extra, overlay) for n, extra in enumerate(extras)]
        total = len(base) + len(extras)
        ranks = range(start, min(start + count, total))
        return (self._at(total - 1 - r if f.descending else r, base, extras, positions) for r in ranks), total

    def _at(self, rank: int, base: IndexSequence, extras: list[Order], positions: list[int]) -> Order:
        n = bisect_left(positions, rank)
        if n < len(positions) and positions[n] == rank:
            return extras[n]
        return self.store.order(base[rank - n])

    def _by_include(
        self, f: OrderFilter, extras: list[Order], overlay: dict[int, Order], start: int, count: int
    ) -> tuple[Iterator[Order], int]:
        found = {o.id: o for o in extras} | {o.id: o for o in map(self.store.order, self._base(f, overlay))}
        ordered = [found[i] for i in dict.fromkeys(f.include) if i in found]
        return iter(ordered[start : start + count]), len(ordered)
