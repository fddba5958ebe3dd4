"""WordPress REST plumbing shared by every WooCommerce route: error bodies, argument validation with
WordPress's own codes and messages, JSON, dates in the site's timezone, pagination headers."""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

SITE_TZ = ZoneInfo("America/Chicago")  # the simulated site's Settings > General > Timezone
WC_VERSION = "9.4.3"
WP_VERSION = "6.7.1"
API_PREFIX = "/wp-json/wc/v3"
MAX_PER_PAGE = 100
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?$")
_INTEGER = re.compile(r"^-?\d+$")
_TRUE, _FALSE = {"true", "1"}, {"false", "0"}


class WooError(Exception):
    """A WP_Error: rendered as {"code", "message", "data": {"status", …}}."""

    def __init__(self, status: int, code: str, message: str, **data: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.data = status, code, message, data

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "data": {"status": self.status, **self.data}}

    def response(self) -> Response:
        return WPJSONResponse(self.body(), status_code=self.status)


def invalid_id(kind: str, status: int = 404) -> WooError:
    return WooError(status, f"woocommerce_rest_{kind}_invalid_id", "Invalid ID.")


def no_route() -> WooError:
    return WooError(404, "rest_no_route", "No route was found matching the URL and request method.")


def critical_error(status: int) -> dict[str, Any]:
    """What WordPress's fatal-error handler answers to a REST request."""
    return {
        "code": "internal_server_error",
        "additional_errors": [],
        "data": {"status": status},
        "message": '<p>There has been a critical error on this website.</p><p><a href="https://wordpress.org'
        '/documentation/article/faq-troubleshooting/">Learn more about troubleshooting WordPress.'
        "</a></p>",
    }


def json_number(value: Decimal) -> int | float:
    """A Decimal the API shows as a JSON number (line `price`, `rate_percent`); money stays in strings.
    Renderers that know a value is one convert it themselves: orjson then needs no callback for it."""
    return int(value) if value == value.to_integral_value() else float(value)


