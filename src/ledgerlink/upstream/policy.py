"""What to do with an upstream answer: one default table, which connectors override only where they differ."""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx


class Action(enum.Enum):
    SUCCESS = "success"
    RETRY = "retry"  # transient: back off and try again
    RATE_LIMITED = "rate_limited"  # wait as told (Retry-After / the budget), then try again
    FAIL_AUTH = "fail_auth"  # credentials refused
    FAIL = "fail"  # the request is wrong; retrying cannot help


def default_action(status: int) -> Action:
    """Never retry a 4xx other than 408 and 429; retry every 5xx."""
    if 200 <= status < 300:
        return Action.SUCCESS
    if status == 429:
        return Action.RATE_LIMITED
    if status in (401, 403):
        return Action.FAIL_AUTH
    if status == 408 or status >= 500:
        return Action.RETRY
    return Action.FAIL


def retry_after_seconds(headers: httpx.Headers, default: float | None = None) -> float | None:
    """Retry-After as delta-seconds or an HTTP date."""
    value = headers.get("retry-after")
    if value is None:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return default


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6  # tries for transient failures (5xx, timeouts)
    rate_limit_waits: int = 20  # how many times we wait out a 429 before giving up
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_wait: float = 120.0  # a single Retry-After longer than this fails the call

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Capped exponential backoff with full jitter (attempt counts from 1)."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return (rng or random).uniform(ceiling / 2, ceiling)


class ResponsePolicy:
    """A connector's view of its upstream's answers. The defaults suit most REST APIs."""

    def request_cost(self, method: str, path: str, json_body: Any) -> float:
        """Units of the shared budget one request spends (Shopify: its query cost)."""
        return 1.0

    def classify(self, response: httpx.Response, payload: Any) -> Action:
        return default_action(response.status_code)

    def wait_for(self, response: httpx.Response, payload: Any) -> float | None:
        """How long a rate-limited answer says to wait."""
        return retry_after_seconds(response.headers)

    def remaining(self, response: httpx.Response, payload: Any) -> tuple[float, float | None] | None:
        """(units left now, seconds until a fixed window resets or None) if the upstream reports it."""
        return None
