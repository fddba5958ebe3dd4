"""The throttle a WooCommerce site's host puts in front of it (WooCommerce itself has none)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    """`rate` requests a second on average, bursts of up to `burst`."""

    rate: float = 25.0
    burst: int = 50
    clock: Callable[[], float] = time.monotonic
    tokens: float = field(init=False)
    stamp: float = field(init=False)

    def __post_init__(self) -> None:
        self.refill()

    def refill(self) -> None:
        """A full bucket from now, as a fresh one would be (a sandbox's reset)."""
        self.tokens = float(self.burst)
        self.stamp = self.clock()

    def take(self) -> int:
        """Spend one token: 0 when allowed, else the whole seconds to wait (a Retry-After value)."""
        now = self.clock()
        self.tokens = min(float(self.burst), self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0
        return max(1, math.ceil((1 - self.tokens) / self.rate))
