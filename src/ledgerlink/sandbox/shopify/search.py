"""Shopify's search syntax (`query:` argument): `updated_at:>='2024-01-01T00:00:00Z' status:open -tag:vip`.

Terms are ANDed (an explicit `AND` is allowed), `OR` separates alternatives, `-` negates, values may be
quoted. Each resource declares which fields it can be searched by; unknown fields match everything and
are reported back as a search warning, as Shopify does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

_TERM = re.compile(r"""(?P<neg>-)?(?:(?P<field>[A-Za-z_][\w.]*):(?P<op>>=|<=|>|<)?)?(?P<value>'[^']*'|"[^"]*"|\S+)""")
ANY = "any"  # status-like fields list it among their values so that `status:any` matches


@dataclass(frozen=True)
class Term:
    field: str | None  # None: free text
    op: str  # "=", ">", ">=", "<", "<="
    value: str
    negated: bool = False


@dataclass(frozen=True)
class SearchFields:
    """What a resource can be searched by: field name -> value(s) of an item, plus free-text haystacks."""

    fields: dict[str, Callable[[Any], Any]]
    text: Callable[[Any], list[str]]


@dataclass(frozen=True)
class Search:
    groups: tuple[tuple[Term, ...], ...]  # OR of ANDs

    @property
    def empty(self) -> bool:
        return not any(self.groups)

    def unknown_fields(self, spec: SearchFields) -> list[str]:
        return sorted({t.field for g in self.groups for t in g if t.field and t.field not in spec.fields})

    def matcher(self, spec: SearchFields) -> Callable[[Any], bool] | None:
        if self.empty:
            return None
        return lambda item: any(all(_matches(t, spec, item) for t in group) for group in self.groups)

    def bounds(self, field: str) -> tuple[datetime | None, datetime | None]:
        """The [lower, upper] range a datetime field is restricted to (None: open), when the query has no OR."""
        lower = upper = None
        if len(self.groups) != 1:
            return None, None
        for term in self.groups[0]:
            if term.field != field or term.negated or (moment := parse_time(term.value)) is None:
                continue
            low, high = _range(term, moment)
            lower = low if lower is None or (low and low > lower) else lower
            upper = high if upper is None or (high and high < upper) else upper
        return lower, upper


def parse_search(text: str | None) -> Search:
    groups: list[tuple[Term, ...]] = []
    current: list[Term] = []
    for match in _TERM.finditer(text or ""):
        value = match["value"]
        if match["field"] is None and value in {"AND", "OR"}:
            if value == "OR":
                groups.append(tuple(current))
                current = []
            continue
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        current.append(Term(match["field"], match["op"] or "=", value, bool(match["neg"])))
    groups.append(tuple(current))
    return Search(tuple(g for g in groups if g) or ((),))


def parse_time(raw: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(raw.replace(" ", "T"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _range(term: Term, moment: datetime) -> tuple[datetime | None, datetime | None]:
    day_only = len(term.value) == 10
    if term.op in {">", ">="}:
        return moment, None
    if term.op in {"<", "<="}:
        return None, moment + timedelta(days=1) if day_only and term.op == "<=" else moment
    return moment, moment + timedelta(days=1) if day_only else moment


def _matches(term: Term, spec: SearchFields, item: Any) -> bool:
    if term.field is None:
        needle = term.value.lower()
        hit = any(needle in hay.lower() for hay in spec.text(item))
    else:
        extract = spec.fields.get(term.field)
        hit = True if extract is None else _compare(extract(item), term)
    return hit != term.negated


def _compare(actual: Any, term: Term) -> bool:
    if isinstance(actual, list | tuple | set | frozenset):
        return any(_compare(a, term) for a in actual)
    if actual is None:
        return False
    expected = _coerce(actual, term)
    if expected is None:
        return False
    if term.op == "=":
        return _equals(actual, expected, term)
    return {">": actual > expected, ">=": actual >= expected, "<": actual < expected, "<=": actual <= expected}[term.op]


def _coerce(actual: Any, term: Term) -> Any:
    raw = term.value
    try:
        if isinstance(actual, bool):
            return raw.lower() == "true"
        if isinstance(actual, datetime):
            return parse_time(raw)
        if isinstance(actual, int):
            return int(raw.rsplit("/", 1)[-1])  # `id:123` or a global id
        if isinstance(actual, Decimal):
            return Decimal(raw)
    except (ValueError, InvalidOperation):
        return None
    return raw.lower()


def _equals(actual: Any, expected: Any, term: Term) -> bool:
    if isinstance(actual, datetime):
        low, high = _range(term, expected)
        return low is not None and high is not None and low <= actual <= high
    if isinstance(actual, str):
        actual = actual.lower()
        return actual.startswith(expected[:-1]) if expected.endswith("*") else actual == expected
    return bool(actual == expected)
