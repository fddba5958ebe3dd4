"""BigCommerce's request quota as its answers report it.

Every answer (429s included) carries `X-Rate-Limit-Requests-Left` and `X-Rate-Limit-Time-Reset-Ms`: the
requests left in the store's fixed window and when that window ends. The shared budget is aligned with
them after every request, so the client spends the window to its last request and then waits for the
reset instead of guessing; a 429 waits exactly as long as the reset says.
"""

from __future__ import annotations

from typing import Any

import httpx

from ledgerlink.upstream.policy import ResponsePolicy, retry_after_seconds

LEFT = "X-Rate-Limit-Requests-Left"
RESET_MS = "X-Rate-Limit-Time-Reset-Ms"


def _header_number(headers: httpx.Headers, name: str) -> float | None:
    value = headers.get(name)
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and number >= 0 else None


def reset_seconds(headers: httpx.Headers) -> float | None:
    reset_ms = _header_number(headers, RESET_MS)
    return None if reset_ms is None else reset_ms / 1000


class BigCommercePolicy(ResponsePolicy):
    def remaining(self, response: httpx.Response, payload: Any) -> tuple[float, float | None] | None:
        left = _header_number(response.headers, LEFT)
        return None if left is None else (left, reset_seconds(response.headers))

    def wait_for(self, response: httpx.Response, payload: Any) -> float | None:
        reset = reset_seconds(response.headers)
        return reset if reset is not None else retry_after_seconds(response.headers)
