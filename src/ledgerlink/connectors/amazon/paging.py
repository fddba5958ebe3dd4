"""SP-API lists: pages linked by an opaque NextToken in the body, each next page asked for with the
token and exactly the arguments of the first (Amazon's rule). So the resume token a page hands the
engine holds both, and a run resumed hours later asks just as the page before it did. A stream over
several parts (time slices: Finances answers nothing for a range over 180 days; marketplaces) reads
them one after the other, resumable at any page of any part; a chain of such streams of one resource
(the fees: dated financial events, then the settlements' undated service fees) likewise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from ledgerlink.canonical.records import CanonicalRecord
from ledgerlink.connectors.framework.stream import EnrichRecord, Page, RecordParts, dig, enrich_each
from ledgerlink.connectors.framework.window import SyncWindow
from ledgerlink.upstream.client import Reply, UpstreamClient
from ledgerlink.upstream.errors import UpstreamMalformed

ParamsFn = Callable[[SyncWindow], dict[str, Any]]


@dataclass(frozen=True)
class NextTokenStream:
    name: str
    resource_type: str
    path: str
    records: RecordParts
    params: ParamsFn  # the arguments every page of a read is asked with
    records_of: Callable[[Any], list[Any]]  # the body -> its records
    next_at: str  # where the NextToken is in the body
    token_param: str = "NextToken"
    enrich: EnrichRecord | None = None  # completes one record (its sub-resources)
    expand: Callable[[list[Any]], list[Any]] | None = None  # the completed records -> the stream's records
    enrich_concurrency: int = 4  # the operation's budget paces them anyway
    # SP-API does not promise an order within a listing (FBA summaries come by SKU): the stream cursor
    # moves when a run has read everything, never with a page (framework/stream.py).
    cursor_on_success_only: bool = True

    def external_id(self, raw: Any) -> str:
        return self.records.external_id(raw)

    def updated_at(self, raw: Any) -> datetime | None:
        return self.records.updated_at(raw)

    def map(self, raw: Any) -> CanonicalRecord:
        return self.records.map(raw)

    async def read_page(self, client: UpstreamClient, window: SyncWindow, token: dict[str, Any] | None) -> Page:
        token = token or {}
        args = dict(token["args"]) if token.get("args") else self.params(window)
        params = {**args, self.token_param: token["next"]} if token.get("next") else args
        reply = await client.get(self.path, **params)
        try:
            raw = self.records_of(reply.data)
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise _malformed(self.path, f"no records where expected ({exc})", reply) from exc
        if not isinstance(raw, list):
            raise _malformed(self.path, "the records are not a list", reply)
        records = await enrich_each(self.enrich, client, raw, self.enrich_concurrency) if self.enrich else raw
        if self.expand is not None:
            records = self.expand(records)
        following = _next_token(reply, self.next_at)
        return Page(records, {"next": following, "args": args} if following else None)


@dataclass(frozen=True)
class PartedStream:
    """A stream read one part of the window after another (`parts` cuts it: by time, by marketplace)."""

    base: NextTokenStream
    parts: Callable[[SyncWindow], list[SyncWindow]]

    @property
    def name(self) -> str:
        return self.base.name

    @property
    def resource_type(self) -> str:
        return self.base.resource_type

    @property
    def cursor_on_success_only(self) -> bool:
        return self.base.cursor_on_success_only

    def external_id(self, raw: Any) -> str:
        return self.base.external_id(raw)

    def updated_at(self, raw: Any) -> datetime | None:
        return self.base.updated_at(raw)

    def map(self, raw: Any) -> CanonicalRecord:
        return self.base.map(raw)

    async def read_page(self, client: UpstreamClient, window: SyncWindow, token: dict[str, Any] | None) -> Page:
        parts = self.parts(window)
        at = int((token or {}).get("part", 0))
        inner = (token or {}).get("inner")
        while at < len(parts):  # an empty part is passed over in the same call, not handed back as a page
            page = await self.base.read_page(client, parts[at], inner)
            if page.next_token is not None:
                return Page(page.records, {"part": at, "inner": page.next_token})
            at, inner = at + 1, None
            if page.records or at == len(parts):
                return Page(page.records, {"part": at} if at < len(parts) else None)
        return Page([], None)


@dataclass(frozen=True)
class ChainedStream:
    """Streams of one resource read one after the other, each to its end; the first one's record
    parts (ids, times, mapper) serve them all."""

    parts: tuple[NextTokenStream | PartedStream, ...]

    @property
    def name(self) -> str:
        return self.parts[0].name

    @property
    def resource_type(self) -> str:
        return self.parts[0].resource_type

    @property
    def cursor_on_success_only(self) -> bool:
        return True

    def external_id(self, raw: Any) -> str:
        return self.parts[0].external_id(raw)

    def updated_at(self, raw: Any) -> datetime | None:
        return self.parts[0].updated_at(raw)

    def map(self, raw: Any) -> CanonicalRecord:
        return self.parts[0].map(raw)

    async def read_page(self, client: UpstreamClient, window: SyncWindow, token: dict[str, Any] | None) -> Page:
        at = int((token or {}).get("stage", 0))
        inner = (token or {}).get("inner")
        page = await self.parts[at].read_page(client, window, inner)
        if page.next_token is not None:
            return Page(page.records, {"stage": at, "inner": page.next_token})
        return Page(page.records, {"stage": at + 1} if at + 1 < len(self.parts) else None)


def time_slices(
    window: SyncWindow, since: datetime, until: datetime | None, now: datetime, span: timedelta
) -> list[SyncWindow]:
    """[since, until) in consecutive windows of at most `span`; with no `until`, the last one is open
    (until None: "up to now", a bound that stays the same argument however long the read takes)."""
    end = until or now
    cuts, start = [], since
    while start < end:
        stop = start + span
        cuts.append(replace(window, since=start, until=until if stop >= end else stop))
        start = stop
    return cuts


def _next_token(reply: Reply, at: str) -> str | None:
    try:
        value = dig(reply.data, at)
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    return value if isinstance(value, str) and value else None


def _malformed(path: str, what: str, reply: Reply) -> UpstreamMalformed:
    return UpstreamMalformed(f"GET {path}: {what}", upstream_status=reply.response.status_code)
