"""BigCommerce's request quota: N requests per fixed window per store, reported on every response."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.responses import Response


@dataclass(frozen=True)
class QuotaState:
    allowed: bool
    left: int
    quota: int
    reset_ms: int
    window_ms: int

    def apply(self, response: Response) -> Response:
        response.headers["X-Rate-Limit-Requests-Left"] = str(self.left)
        response.headers["X-Rate-Limit-Requests-Quota"] = str(self.quota)
        response.headers["X-Rate-Limit-Time-Reset-Ms"] = str(self.reset_ms)
        response.headers["X-Rate-Limit-Time-Window-Ms"] = str(self.window_ms)
        return response


@dataclass
class WindowedQuota:
    """A window opens with the first request after the previous one closed; `quota` requests fit in it."""

    quota: int = 150
    window_ms: int = 30_000
    clock: Callable[[], float] = time.monotonic
    _opened: float | None = field(default=None, repr=False)
    _used: int = field(default=0, repr=False)

    def take(self) -> QuotaState:
        """Spend one request if the window has room; `allowed` says whether it had."""
        now = self.clock()
        if self._expired(now):
            self._opened, self._used = now, 0
        allowed = self._used < self.quota
        self._used += allowed
        return self._state(now, allowed)

    def peek(self) -> QuotaState:
        """The state without spending (for answers that do not count: a refused token, an injected fault)."""
        now = self.clock()
        return self._state(now, self._expired(now) or self._used < self.quota)

    def unlimited(self) -> QuotaState:
        """What the headers say while rate limits are switched off: the whole quota, every time."""
        return QuotaState(True, self.quota, self.quota, self.window_ms, self.window_ms)

    def reset(self) -> None:
        self._opened, self._used = None, 0

    def configure(self, quota: int, window_ms: int) -> None:
        """A different plan from now on (a sandbox control): a fresh window under the new numbers."""
        if quota < 1 or window_ms < 1:
            raise ValueError("quota and window_ms must be positive")
        self.quota, self.window_ms = quota, window_ms
        self.reset()

    def settings(self) -> dict[str, int]:
        return {"quota": self.quota, "window_ms": self.window_ms}

    def _expired(self, now: float) -> bool:
        return self._opened is None or (now - self._opened) * 1000 >= self.window_ms

    def _state(self, now: float, allowed: bool) -> QuotaState:
        if self._expired(now):
            return QuotaState(allowed, self.quota, self.quota, self.window_ms, self.window_ms)
        reset_ms = max(0, round(self.window_ms - (now - (self._opened or now)) * 1000))
        return QuotaState(allowed, max(0, self.quota - self._used), self.quota, reset_ms, self.window_ms)
