"""Relay connections as Shopify serves them: `first`/`after`, `last`/`before`, `reverse`, opaque cursors.

A source yields items in its sort order strictly after a (sort value, id) key; the connection takes one
more than asked to know whether another page exists. In a bulk operation nested connections are not
paginated and the root one is read in chunks (see bulk.py).

Shopify does not honour a cursor forever. While a shop's CursorLife has a `ttl` (None, the default:
cursors never expire and stay deterministic), root connections' cursors carry when they were issued,
and those older than the ttl are refused as Shopify refuses a cursor it no longer accepts: a GraphQL
error naming the cursor, on HTTP 200.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any, Protocol

from graphql import GraphQLError

from ledgerlink.sandbox.shopify.formats import decode_cursor, encode_cursor, invalid_cursor

MAX_PAGE = 250
Key = tuple[Any, int]


class Source(Protocol):
    def key(self, item: Any) -> Key: ...

    def walk(self, after: Key | None, descending: bool) -> Iterator[Any]:
        """Items in ascending (or descending) key order, strictly past `after`."""
        ...


@dataclass
class BulkPage:
    """How a bulk run reads the root connection: `size` items after `after`; the connection reports back."""

    after: str | None
    size: int
    next_after: str | None = None
    has_next: bool = False


class ListSource:
    """An in-memory collection, filtered and sorted once per request."""

    def __init__(
        self, items: Iterable[Any], key: Callable[[Any], Key], matcher: Callable[[Any], bool] | None = None
    ) -> None:
        self.key = key
        self.items = sorted(items if matcher is None else filter(matcher, items), key=key)

    def walk(self, after: Key | None, descending: bool) -> Iterator[Any]:
        ordered = reversed(self.items) if descending else iter(self.items)
        if after is None:
            yield from ordered
            return
        for item in ordered:
            key = self.key(item)
            if (key < after) if descending else (key > after):
                yield item


@dataclass
class CursorLife:
    """How long a root connection's cursors are honoured (`ttl` seconds; None: forever), and how many
    were refused as too old."""

    ttl: float | None = None
    now: Callable[[], float] = field(default=time.time)
    refused: int = 0

    def stamp(self) -> float | None:
        """When a cursor issued now was issued: only while cursors expire (else cursors stay deterministic)."""
        return self.now() if self.ttl is not None else None

    def check(self, cursor: str, issued: float | None) -> None:
        if self.ttl is not None and issued is not None and self.now() - issued > self.ttl:
            self.refused += 1
            raise invalid_cursor(cursor)


def decode_key(cursor: str | None, time_sorted: bool, life: CursorLife | None = None) -> Key | None:
    if cursor is None:
        return None
    value, ident, issued = decode_cursor(cursor)
    if life is not None:
        life.check(cursor, issued)
    if time_sorted:
        try:
            value = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise GraphQLError(f"Invalid cursor provided: '{cursor}'") from None
    return value, ident


def check_page_size(first: int | None, last: int | None) -> None:
    if first is None and last is None:
        raise GraphQLError("you must provide one of first or last")
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 0 <= value <= MAX_PAGE:
            raise GraphQLError(
                f"The '{name}' argument must be between 0 and {MAX_PAGE}.", extensions={"code": "BAD_REQUEST"}
            )


def connection(
    source: Source,
    args: dict[str, Any],
    bulk: BulkPage | None = None,
    root: bool = False,
    time_sorted: bool = False,
    life: CursorLife | None = None,
) -> dict[str, Any]:
    """Build `{edges, nodes, pageInfo}` from a source and the field's paging arguments; with `life`, the
    cursors carry when they were issued and an expired `after`/`before` is refused."""
    first, last, after, before = args.get("first"), args.get("last"), args.get("after"), args.get("before")
    if bulk is not None:
        first, last, before = (bulk.size, None, None) if root else (None, None, None)
        after = bulk.after if root else None
    else:
        check_page_size(first, last)
    forward = last is None
    limit = first if forward else last
    cursor = after if forward else before
    descending = bool(args.get("reverse")) != (not forward)  # walking a page backwards flips the order
    try:
        items = list(
            islice(source.walk(decode_key(cursor, time_sorted, life), descending), None if limit is None else limit + 1)
        )
    except TypeError:  # a cursor from another sort order: its value does not compare with this one's
        raise GraphQLError(f"Invalid cursor provided: '{cursor}'") from None
    more = limit is not None and len(items) > limit
    items = items[:limit]
    if not forward:
        items.reverse()
    issued = life.stamp() if life is not None else None
    cursors = [encode_cursor(*source.key(item), issued=issued) for item in items]
    page_info = {
        "hasNextPage": more if forward else before is not None,
        "hasPreviousPage": after is not None if forward else more,
        "startCursor": cursors[0] if cursors else None,
        "endCursor": cursors[-1] if cursors else None,
    }
    if bulk is not None and root:
        bulk.next_after, bulk.has_next = page_info["endCursor"], more
    return {
        "edges": [{"cursor": c, "node": n} for c, n in zip(cursors, items, strict=True)],
        "nodes": items,
        "pageInfo": page_info,
    }