def _json_number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return json_number(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def wp_json(content: Any) -> bytes:
    """JSON as the site encodes it (API answers and webhook bodies alike): compact, UTF-8 unescaped.
    orjson writes exactly what `json.dumps(…, ensure_ascii=False, separators=(",", ":"))` would, in
    a seventh of the time: a page of orders is most of what the sandbox spends on an orders sync.
    json.dumps also takes non-string keys, which orjson does only with OPT_NON_STR_KEYS; that option
    costs a third of the encoding, and REST resources have string keys, so it is the fallback."""
    try:
        return orjson.dumps(content, default=_json_number)
    except orjson.JSONEncodeError:
        return orjson.dumps(content, default=_json_number, option=orjson.OPT_NON_STR_KEYS)


class WPJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return wp_json(content)


def _wanted_fields(request: Request) -> set[str]:
    return {f.strip().split(".")[0] for f in request.query_params.get("_fields", "").split(",") if f.strip()}


def _select(item: dict[str, Any], wanted: set[str]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k in wanted} if wanted else item


def only_fields(data: Any, request: Request) -> Any:
    """WordPress's `_fields=a,b` (top-level keys)."""
    wanted = _wanted_fields(request)
    if not wanted:
        return data
    if isinstance(data, list):
        return [_select(item, wanted) for item in data]
    return _select(data, wanted)


def json_array(items: Iterable[Any]) -> bytes:
    """`wp_json(list(items))`, each item encoded as soon as it is built: a page's hundred orders
    never live at once as dicts, so the cyclic collector finds no page-sized heap of young objects
    to traverse and promote (which made it run full collections every few pages)."""
    return b"[" + b",".join(map(wp_json, items)) + b"]"


def respond(request: Request, data: Any, status: int = 200) -> Response:
    return WPJSONResponse(only_fields(data, request), status_code=status)


@functools.lru_cache(maxsize=16)  # `dp` comes from the request: bounded
def money_formatter(decimals: int) -> Callable[[Decimal], str]:
    """money_str for one number of decimals: an order formats thirty amounts, each in one call."""
    quantum = Decimal(1).scaleb(-decimals)

    def money_text(value: Decimal) -> str:
        rounded = value.quantize(quantum, ROUND_HALF_UP)
        return str(rounded) if rounded else str(abs(rounded))

    return money_text


@functools.lru_cache(maxsize=8)  # one per currency's decimals
def quantized_money_formatter(decimals: int) -> Callable[[Decimal], str]:
    """money_formatter(decimals) for amounts already quantized to `decimals` places, or zero (as every
    amount an order's currency conversion hands out, and their sums, are): such an amount prints as it
    is, so the quantizing, most of what formatting costs, is left out. Zero prints as money_str's."""
    zero = money_str(Decimal(0), decimals)

    def quantized_text(value: Decimal) -> str:
        return str(value) if value else zero

    return quantized_text


def money_str(value: Decimal, decimals: int) -> str:
    """WooCommerce's wc_format_decimal with `dp`: a string, never "-0.00"."""
    return money_formatter(decimals)(value)


_TWO_DIGITS = tuple(f"{n:02d}" for n in range(100))


def _wp_format(when: datetime) -> str:
    """strftime("%Y-%m-%dT%H:%M:%S"), assembled from a table of two-digit strings: strftime and
    isoformat cost two to three times as much, and a page of orders formats hundreds of dates."""
    two = _TWO_DIGITS
    return f"{when.year}-{two[when.month]}-{two[when.day]}T{two[when.hour]}:{two[when.minute]}:{two[when.second]}"


def wc_date(when: datetime | None) -> str | None:
    """WooCommerce's local date format: the site's timezone, no offset."""
    return _wp_format(when.astimezone(SITE_TZ)) if when else None


def wc_date_pair(when: datetime | None) -> tuple[str | None, str | None]:
    """`when` as WooCommerce shows it twice: in the site's timezone, then in GMT."""
    if not when:
        return None, None
    if when.tzinfo is UTC and (prefixes := _hour_prefixes(when.year, when.month, when.day, when.hour)):
        rest = f"{_TWO_DIGITS[when.minute]}:{_TWO_DIGITS[when.second]}"
        return prefixes[0] + rest, prefixes[1] + rest
    gmt = when if when.tzinfo is UTC else when.astimezone(UTC)
    return _wp_format(when.astimezone(SITE_TZ)), _wp_format(gmt)


_HOUR_PREFIX = len("2024-01-01T00:")
_LAST_SECOND = timedelta(minutes=59, seconds=59)


@functools.lru_cache(maxsize=1024)  # an hour of orders shares one; a sync reads hours in turn
def _hour_prefixes(year: int, month: int, day: int, hour: int) -> tuple[str, str] | None:
    """What the dates of one UTC hour start with in the site's timezone and in GMT ("…T14:"), so each
    date only adds its minutes and seconds: the store's dates are UTC, and converting one to the site's
    timezone was most of what formatting it cost (three dates an order). An hour qualifies when the
    site's offset is whole hours, the same at its first and last second (the minutes and seconds are
    then the same in both); the others (offsets in minutes, as Chicago's before 1883, or one that
    changes within the hour) answer None and their dates are converted one by one."""
    start = datetime(year, month, day, hour, tzinfo=UTC)
    local, last = start.astimezone(SITE_TZ), (start + _LAST_SECOND).astimezone(SITE_TZ)
    if local.minute or local.second or local.utcoffset() != last.utcoffset():
        return None
    return _wp_format(local)[:_HOUR_PREFIX], _wp_format(start)[:_HOUR_PREFIX]


def wc_dates(name: str, when: datetime | None) -> dict[str, str | None]:
    local, gmt = wc_date_pair(when)
    return {name: local, f"{name}_gmt": gmt}


def to_second(when: datetime) -> datetime:
    """WordPress stores dates to the second; filters and sorting compare what it stores."""
    return when.replace(microsecond=0)


def wp_list(items: Sequence[str]) -> str:
    """WordPress's `%l`: "a, b, and c"."""
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + ", and " + items[-1]


@dataclass(frozen=True)
class Window:
    page: int
    per_page: int
    offset: int | None

    @property
    def start(self) -> int:
        return self.offset if self.offset is not None else (self.page - 1) * self.per_page


@dataclass(frozen=True)
class DateRange:
    after: datetime | None = None
    before: datetime | None = None
    modified_after: datetime | None = None
    modified_before: datetime | None = None

    def admits(self, created: datetime, modified: datetime) -> bool:
        created, modified = to_second(created), to_second(modified)
        return (
            (self.after is None or created > self.after)
            and (self.before is None or created < self.before)
            and (self.modified_after is None or modified > self.modified_after)
            and (self.modified_before is None or modified < self.modified_before)
        )


class Params:
    """Reads request arguments the way WordPress validates them, gathering every problem before raising
    one `rest_invalid_param` error, as WP_REST_Request::has_valid_params does."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = values
        self.problems: dict[str, tuple[str, str]] = {}

    def fail(self, name: str, code: str, message: str) -> None:
        self.problems.setdefault(name, (code, message))

    def has(self, name: str) -> bool:
        return name in self.values and self.values[name] is not None

    def integer(
        self, name: str, default: int | None = None, minimum: int | None = None, maximum: int | None = None
    ) -> int | None:
        if not self.has(name):
            return default
        raw = self.values[name]
        if isinstance(raw, bool) or not (isinstance(raw, int) or (isinstance(raw, str) and _INTEGER.match(raw))):
            self.fail(name, "rest_invalid_type", f"{name} is not of type integer.")
            return default
        value = int(raw)
        if minimum is not None and maximum is not None and not minimum <= value <= maximum:
            self.fail(
                name, "rest_out_of_bounds", f"{name} must be between {minimum} (inclusive) and {maximum} (inclusive)"
            )
        elif minimum is not None and value < minimum:
            self.fail(name, "rest_out_of_bounds", f"{name} must be greater than or equal to {minimum}")
        return value

    def boolean(self, name: str, default: bool | None = False) -> bool | None:
        if not self.has(name):
            return default
        raw = self.values[name]
        if isinstance(raw, bool):
            return raw
        text = str(raw).lower() if isinstance(raw, str | int) else None
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        self.fail(name, "rest_invalid_type", f"{name} is not of type boolean.")
        return default

    def string(self, name: str) -> str | None:
        if not self.has(name):
            return None
        raw = self.values[name]
        if not isinstance(raw, str):
            self.fail(name, "rest_invalid_type", f"{name} is not of type string.")
            return None
        return raw

    def enum(self, name: str, choices: Sequence[str], default: str | None) -> str | None:
        value = self.string(name)
        if value is None:
            return default
        if value not in choices:
            self.fail(name, "rest_not_in_enum", f"{name} is not one of {wp_list(choices)}.")
            return default
        return value

    def _items(self, name: str) -> list[str]:
        raw = self.values.get(name)
        items = raw if isinstance(raw, list) else re.split(r"[\s,]+", str(raw))
        return [str(item) for item in items if str(item) != ""]

    def enum_list(self, name: str, choices: Sequence[str], default: list[str]) -> list[str]:
        if not self.has(name):
            return default
        items = self._items(name)
        for n, item in enumerate(items):
            if item not in choices:
                self.fail(name, "rest_not_in_enum", f"{name}[{n}] is not one of {wp_list(choices)}.")
        return items

    def id_list(self, name: str) -> list[int]:
        if not self.has(name):
            return []
        ids = []
        for n, item in enumerate(self._items(name)):
            if not _INTEGER.match(item):
                self.fail(name, "rest_invalid_type", f"{name}[{n}] is not of type integer.")
            else:
                ids.append(abs(int(item)))
        return ids

    def date(self, name: str, gmt: bool) -> datetime | None:
        raw = self.string(name)
        if raw is None:
            return None
        if not _DATE.match(raw):
            self.fail(name, "rest_invalid_date", "Invalid date.")
            return None
        parsed = datetime.fromisoformat(raw.replace("t", "T").replace(" ", "T").replace("z", "Z"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC if gmt else SITE_TZ)
        return to_second(parsed.astimezone(UTC))

    def window(self) -> Window:
        page = self.integer("page", 1, minimum=1) or 1
        per_page = self.integer("per_page", 10, minimum=1, maximum=MAX_PER_PAGE) or 10
        offset = self.integer("offset")
        return Window(page, per_page, abs(offset) if offset is not None else None)

    def date_range(self) -> DateRange:
        gmt = bool(self.boolean("dates_are_gmt"))
        return DateRange(*(self.date(name, gmt) for name in ("after", "before", "modified_after", "modified_before")))

    def decimals(self) -> int | None:
        """WooCommerce's `dp` (absint'ed), for order amounts."""
        dp = self.integer("dp")
        return abs(dp) if dp is not None else None

    def order(self) -> bool:
        """True when descending."""
        return self.enum("order", ("asc", "desc"), "desc") == "desc"

    def check(self) -> None:
        if self.problems:
            raise WooError(
                400,
                "rest_invalid_param",
                f"Invalid parameter(s): {', '.join(self.problems)}",
                params={name: message for name, (_, message) in self.problems.items()},
                details={
                    name: {"code": code, "message": message, "data": None}
                    for name, (code, message) in self.problems.items()
                },
            )


def invalid_json() -> WooError:
    return WooError(
        400, "rest_invalid_json", "Invalid JSON body passed.", json_error_code=4, json_error_message="Syntax error"
    )


async def json_body(request: Request) -> dict[str, Any]:
    """A JSON object body ({} when empty), or WordPress's rest_invalid_json."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise invalid_json() from exc
    if not isinstance(body, dict):
        raise invalid_json()
    return body


