"""BigCommerce orders read as a sync request filters them, and counted before the first page.

v2 `GET /v2/orders` filters by one `status_id` at a time, and has no fulfilment filter at all: a
fulfilment status is a set of order statuses too. So the request's `orderStatus` and `fulfillmentStatus`
words become the statuses both allow (each word a set of statuses, words of one filter adding up), and
the stream reads one status after another, each a keyset walk of its own (framework.rest); its token
says which status it is on and where in it. Without filters it is a single walk over every status.

Words are the hub's own first (an order's status, financial or fulfilment status as canonical records
spell them: `cancelled` is Cancelled and Declined), then words other platforms use (`processing`,
`delivered`), then BigCommerce's status names and ids, each exactly that status. `all`/`any` lifts the
filter; an unknown word fails the run with the words it knows.

`GET /v2/orders/count` takes the same date filters and answers per status, so one request gives the
run's `ordersToProcess` (the page's `total`, as WooCommerce's X-WP-Total does) for any set of statuses,
and the size of a run over every status that is cut into slices read apart (`cut`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from ledgerlink.canonical.records import CanonicalRecord
from ledgerlink.connectors.bigcommerce.mappers import ORDER_STATUS
from ledgerlink.connectors.framework.rest import RestStream
from ledgerlink.connectors.framework.stream import Cuts, Page
from ledgerlink.connectors.framework.window import SyncWindow
from ledgerlink.errors import ConfigurationError
from ledgerlink.upstream.client import UpstreamClient

COUNT_PATH = "/v2/orders/count"
STATUS_NAMES = {
    0: "Incomplete",
    1: "Pending",
    2: "Shipped",
    3: "Partially Shipped",
    4: "Refunded",
    5: "Cancelled",
    6: "Declined",
    7: "Awaiting Payment",
    8: "Awaiting Pickup",
    9: "Awaiting Shipment",
    10: "Completed",
    11: "Awaiting Fulfillment",
    12: "Manual Verification Required",
    13: "Disputed",
    14: "Partially Refunded",
}
EVERYTHING = frozenset({"all", "any"})


def _word(value: Any) -> str:
    return re.sub(r"[\s\-]+", "_", str(value).strip().lower())


def _where(test: Callable[[str, str], bool]) -> frozenset[int]:
    return frozenset(sid for sid, (status, financial) in ORDER_STATUS.items() if test(status, financial))


# The hub's words (canonical Order.status and financial_status), then other platforms' common ones.
ORDER_WORDS: dict[str, frozenset[int]] = {
    **{s: _where(lambda status, _, s=s: status == s) for s in ("open", "closed", "cancelled")},
    **{f: _where(lambda _, financial, f=f: financial == f) for f in ("pending", "paid", "refunded", "voided")},
    "partially_refunded": _where(lambda _, financial: financial == "partially_refunded"),
    "authorized": frozenset(),  # BigCommerce has no status for these: they select nothing
    "partially_paid": frozenset(),
    "processing": frozenset({8, 9, 11}),  # paid, not yet shipped (WooCommerce's word)
    "delivered": frozenset({2, 10}),  # Amazon's word: shipped or completed
}
# Fulfilment as canonical records spell it (and its synonyms): which statuses hold orders in that state.
FULFILLMENT_WORDS: dict[str, frozenset[int]] = {
    "unfulfilled": frozenset({1, 7, 8, 9, 11, 12}),
    "partial": frozenset({3}),
    "partially_fulfilled": frozenset({3}),
    "partially_shipped": frozenset({3}),
    "fulfilled": frozenset({2, 10}),
    "shipped": frozenset({2, 10}),
    "restocked": frozenset(),
}
STATUS_WORDS = {_word(name): frozenset({sid}) for sid, name in STATUS_NAMES.items()}


def _statuses(words: Any, known: dict[str, frozenset[int]], filter_name: str) -> frozenset[int] | None:
    """The statuses a filter's words stand for; None when it does not filter."""
    if words is None or words == []:
        return None
    words = [words] if isinstance(words, str) else list(words)
    found: set[int] = set()
    for raw in words:
        word = _word(raw)
        if word in EVERYTHING:
            return None
        if word.isdigit() and int(word) in STATUS_NAMES:
            found.add(int(word))
        elif word in known:
            found |= known[word]
        elif word in STATUS_WORDS:
            found |= STATUS_WORDS[word]
        else:
            raise ConfigurationError(
                f"'{raw}' is not a BigCommerce {filter_name}",
                {filter_name: raw, "known": sorted({*known, *STATUS_WORDS})},
            )
    return frozenset(found)


