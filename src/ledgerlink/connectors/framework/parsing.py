"""Parsing what upstream APIs send: timestamps in their various spellings."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

_NAIVE_SECONDS = len("2024-05-01T10:00:00")


def utc_time(value: Any) -> datetime | None:
    """ISO 8601 (with or without offset; naive means UTC, as WooCommerce's *_gmt fields), or
    RFC 2822 (BigCommerce v2). Empty means unknown (None); anything else unparsable raises ValueError."""
    if type(value) is str and len(value) == _NAIVE_SECONDS:
        # The shape WooCommerce sends for every order, read with UTC attached in one step. A text
        # that names a zone already (or ends in Z) cannot take a second one, and one with spaces
        # around it does not parse: those fail here and are read below as before.
        try:
            return datetime.fromisoformat(value + "+00:00")
        except ValueError:
            pass
    return _any_utc_time(value)


def _any_utc_time(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"not a timestamp: {value!r}")
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            raise ValueError(f"not a timestamp: {value!r}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def required_time(value: Any) -> datetime:
    parsed = utc_time(value)
    if parsed is None:
        raise ValueError("timestamp is missing")
    return parsed
