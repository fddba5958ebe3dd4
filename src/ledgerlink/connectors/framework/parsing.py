"""Parsing what upstream APIs send: timestamps in their various spellings."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any


def utc_time(value: Any) -> datetime | None:
    """ISO 8601 (with or without offset; naive means UTC, as WooCommerce's *_gmt fields), or
    RFC 2822 (BigCommerce v2). Empty means unknown (None); anything else unparsable raises ValueError."""
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