def order_statuses(filters: dict[str, Any]) -> list[int] | None:
    """The status ids a window's filters select, in id order; None: every status (no filter)."""
    chosen = [
        _statuses(filters.get("orderStatus"), ORDER_WORDS, "orderStatus"),
        _statuses(filters.get("fulfillmentStatus"), FULFILLMENT_WORDS, "fulfillmentStatus"),
    ]
    sets = [s for s in chosen if s is not None]
    if not sets:
        return None
    return sorted(frozenset.intersection(*sets))


def _count_of(body: Any, statuses: Iterable[int] | None) -> int | None:
    """The orders `GET /v2/orders/count` counted for these statuses (all of them: its `count`)."""
    if not isinstance(body, dict):
        return None
    if statuses is None:
        count = body.get("count")
        return int(count) if isinstance(count, int | float) and not isinstance(count, bool) else None
    wanted = set(statuses)
    counts = [s.get("count") for s in body.get("statuses") or [] if isinstance(s, dict) and s.get("id") in wanted]
    if not all(isinstance(c, int) and not isinstance(c, bool) for c in counts):
        return None
    return sum(counts)


@dataclass(frozen=True)
class OrdersByStatus:
    """The orders stream: `walk` (every status), or one walk per status the filters select."""

    walk: RestStream
    format_time: Callable[[datetime], str]

    @property
    def name(self) -> str:
        return self.walk.name

    @property
    def resource_type(self) -> str:
        return self.walk.resource_type

    def external_id(self, raw: Any) -> str:
        return self.walk.external_id(raw)

    def updated_at(self, raw: Any) -> datetime | None:
        return self.walk.updated_at(raw)

    def map(self, raw: Any) -> CanonicalRecord:
        return self.walk.map(raw)

    def _status_walk(self, status: int | None) -> RestStream:
        if status is None:
            return self.walk
        return replace(self.walk, static_params={**self.walk.static_params, "status_id": status})

    async def count(self, client: UpstreamClient, window: SyncWindow, statuses: list[int] | None) -> int | None:
        """How many orders the window holds in these statuses (None if BigCommerce does not say)."""
        params: dict[str, Any] = {}
        if window.since is not None and self.walk.since_param:
            params[self.walk.since_param] = self.format_time(window.since)
        if window.until is not None and self.walk.until_param:
            params[self.walk.until_param] = self.format_time(window.until)
        return _count_of((await client.get(COUNT_PATH, **params)).data, statuses)

    async def cut(self, client: UpstreamClient, window: SyncWindow, parts: int, at_least: int) -> Cuts | None:
        """Slices of the walk over every status, counted by /v2/orders/count. A run read status by
        status is not cut: each status is a walk of its own."""
        if order_statuses(window.filters) is not None:
            return None
        return await self.walk.cut_at(client, window, await self.count(client, window, None), parts, at_least)

    async def read_page(self, client: UpstreamClient, window: SyncWindow, token: dict[str, Any] | None) -> Page:
        statuses = order_statuses(window.filters)
        total = await self.count(client, window, statuses) if token is None else None
        if statuses == []:
            return Page([], None, total)  # the filters exclude each other: nothing to read
        part = int((token or {}).get("status", 0))
        walk = self._status_walk(statuses[part] if statuses else None)
        page = await walk.read_page(client, window, (token or {}).get("walk"))
        if page.next_token is not None:
            next_token: dict[str, Any] | None = {"status": part, "walk": page.next_token}
        elif statuses and part + 1 < len(statuses):
            next_token = {"status": part + 1}
        else:
            next_token = None
        return Page(page.records, next_token, total)
