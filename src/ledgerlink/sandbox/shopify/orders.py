"""The `orders` connection over a store of (up to) 100,000 orders generated on demand.

Generated orders are created and updated in index order, so sorting by ID, CREATED_AT or UPDATED_AT and
`created_at`/`updated_at` ranges are index arithmetic; orders changed since (the store's overlay) are
merged in by their own sort key. Other filters are applied while walking, so only the orders a page
shows (and those skipped by a non-time filter) are ever generated.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterator
from datetime import datetime
from itertools import islice

from ledgerlink.sandbox.dataset import Order, Store
from ledgerlink.sandbox.shopify.paging import Key
from ledgerlink.sandbox.shopify.search import ANY, Search, SearchFields

ORDER_ID_BASE = 100_000
FULFILLMENT_SEARCH = {
    "unfulfilled": ["unfulfilled", "unshipped"],
    "partial": ["partial", "partially_fulfilled"],
    "fulfilled": ["fulfilled", "shipped"],
}

ORDER_SEARCH = SearchFields(
    fields={
        "id": lambda o: o.id,
        "name": lambda o: [f"#{o.number}", str(o.number)],
        "email": lambda o: o.email,
        "status": lambda o: [o.status, ANY],
        "financial_status": lambda o: [o.financial_status, ANY],
        "fulfillment_status": lambda o: [*FULFILLMENT_SEARCH[o.fulfillment_status], ANY],
        "created_at": lambda o: o.created_at,
        "processed_at": lambda o: o.created_at,
        "updated_at": lambda o: o.updated_at,
        "tag": lambda o: list(o.tags),
        "sku": lambda o: [line.sku for line in o.lines],
        "customer_id": lambda o: o.customer_id,
        "discount_code": lambda o: o.discount_code,
        "currency": lambda o: o.presentment_currency,
        "test": lambda o: False,
    },
    text=lambda o: [f"#{o.number}", o.email, o.billing.first_name, o.billing.last_name],
)

# sortKey -> (key of an order, whether the sort value is a datetime)
ORDER_SORTS: dict[str, tuple[Callable[[Order], Key], bool]] = {
    "ID": (lambda o: (o.id, o.id), False),
    "ORDER_NUMBER": (lambda o: (o.id, o.id), False),
    "CREATED_AT": (lambda o: (o.created_at, o.id), True),
    "PROCESSED_AT": (lambda o: (o.created_at, o.id), True),
    "UPDATED_AT": (lambda o: (o.updated_at, o.id), True),
}
TIME_FIELDS = ("created_at", "processed_at", "updated_at")


class OrdersSource:
    """Orders in `sort_key` order matching a search; unsupported sort keys fall back to ID."""

    def __init__(self, store: Store, sort_key: str | None, search: Search) -> None:
        self.store = store
        self.key, self.time_sorted = ORDER_SORTS.get(sort_key or "ID", ORDER_SORTS["ID"])
        self.matcher = search.matcher(ORDER_SEARCH)
        self.lo, self.hi = 0, store.orders_count - 1
        for field in TIME_FIELDS:
            lower, upper = search.bounds(field)
            if lower is not None:
                self.lo = max(self.lo, store.index_updated_since(lower))
            if upper is not None:
                self.hi = min(self.hi, self._index_created_by(upper))

    def walk(self, after: Key | None, descending: bool) -> Iterator[Order]:
        lo, hi = self._window(after, descending)
        changed = self.store.changed_orders()
        skip = {order.id for order in changed}
        indices = range(hi, lo - 1, -1) if descending else range(lo, hi + 1)
        generated = (order for order in map(self.store.order, indices) if order.id not in skip)
        overlay = sorted(changed, key=self.key, reverse=descending)
        for order in heapq.merge(generated, overlay, key=self.key, reverse=descending):
            if after is not None and not (self.key(order) < after if descending else self.key(order) > after):
                continue
            if self.matcher is None or self.matcher(order):
                yield order

    def count(self, limit: int) -> int:
        if self.matcher is None:
            return min(limit, self.store.orders_count)
        return sum(1 for _ in islice(self.walk(None, False), limit))

    def _window(self, after: Key | None, descending: bool) -> tuple[int, int]:
        """Generated indices that can follow the cursor (a coarse bound; keys are compared exactly)."""
        lo, hi = self.lo, self.hi
        if after is None:
            return lo, hi
        value = after[0]
        if isinstance(value, datetime):
            edge_lo, edge_hi = self.store.index_updated_since(value), self._index_created_by(value)
        else:
            edge_lo = edge_hi = int(value) - ORDER_ID_BASE
        return (lo, min(hi, edge_hi)) if descending else (max(lo, edge_lo), hi)

    def _index_created_by(self, moment: datetime) -> int:
        """The last index created at or before `moment` (updated_at >= created_at, so also an upper bound)."""
        return math.floor((moment - self.store.start) / self.store.step)
