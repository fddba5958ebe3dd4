"""A stream: how to read one kind of upstream record, page by page, and what each record means."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ledgerlink.canonical.records import CanonicalRecord
from ledgerlink.connectors.framework.window import SyncWindow
from ledgerlink.upstream.client import UpstreamClient

# Completing records with their sub-resources: one record at a time, or a whole page at once (in batch).
EnrichRecord = Callable[[UpstreamClient, Any], Awaitable[Any]]
EnrichPage = Callable[[UpstreamClient, list[Any]], Awaitable[list[Any]]]


async def enrich_each(enrich: EnrichRecord, client: UpstreamClient, records: list[Any], concurrency: int) -> list[Any]:
    """Each record's sub-resources, fetched a few at a time and returned in the page's order: one at a
    time, a page with many refunds waits for every round trip in turn."""
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(record: Any) -> Any:
        async with gate:
            return await enrich(client, record)

    return list(await asyncio.gather(*(one(r) for r in records)))


@dataclass(frozen=True)
class Page:
    records: list[Any]
    # An opaque, JSON-serialisable resume token for the next page; None when the stream is exhausted.
    next_token: dict[str, Any] | None
    total: int | None = None  # how many records the whole read covers, where the upstream says


class Stream(Protocol):
    name: str  # orders | products | customers | locations | inventory
    resource_type: str  # the canonical type its records load into

    async def read_page(self, client: UpstreamClient, window: SyncWindow, token: dict[str, Any] | None) -> Page:
        """One page from `token` (None: the first page). Must be resumable from any token it returned."""
        ...

    def external_id(self, raw: Any) -> str: ...

    def updated_at(self, raw: Any) -> datetime | None: ...

    def map(self, raw: Any) -> CanonicalRecord:
        """The canonical record; raises (ValueError, KeyError, TypeError, ValidationError) on a bad one."""
        ...


@dataclass(frozen=True)
class Cuts:
    """Where a window may be cut into slices of about equal size: `total` records in the window, and the
    updated-at each later slice starts at (ascending; a slice is [one cut, the next)). No cuts: one slice."""

    total: int
    at: tuple[datetime, ...]


# What a stream may declare beyond the protocol (read through these functions; absent means the default):
#   cut(client, window, parts, at_least) -> Cuts | None: where to cut the window into up to `parts`
#       slices of at least `at_least` records each, read apart (None: it cannot say, the run is one slice)
#   cursor_on_success_only: its reads are newest first, so a run's pages cannot move the stream cursor
#       as they commit (a run failing after its first page would skip everything older next time);
#       the cursor moves once the run has read everything, to the newest record the run committed.
#   updated_at_is_version: False when `updated_at` is not a modification time (Stripe objects have
#       only their creation time): good enough for the cursor, but no way to tell an older copy of a
#       record from a newer one, so a changed copy is never refused as stale.


async def read_all(stream: Any, client: UpstreamClient, window: SyncWindow) -> list[Any]:
    """Every record of the window, page after page (for sub-resources a record is completed with)."""
    found: list[Any] = []
    token: dict[str, Any] | None = None
    while True:
        page = await stream.read_page(client, window, token)
        found += page.records
        if page.next_token is None:
            return found
        token = page.next_token


def cursor_on_success_only(stream: Any) -> bool:
    return bool(getattr(stream, "cursor_on_success_only", False))


def updated_at_is_version(stream: Any) -> bool:
    return bool(getattr(stream, "updated_at_is_version", True))


def can_cut(stream: Any) -> bool:
    return callable(getattr(stream, "cut", None))


def fingerprint(stream: Any, raw: Any) -> Any:
    """What a record's change is judged by (its payload hash): the whole raw record, unless the stream
    narrows it to the record's own data (a Shopify order's embedded customer is the customer's)."""
    narrow = getattr(stream, "fingerprint", None)
    return narrow(raw) if narrow is not None else raw


def dig(value: Any, path: str | None) -> Any:
    """`dig(doc, "data.orders")`: follow dotted keys (None or "" is the document itself)."""
    if not path:
        return value
    for key in path.split("."):
        value = value[key] if isinstance(value, Mapping) else value[int(key)]
    return value


@dataclass(frozen=True)
class RecordParts:
    """The declarative half every stream shares: where ids and timestamps are, and the mapper."""

    id_field: str
    updated_field: str | None
    parse_time: Callable[[Any], datetime | None]
    mapper: Callable[[Any], CanonicalRecord]

    def external_id(self, raw: Any) -> str:
        return str(dig(raw, self.id_field))

    def updated_at(self, raw: Any) -> datetime | None:
        if self.updated_field is None:
            return None
        try:
            return self.parse_time(dig(raw, self.updated_field))
        except (KeyError, IndexError, TypeError, ValueError):
            return None

    def map(self, raw: Any) -> CanonicalRecord:
        return self.mapper(raw)
