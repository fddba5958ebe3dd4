"""Query parameters as BigCommerce reads them, and v3 `meta.pagination`."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from starlette.datastructures import QueryParams
from starlette.requests import Request

from ledgerlink.sandbox.bigcommerce.responses import InvalidQuery

T = TypeVar("T")
MAX_LIMIT = 250
TRUE, FALSE = {"true", "1"}, {"false", "0"}


def text(query: QueryParams, name: str) -> str | None:
    value = query.get(name)
    return value.strip() if value and value.strip() else None


def integer(query: QueryParams, name: str, minimum: int | None = None) -> int | None:
    value = text(query, name)
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        raise InvalidQuery(name, "must be an integer") from None
    if minimum is not None and number < minimum:
        raise InvalidQuery(name, f"must be at least {minimum}")
    return number


def boolean(query: QueryParams, name: str) -> bool | None:
    value = text(query, name)
    if value is None:
        return None
    if value.lower() not in TRUE | FALSE:
        raise InvalidQuery(name, "must be true or false")
    return value.lower() in TRUE


def date(query: QueryParams, name: str) -> datetime | None:
    """RFC 2822, ISO 8601 (a date or a date-time) or a Unix timestamp, as BigCommerce accepts them."""
    value = text(query, name)
    if value is None:
        return None
    parsed = _parse_date(value)
    if parsed is None:
        raise InvalidQuery(name, "must be an RFC 2822 or ISO 8601 date, or a Unix timestamp")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _parse_date(value: str) -> datetime | None:
    if value.isdigit():
        return datetime.fromtimestamp(int(value), UTC)
    try:
        return datetime.fromisoformat(value.replace(" ", "+") if "T" in value else value)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None


def within(value: Any, low: Any, high: Any) -> bool:
    """A `:min`/`:max` pair of filters (either may be absent), both inclusive."""
    return (low is None or value >= low) and (high is None or value <= high)


def shown(moment: datetime) -> datetime:
    """A date as the API shows it, to the second: filters compare what the client can see."""
    return moment.replace(microsecond=0)


def strings(query: QueryParams, name: str) -> list[str] | None:
    """A list filter such as `sku:in=A,B` (also accepted repeated)."""
    values = [part.strip() for raw in query.getlist(name) for part in raw.split(",") if part.strip()]
    return values or None


def integers(query: QueryParams, name: str) -> list[int] | None:
    values = strings(query, name)
    if values is None:
        return None
    try:
        return [int(v) for v in values]
    except ValueError:
        raise InvalidQuery(name, "must be a comma-separated list of integers") from None


def choice(query: QueryParams, name: str, allowed: Sequence[str]) -> str | None:
    value = text(query, name)
    if value is not None and value not in allowed:
        raise InvalidQuery(name, f"must be one of {', '.join(allowed)}")
    return value


def page_and_limit(query: QueryParams, default_limit: int = 50) -> tuple[int, int]:
    """`page` from 1; `limit` from 1, capped at 250 as BigCommerce caps it."""
    page = integer(query, "page", minimum=1) or 1
    limit = integer(query, "limit", minimum=1) or default_limit
    return page, min(limit, MAX_LIMIT)


def page_of(items: Sequence[T], page: int, limit: int) -> Sequence[T]:
    return items[(page - 1) * limit : page * limit]


def _link(request: Request, page: int, limit: int) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in {"page", "limit"}]
    return "?" + urlencode([*params, ("page", page), ("limit", limit)], safe=":,")


def pagination(request: Request, total: int, count: int, page: int, limit: int) -> dict[str, Any]:
    """v3 `meta.pagination`; links are relative query strings and keep the request's filters."""
    total_pages = math.ceil(total / limit)
    links = {"current": _link(request, page, limit)}
    if page > 1:
        links["previous"] = _link(request, min(page - 1, max(total_pages, 1)), limit)
    if page < total_pages:
        links["next"] = _link(request, page + 1, limit)
    return {
        "total": total,
        "count": count,
        "per_page": limit,
        "current_page": page,
        "total_pages": total_pages,
        "links": links,
    }


def collection(
    request: Request, items: Sequence[T], render: Callable[[T], Any], default_limit: int = 50
) -> dict[str, Any]:
    """A v3 list body: one page of `items` rendered, with `meta.pagination`."""
    page, limit = page_and_limit(request.query_params, default_limit)
    data = [render(item) for item in page_of(items, page, limit)]
    return {"data": data, "meta": {"pagination": pagination(request, len(items), len(data), page, limit)}}
