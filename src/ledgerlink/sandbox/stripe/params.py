"""Stripe's query parameters: bracketed keys for nested values, checked the way Stripe checks them.

`created[gte]=1700000000` is a range, `expand[]=data.balance_transaction` (or `expand[0]=…`) a list,
anything else a scalar. A parameter the endpoint does not know is refused (`parameter_unknown`), as
Stripe refuses it: a connector with a typo in a filter finds out at once, not by reading everything.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from ledgerlink.sandbox.stripe.errors import invalid

Value = str | list[str] | dict[str, str]
Params = dict[str, Value]
_KEY = re.compile(r"([a-z_]+)(?:\[([a-z_0-9]*)\])?")
RANGE_KEYS = ("gt", "gte", "lt", "lte")
DEFAULT_LIMIT, MAX_LIMIT = 10, 100


def parse(items: Iterable[tuple[str, str]], allowed: Iterable[str]) -> Params:
    known = set(allowed)
    params: Params = {}
    for key, value in items:
        match = _KEY.fullmatch(key)
        if match is None or match.group(1) not in known:
            raise invalid(f"Received unknown parameter: {key}", key, "parameter_unknown")
        name, sub = match.groups()
        current = params.get(name)
        if sub is None:
            params[name] = value
        elif sub == "" or sub.isdigit():
            params[name] = [*current, value] if isinstance(current, list) else [value]
        else:
            params[name] = {**current, sub: value} if isinstance(current, dict) else {sub: value}
    return params


def integer(value: Value, param: str) -> int:
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    raise invalid(f"Invalid integer: {value}", param, "parameter_invalid_integer")


def text(params: Params, name: str) -> str | None:
    value = params.get(name)
    if value is None or isinstance(value, str):
        return value
    raise invalid(f"Invalid string: {name} takes one value", name)


def strings(params: Params, name: str) -> list[str]:
    value = params.get(name)
    if value is None:
        return []
    if isinstance(value, list):
        return value
    raise invalid(f"Invalid array: {name} must be an array", name)


def limit(params: Params) -> int:
    raw = params.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    value = integer(raw, "limit")
    if not 1 <= value <= MAX_LIMIT:
        raise invalid(f"This value must be between 1 and {MAX_LIMIT} (it currently is '{value}').", "limit")
    return value


def time_range(params: Params, name: str) -> Callable[[int], bool]:
    """`created=…` (exactly) or `created[gte]=…&created[lt]=…` as a test on a timestamp."""
    raw = params.get(name)
    if raw is None:
        return lambda _: True
    if isinstance(raw, str):
        exact = integer(raw, name)
        return lambda t: t == exact
    if isinstance(raw, list) or not raw or set(raw) - set(RANGE_KEYS):
        raise invalid(f"Invalid {name}: give an integer, or any of {name}[gt|gte|lt|lte]", name)
    bounds = {op: integer(value, f"{name}[{op}]") for op, value in raw.items()}
    checks: dict[str, Callable[[int, int], bool]] = {
        "gt": lambda t, b: t > b,
        "gte": lambda t, b: t >= b,
        "lt": lambda t, b: t < b,
        "lte": lambda t, b: t <= b,
    }
    return lambda t: all(checks[op](t, bound) for op, bound in bounds.items())


def lower_bound(params: Params, name: str) -> int | None:
    """The range's lower bound, inclusive (a newest-first scan stops below it)."""
    raw = params.get(name)
    if isinstance(raw, str):
        return integer(raw, name)
    if isinstance(raw, dict):
        if "gte" in raw:
            return integer(raw["gte"], f"{name}[gte]")
        if "gt" in raw:
            return integer(raw["gt"], f"{name}[gt]") + 1
    return None
