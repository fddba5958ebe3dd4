"""When an outbound delivery is tried again.

Immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h after each failure (eight tries over
about a day and a half), each delay jittered by ±20% so that a receiver coming back up is not hit
by every queued delivery in the same second. A receiver's Retry-After replaces the step's delay.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

DELAYS_SECONDS = (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
ATTEMPTS = len(DELAYS_SECONDS) + 1
JITTER = 0.2
MAX_RETRY_AFTER_SECONDS = 10 * 3600


def next_delay(
    attempts_made: int, *, scale: float = 1.0, retry_after: float | None = None, rng: random.Random | None = None
) -> float | None:
    """Seconds until the next try after `attempts_made` failed ones; None when none is left."""
    if attempts_made >= ATTEMPTS:
        return None
    if retry_after is not None:
        return min(max(retry_after, 0.0), MAX_RETRY_AFTER_SECONDS) * scale
    base = DELAYS_SECONDS[attempts_made - 1]
    return base * (1 + (rng or random).uniform(-JITTER, JITTER)) * scale


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds (RFC 9110: delay-seconds or an HTTP-date); None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def at(delay: float, now: datetime | None = None) -> datetime:
    return (now or datetime.now(UTC)) + timedelta(seconds=delay)
