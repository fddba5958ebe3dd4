"""`GET /v1/reporting/transactions`: the checks PayPal makes on a search, its filters and its pages.

`start_date` and `end_date` are required, RFC 3339 with seconds, at most 31 days apart; both are
inclusive and bound the transactions' initiation dates. `page_size` is 1 to 500 (100 by default) and
`page` counts from 1; the answer says `total_items` and `total_pages`, and leaves
`transaction_details` out when there is nothing (the description allows no empty list). A search
matching more than `max_results` transactions (PayPal's 10,000) is refused with
`RESULTSET_TOO_LARGE`: the caller must narrow the dates.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from ledgerlink.sandbox.paypal.errors import invalid
from ledgerlink.sandbox.paypal.facts import Transaction
from ledgerlink.sandbox.paypal.render import SECTIONS, detail, stamp

MAX_RANGE = timedelta(days=31)
MAX_RESULTS = 10_000
_RFC3339 = re.compile(
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])[Tt]([0-1][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)"
    r"([.][0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
KNOWN = frozenset(
    {
        "transaction_id", "transaction_type", "transaction_status", "transaction_amount", "transaction_currency",
        "start_date", "end_date", "payment_instrument_type", "store_id", "terminal_id", "fields",
        "balance_affecting_records_only", "page_size", "page",
    }
)  # fmt: skip


def _time(params: Mapping[str, str], name: str) -> datetime:
    raw = params.get(name)
    if raw is None or raw == "":
        raise invalid(name, "", "MISSING_REQUIRED_PARAMETER", f"{name} is required.")
    if not _RFC3339.match(raw):
        raise invalid(name, raw, "INVALID_PARAMETER_SYNTAX", f"{name} must be an RFC 3339 date-time with seconds.")
    try:
        return datetime.fromisoformat(raw.upper().replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        raise invalid(name, raw, "INVALID_PARAMETER_VALUE", f"{name} is not a valid date-time.") from None


def _int(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]{1,10}", raw) or not low <= int(raw) <= high:
        raise invalid(name, raw, "INVALID_PARAMETER_VALUE", f"{name} must be an integer from {low} to {high}.")
    return int(raw)


def _sections(params: Mapping[str, str]) -> tuple[str, ...]:
    wanted = [f.strip() for f in params.get("fields", "transaction_info").split(",") if f.strip()]
    if "all" in wanted:
        return SECTIONS
    unknown = [f for f in wanted if f not in SECTIONS]
    if unknown or not wanted:
        raise invalid("fields", params.get("fields", ""), "INVALID_PARAMETER_VALUE", "Unknown fields requested.")
    return tuple(s for s in SECTIONS if s in wanted)


@dataclass(frozen=True)
class Search:
    start: datetime
    end: datetime
    page: int
    page_size: int
    sections: tuple[str, ...]
    filters: dict[str, str]

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> Search:
        start, end = _time(params, "start_date"), _time(params, "end_date")
        if end < start:
            raise invalid("end_date", params["end_date"], "INVALID_DATE_RANGE", "end_date is before start_date.")
        if end - start > MAX_RANGE:
            raise invalid("end_date", params["end_date"], "INVALID_DATE_RANGE", "Date range is greater than 31 days.")
        affecting = params.get("balance_affecting_records_only", "Y")
        if affecting not in ("Y", "N"):
            raise invalid("balance_affecting_records_only", affecting, "INVALID_PARAMETER_VALUE", "Y or N.")
        txn_id = params.get("transaction_id")
        if txn_id is not None and not 17 <= len(txn_id) <= 19:
            raise invalid("transaction_id", txn_id, "INVALID_PARAMETER_SYNTAX", "A transaction id is 17 to 19 long.")
        filters = {
            name: params[name]
            for name in ("transaction_id", "transaction_type", "transaction_status", "transaction_currency")
            if params.get(name)
        }
        return cls(
            start=start,
            end=end,
            page=_int(params, "page", 1, 1, 2_147_483_647),
            page_size=_int(params, "page_size", 100, 1, 500),
            sections=_sections(params),
            filters=filters,
        )

    def matches(self, txn: Transaction) -> bool:
        wanted = self.filters
        return (
            wanted.get("transaction_id", txn.id) == txn.id
            and wanted.get("transaction_type", txn.event_code) == txn.event_code
            and wanted.get("transaction_status", txn.status) == txn.status
            and wanted.get("transaction_currency", txn.currency) == txn.currency
        )


def answer(
    search: Search,
    ordered: list[Transaction],
    starts: list[datetime],
    *,
    account: str,
    refreshed: datetime,
    url: str,
    query: Mapping[str, str],
    max_results: int,
    malformed: bool,
) -> dict[str, Any]:
    """The page of the search; `ordered` by initiation time with `starts` their initiation times."""
    low, high = bisect.bisect_left(starts, search.start), bisect.bisect_right(starts, search.end)
    found = [txn for txn in ordered[low:high] if search.matches(txn)]
    if len(found) > max_results:
        raise invalid(
            "start_date", query.get("start_date", ""), "RESULTSET_TOO_LARGE",
            "Result set size is greater than the maximum limit. Change the filter criteria and try again.",
        )  # fmt: skip
    total_pages = math.ceil(len(found) / search.page_size)
    first = (search.page - 1) * search.page_size
    page = found[first : first + search.page_size]
    body: dict[str, Any] = {}
    if page:
        body["transaction_details"] = [detail(txn, search.sections, malformed) for txn in page]
    body |= {
        "account_number": account,
        "start_date": stamp(search.start),
        "end_date": stamp(search.end),
        "last_refreshed_datetime": stamp(refreshed),
        "page": search.page,
        "total_items": len(found),
        "total_pages": total_pages,
        "links": _links(url, query, search.page, total_pages),
    }
    return body


def _links(url: str, query: Mapping[str, str], page: int, total_pages: int) -> list[dict[str, str]]:
    def at(number: int, rel: str) -> dict[str, str]:
        return {"href": f"{url}?{urlencode({**query, 'page': str(number)})}", "rel": rel, "method": "GET"}

    links = [at(page, "self")]
    if page < total_pages:
        links.append(at(page + 1, "next"))
    if total_pages:
        links.append(at(total_pages, "last"))
    return links
