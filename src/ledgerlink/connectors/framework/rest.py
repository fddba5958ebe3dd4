"""Declarative REST streams with keyset paging on the upstream's updated-at filter.

Paging by page number alone loses records when the data moves during a run (an edited record jumps to
the end, the rest shift back a place). So a REST stream sorted by updated-at resumes from the last
updated-at it saw (`since`), re-reading that instant and skipping the ids it already has from it;
page numbers are used only within one instant, or for streams with no updated-at filter at all.

A window is [since, until): an upstream whose until filter includes its instant (`until_inclusive`,
BigCommerce's `max_date_modified`) has the records at that instant dropped here, so the slices of a cut
run, each ending where the next begins, never read a record twice.

A stream bounded on both sides (`since_param` and `until_param`) that says how many records a read
covers (`total_header`, or `total_at` in the body) can be cut into slices read apart (`cut`): the
record at each cut's position of the sorted listing, asked for one record a page, gives the
updated-at its slice starts at. A stream that counts another way gives its count to `cut_at`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ledgerlink.canonical.records import CanonicalRecord
from ledgerlink.connectors.framework.stream import Cuts, EnrichPage, EnrichRecord, Page, RecordParts, dig, enrich_each
from ledgerlink.connectors.framework.window import SyncWindow
from ledgerlink.upstream.client import Reply, UpstreamClient

ParamsFn = Callable[[SyncWindow], dict[str, Any]]


@dataclass(frozen=True)
class RestStream:
    name: str
    resource_type: str
    path: str  # relative to the client's base URL
    records: RecordParts
    records_at: str | None = None  # where the list is in the body (None: the body is the list)
    page_param: str = "page"
    size_param: str = "per_page"
    max_page_size: int = 100
    first_page: int = 1
    # Keyset paging: the query parameter that bounds updated-at from below, how to format it, and
    # whether the upstream treats it as exclusive (then we ask from a second earlier and dedupe).
    since_param: str | None = None
    until_param: str | None = None
    format_time: Callable[[datetime], str] = lambda t: t.isoformat()
    since_exclusive: bool = False
    until_inclusive: bool = False  # the until filter includes its instant: records at it are dropped
    static_params: dict[str, Any] = field(default_factory=dict)
    window_params: ParamsFn | None = None  # filters → params (status, …)
    # Stop when a page is shorter than asked for, or is the last of the page count in a header
    # (X-WP-TotalPages) or in the body (`total_pages_at`, e.g. BigCommerce v3's "meta.pagination.total_pages").
    total_pages_header: str | None = None
    total_pages_at: str | None = None
    total_header: str | None = None  # records the whole read covers (X-WP-Total)
    total_at: str | None = None  # … or where the body says it (BigCommerce v3's "meta.pagination.total")
    enrich_page: EnrichPage | None = None  # completes a page's records at once (sub-resources in batch)
    enrich: EnrichRecord | None = None  # completes one record (its sub-resources)
    enrich_concurrency: int = 8  # sub-resource requests in flight at once (the client's budget still paces them)

    def external_id(self, raw: Any) -> str:
        return self.records.external_id(raw)

    def updated_at(self, raw: Any) -> datetime | None:
        return self.records.updated_at(raw)

    def map(self, raw: Any) -> CanonicalRecord:
        return self.records.map(raw)

    def _params(self, window: SyncWindow, since: datetime | None, page: int) -> dict[str, Any]:
        params: dict[str, Any] = dict(self.static_params)
        if self.window_params is not None:
            params.update(self.window_params(window))
        size = min(window.page_size, self.max_page_size)
        params[self.size_param] = size
        params[self.page_param] = page
        if since is not None and self.since_param:
            asked = since - timedelta(seconds=1) if self.since_exclusive else since
            params[self.since_param] = self.format_time(asked)
        if window.until is not None and self.until_param:
            params[self.until_param] = self.format_time(window.until)
        return params

    async def read_page(self, client: UpstreamClient, window: SyncWindow, token: dict[str, Any] | None) -> Page:
        token = token or {}
        resumed_since = _time(token.get("since"))
        since = resumed_since or window.since
        page = int(token.get("page", self.first_page))
        seen_at_since = set(token.get("seen", []))
        reply = await client.get(self.path, **self._params(window, since, page))
        raw_records = _records(reply, self.records_at)
        size = min(window.page_size, self.max_page_size)
        fresh = [r for r in raw_records if not self._already_read(r, resumed_since, seen_at_since)]
        if self.until_inclusive and window.until is not None:
            fresh = [r for r in fresh if not self._at_or_after(r, window.until)]
        if self.enrich_page is not None:
            fresh = await self.enrich_page(client, fresh)
        if self.enrich is not None:
            fresh = await enrich_each(self.enrich, client, fresh, self.enrich_concurrency)
        total = self._total(reply) if not token else None
        if len(raw_records) < size or _last_page(reply, self.total_pages_header, page, self.total_pages_at):
            return Page(fresh, None, total)
        return Page(fresh, self._next_token(raw_records, since, page, seen_at_since), total)

    async def cut(self, client: UpstreamClient, window: SyncWindow, parts: int, at_least: int) -> Cuts | None:
        """Where to cut `window` into up to `parts` slices of about equal size and at least `at_least`
        records each: 1 + (slices - 1) requests of one record each. None: this stream cannot say."""
        if not (self.since_param and self.until_param and (self.total_header or self.total_at)):
            return None
        reply = await client.get(self.path, **self._one_record(window))
        return await self.cut_at(client, window, self._total(reply), parts, at_least)

    async def cut_at(
        self, client: UpstreamClient, window: SyncWindow, total: int | None, parts: int, at_least: int
    ) -> Cuts | None:
        """`cut` for a window of `total` records however they were counted: (slices - 1) requests."""
        if total is None or not (self.since_param and self.until_param):
            return None
        params = self._one_record(window)
        parts = max(1, min(parts, total // max(1, at_least)))
        at: list[datetime] = []
        for k in range(1, parts):
            params[self.page_param] = self.first_page + total * k // parts
            records = _records(await client.get(self.path, **params), self.records_at)
            stamp = self.updated_at(records[0]) if records else None
            if stamp is None:
                return None  # the listing moved under us, or its records carry no updated-at: read it whole
            if (window.since is None or stamp > window.since) and (not at or stamp > at[-1]):
                at.append(stamp)  # many records at one instant make fewer, larger slices
        return Cuts(total, tuple(at))

    def _one_record(self, window: SyncWindow) -> dict[str, Any]:
        params = self._params(window, window.since, self.first_page)
        params[self.size_param] = 1
        return params

    def _total(self, reply: Reply) -> int | None:
        total = _header_int(reply, self.total_header)
        return total if total is not None else _body_int(reply, self.total_at)

    def _at_or_after(self, raw: Any, until: datetime) -> bool:
        """At or after the window's end, which the upstream's inclusive filter let through."""
        stamp = self.updated_at(raw)
        return stamp is not None and stamp >= until

    def _already_read(self, raw: Any, resumed_since: datetime | None, seen: set[str]) -> bool:
        """Earlier pages of this run covered everything before `resumed_since`, and `seen` at it."""
        if resumed_since is None:
            return False
        stamp = self.updated_at(raw)
        if stamp is None:
            return False
        return stamp < resumed_since or (stamp == resumed_since and self.external_id(raw) in seen)

    def _next_token(self, raw: list[Any], since: datetime | None, page: int, seen: set[str]) -> dict[str, Any]:
        if not self.since_param:
            return {"page": page + 1}
        stamps = [t for t in (self.updated_at(r) for r in raw) if t is not None]
        newest = max(stamps) if stamps else None
        if newest is None or (since is not None and newest <= since):
            # The whole page sits at one instant: page on within it.
            return {"since": _iso(since), "page": page + 1, "seen": sorted(seen | {self.external_id(r) for r in raw})}
        at_newest = [self.external_id(r) for r in raw if self.updated_at(r) == newest]
        return {"since": _iso(newest), "page": self.first_page, "seen": at_newest}


def _records(reply: Reply, records_at: str | None) -> list[Any]:
    if reply.data is None:  # 204 No Content: an empty page
        return []
    records = dig(reply.data, records_at)
    if not isinstance(records, list):
        raise ValueError(f"expected a list of records at {records_at or 'the body'}")
    return records


def _header_int(reply: Reply, header: str | None) -> int | None:
    value = reply.headers.get(header) if header else None
    return int(value) if value is not None and value.isdigit() else None


def _body_int(reply: Reply, at: str | None) -> int | None:
    try:
        value = dig(reply.data, at) if at and reply.data is not None else None
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    # A count of records or pages, as the header's digits are: anything else is not one.
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _last_page(reply: Reply, total_pages_header: str | None, page: int, total_pages_at: str | None = None) -> bool:
    total = _header_int(reply, total_pages_header)
    if total is None:
        total = _body_int(reply, total_pages_at)
    return total is not None and page >= total


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
