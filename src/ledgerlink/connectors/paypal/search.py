"""Transaction Search as a stream: consecutive date windows of at most 31 days, pages within each.

PayPal requires `start_date` and `end_date` on every search, at most 31 days apart, both inclusive
and at whole seconds; it lists the previous three years only, and a transaction can take up to three
hours to be listed. So a read walks from the sync window's `since` (three hours earlier, for what was
listed late; three years back when there is none) to its `until` (or now, fixed when the read starts
so a resumed read ends where it would have) in windows `[from, to]` one second apart, and pages
through each with `page`/`page_size` until `total_pages`. A window PayPal finds too large
(`RESULTSET_TOO_LARGE`, over 10,000 results) is halved until it is not. The resume token is the window
and page: `{"from", "to", "stop", "page"}`.

One search lists every kind of movement, while the hub stores each kind apart (payments, refunds,
chargebacks, balance entries): each stream is the same walk keeping its kind (`keep`), with the
event code filtered at PayPal where one code is the whole kind (`transaction_type=T1201`). Records
come in initiation order but carry their last update, which can be much later (a payment reversed
by its refund weeks on), so a stream cursor must not move before the whole run has been read
(`cursor_on_success_only`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ledgerlink.canonical.records import CanonicalRecord
from ledgerlink.connectors.framework.stream import Page, RecordParts
from ledgerlink.connectors.framework.window import SyncWindow
from ledgerlink.upstream.client import UpstreamClient
from ledgerlink.upstream.errors import UpstreamMalformed, UpstreamRejected

SECOND = timedelta(seconds=1)
SPAN = timedelta(days=31)
HISTORY = timedelta(days=3 * 365)
LISTING_DELAY = timedelta(hours=3)
TOO_LARGE = "RESULTSET_TOO_LARGE"


def paypal_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _second(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SearchStream:
    name: str
    resource_type: str
    path: str
    records: RecordParts
    keep: Callable[[Any], bool] | None = None  # the records of this stream's kind (None: all)
    static_params: Mapping[str, str] = field(default_factory=dict)
    fields: str = "transaction_info,payer_info,cart_info"
    max_page_size: int = 500
    clock: Callable[[], datetime] = _now
    cursor_on_success_only: bool = True  # read in initiation order, versioned by update time

    def external_id(self, raw: Any) -> str:
        return self.records.external_id(raw)

    def updated_at(self, raw: Any) -> datetime | None:
        return self.records.updated_at(raw)

    def map(self, raw: Any) -> CanonicalRecord:
        return self.records.map(raw)

    def first_token(self, window: SyncWindow) -> dict[str, Any] | None:
        now = self.clock()
        stop = _second(min(window.until, now) if window.until else now)  # PayPal lists nothing yet to come
        start = _second(window.since - LISTING_DELAY) if window.since else stop - HISTORY
        start = max(start, stop - HISTORY)
        return None if start > stop else _window(start, stop)

    async def read_page(self, client: UpstreamClient, window: SyncWindow, token: dict[str, Any] | None) -> Page:
        token = token or self.first_token(window)
        if token is None:
            return Page([], None)
        while True:
            start, end = datetime.fromisoformat(token["from"]), datetime.fromisoformat(token["to"])
            try:
                reply = await client.get(self.path, **self.params(window, start, end, int(token["page"])))
                break
            except UpstreamRejected as exc:
                if TOO_LARGE not in str(exc.details.get("upstreamBody") or "") or end <= start:
                    raise
                half = start + (end - start) // 2
                token = {**token, "to": _second(half).isoformat(), "page": 1}  # narrower, from its first page
        body = reply.data if isinstance(reply.data, dict) else None
        if body is None:
            raise UpstreamMalformed(f"GET {self.path}: the answer is not an object", upstream_status=200)
        records = body.get("transaction_details") or []  # left out when empty (the description allows no [])
        total_pages = body.get("total_pages", 0)
        if not isinstance(records, list) or not isinstance(total_pages, int):
            raise UpstreamMalformed(f"GET {self.path}: no transaction_details list or total_pages", upstream_status=200)
        kept = records if self.keep is None else [r for r in records if self.keep(r)]
        return Page(kept, self._next(token, total_pages))

    def params(self, window: SyncWindow, start: datetime, end: datetime, page: int) -> dict[str, Any]:
        return {
            **self.static_params,
            "start_date": paypal_time(start),
            "end_date": paypal_time(end),
            "fields": self.fields,
            "balance_affecting_records_only": "Y",
            "page_size": min(window.page_size, self.max_page_size),
            "page": page,
        }

    @staticmethod
    def _next(token: dict[str, Any], total_pages: int) -> dict[str, Any] | None:
        if int(token["page"]) < total_pages:
            return {**token, "page": int(token["page"]) + 1}
        end, stop = datetime.fromisoformat(token["to"]), datetime.fromisoformat(token["stop"])
        return _window(end + SECOND, stop) if end < stop else None


def _window(start: datetime, stop: datetime) -> dict[str, Any]:
    end = min(start + SPAN - SECOND, stop)
    return {"from": start.isoformat(), "to": end.isoformat(), "stop": stop.isoformat(), "page": 1}
