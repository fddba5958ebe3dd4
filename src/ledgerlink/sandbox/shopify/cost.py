"""The leaky bucket Shopify charges query costs against; the cost itself is worked out by
ledgerlink.connectors.shopify.cost, which the connector uses to budget its own requests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ledgerlink.connectors.shopify.cost import MAX_QUERY_COST, MUTATION_COST, QueryCost

__all__ = ["MAX_QUERY_COST", "MUTATION_COST", "LeakyBucket", "QueryCost"]


class LeakyBucket:
    """`maximum` points, refilled at `restore_rate` per second; one per shop. `spent` counts the points
    charged and kept (requested minus refunded) since the bucket was last configured."""

    def __init__(self, maximum: float, restore_rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.configure(maximum, restore_rate)

    def configure(self, maximum: float, restore_rate: float, available: float | None = None) -> None:
        """Resize the bucket (a test's small one), full unless `available` says otherwise."""
        if maximum <= 0 or restore_rate <= 0:
            raise ValueError("maximumAvailable and restoreRate must be positive")
        self.maximum, self.restore_rate = float(maximum), float(restore_rate)
        self._available = self.maximum if available is None else min(self.maximum, max(0.0, float(available)))
        self._stamp = self.clock()
        self.spent = 0.0

    @property
    def available(self) -> float:
        now = self.clock()
        self._available = min(self.maximum, self._available + (now - self._stamp) * self.restore_rate)
        self._stamp = now
        return self._available

    def take(self, cost: int) -> bool:
        if cost > self.available:
            return False
        self._available -= cost
        self.spent += cost
        return True

    def give_back(self, points: int) -> None:
        self._available = min(self.maximum, self.available + max(0, points))
        self.spent -= max(0, points)

    def status(self) -> dict[str, Any]:
        return {
            "maximumAvailable": self.maximum,
            "currentlyAvailable": int(self.available),
            "restoreRate": self.restore_rate,
        }

    def seconds_until(self, cost: int) -> float:
        return max(0.0, (cost - self.available) / self.restore_rate)