def site_url(request: Request) -> str:
    return str(request.url).split("/wp-json", 1)[0]


def _page_url(request: Request, page: int) -> str:
    items = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    position = next((n for n, (k, _) in enumerate(request.query_params.multi_items()) if k == "page"), len(items))
    items.insert(position, ("page", str(page)))
    return str(request.url.replace(query=urlencode(items)))


def paginated(request: Request, items: Iterable[dict[str, Any]], total: int, window: Window) -> Response:
    """A collection page with WordPress's X-WP-Total, X-WP-TotalPages and Link headers. `items` may
    be a generator: each is rendered, filtered and encoded in turn."""
    pages = math.ceil(total / window.per_page)
    wanted = _wanted_fields(request)
    response = Response(json_array(_select(item, wanted) for item in items), media_type=WPJSONResponse.media_type)
    response.headers["X-WP-Total"] = str(total)
    response.headers["X-WP-TotalPages"] = str(pages)
    if window.page > 1:
        response.headers.append("Link", f'<{_page_url(request, min(window.page - 1, max(pages, 1)))}>; rel="prev"')
    if pages > window.page:
        response.headers.append("Link", f'<{_page_url(request, window.page + 1)}>; rel="next"')
    return response


def page_of(items: Sequence[Any], window: Window) -> list[Any]:
    return list(items[window.start : window.start + window.per_page])
