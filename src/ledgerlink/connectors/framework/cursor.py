"""Declarative REST streams paged by an object cursor: each page asks for the records after the last
one it has (`starting_after=<last id>`), and the body says whether more follow.

Stripe's lists page this way, and so do others that sort by creation and hand out no page numbers.
A cursor names a record, not a position, so records created during a run cannot shift a page; the
resume token is just that last id. The time window bounds the records' creation (`since_param`,
`until_param`, formatted by `format_time`), which is all such lists can filter on.

Such lists are often newest first (`newest_first`): then the first page holds the newest records, so
a stream cursor must not move to a page's newest record before the whole run has been read; such a
stream declares `cursor_on_success_only` (see framework/stream.py) and the engine moves its cursor
when the run ends well. `updated_at_is_version=False` declares that the records' time is not a
modification time (the creation time these lists sort by), so staleness is not judged by it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ledgerlink.canonical.records import CanonicalRecord
from ledgerlink.connectors.framework.stream import EnrichRecord, Page, RecordParts, dig, read_all
from ledgerlink.connectors.framework.window import SyncWindow
from ledgerlink.upstream.client import Reply, UpstreamClient
from ledgerlink.upstream.errors import UpstreamMalformed

ParamsFn = Callable[[SyncWindow], dict[str, Any]]


@dataclass(frozen=True)
class CursorStream:
    name: str
    resource_type: str
    path: str  # relative to the client's base URL
    records: RecordParts
    records_at: str | None = "data"  # where the list is in the body
    more_at: str | None = "has_more"  # a boolean in the body; None: a short page is the last
    cursor_param: str = "starting_after"
    cursor_field: str = "id"  # where the cursor value is in a record
    size_param: str = "limit"
    max_page_size: int = 100
    since_param: str | None = None  # bounds creation from below, inclusive
    until_param: str | None = None  # and from above, inclusive
    format_time: Callable[[datetime], Any] = lambda t: t.isoformat()
    static_params: Mapping[str, Any] = field(default_factory=dict)
    window_params: ParamsFn | None = None  # filters -> params
    enrich: EnrichRecord | None = None  # completes one record (sub-resources)
    newest_first: bool = False
    updated_at_is_version: bool = True  # False: `records.updated_field` is a creation time

    @property
    def cursor_on_success_only(self) -> bool:
        return self.newest_first

    def external_id(self, raw: Any) -> str:
        return self.records.external_id(raw)

    def updated_at(self, raw: Any) -> datetime | None:
        return self.records.updated_at(raw)

    def map(self, raw: Any) -> CanonicalRecord:
        return self.records.map(raw)

    def params(self, window: SyncWindow, after: str | None) -> dict[str, Any]:
        params: dict[str, Any] = dict(self.static_params)
        if self.window_params is not None:
            params.update(self.window_params(window))
        params[self.size_param] = min(window.page_size, self.max_page_size)
        if window.since is not None and self.since_param:
            params[self.since_param] = self.format_time(window.since)
        if window.until is not None and self.until_param:
            params[self.until_param] = self.format_time(window.until)
        if after is not None:
            params[self.cursor_param] = after
        return params

    async def read_page(self, client: UpstreamClient, window: SyncWindow, token: dict[str, Any] | None) -> Page:
        after = (token or {}).get("after")
        reply = await client.get(self.path, **self.params(window, after))
        raw = _records(reply, self.records_at)
        records = [await self.enrich(client, r) for r in raw] if self.enrich is not None else raw
        if not raw or not self._more(reply, len(raw), window):
            return Page(records, None)
        return Page(records, {"after": str(dig(raw[-1], self.cursor_field))})

    async def read_all(self, client: UpstreamClient, window: SyncWindow) -> list[Any]:
        return await read_all(self, client, window)

    def _more(self, reply: Reply, count: int, window: SyncWindow) -> bool:
        if self.more_at is None:
            return count >= min(window.page_size, self.max_page_size)
        more = dig(reply.data, self.more_at)
        if not isinstance(more, bool):
            raise UpstreamMalformed(f"GET {self.path}: '{self.more_at}' is not a boolean", upstream_status=200)
        return more


def _records(reply: Reply, records_at: str | None) -> list[Any]:
    try:
        records = dig(reply.data, records_at)
    except (KeyError, IndexError, TypeError, ValueError):
        records = None
    if not isinstance(records, list):
        raise UpstreamMalformed(f"expected a list of records at {records_at or 'the body'}", upstream_status=200)
    return records
