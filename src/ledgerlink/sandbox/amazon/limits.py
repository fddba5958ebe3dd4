"""SP-API's usage plans: a token bucket per operation (rate per second, burst), as Amazon publishes
them. Each answer names its plan's rate in `x-amzn-RateLimit-Limit`; a request the bucket cannot
pay for gets 429 QuotaExceeded. `/_sandbox/rate-limits` changes a plan so tests need not wait a
minute per getOrders call."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ledgerlink.sandbox.woocommerce.limiter import TokenBucket

RATE_HEADER = "x-amzn-RateLimit-Limit"


@dataclass(frozen=True)
class Plan:
    rate: float  # requests per second
    burst: int

    def header(self) -> str:
        return f"{self.rate:g}"


PUBLISHED: dict[str, Plan] = {
    "getOrders": Plan(0.0167, 20),
    "getOrder": Plan(0.5, 30),
    "getOrderItems": Plan(0.5, 30),
    "listFinancialEvents": Plan(0.5, 30),
    "listFinancialEventGroups": Plan(0.5, 30),
    "listFinancialEventsByGroupId": Plan(0.5, 30),
    "getInventorySummaries": Plan(2.0, 2),
    "getMarketplaceParticipations": Plan(0.016, 15),
}


class UsagePlans:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.plans = dict(PUBLISHED)
        self.refill()

    def _bucket(self, plan: Plan) -> TokenBucket:
        return TokenBucket(rate=plan.rate, burst=plan.burst, clock=self.clock)

    def take(self, operation: str) -> bool:
        """Spend one of the operation's tokens; False when there is none."""
        return self.buckets[operation].take() == 0

    def header(self, operation: str) -> str:
        return self.plans[operation].header()

    def configure(self, changes: dict[str, Any]) -> None:
        """`{"getOrders": {"rate": 5, "burst": 3}}`: new plans (their buckets start full)."""
        updated = {}
        for operation, change in changes.items():
            if operation not in self.plans or not isinstance(change, dict):
                raise ValueError(f"unknown operation or plan: {operation}")
            current = self.plans[operation]
            rate, burst = float(change.get("rate", current.rate)), int(change.get("burst", current.burst))
            if rate <= 0 or burst < 1:
                raise ValueError(f"{operation}: rate must be positive and burst at least 1")
            updated[operation] = Plan(rate, burst)
        for operation, plan in updated.items():
            self.plans[operation], self.buckets[operation] = plan, self._bucket(plan)

    def refill(self) -> None:
        """Every bucket full again, at the plans as they are."""
        self.buckets = {op: self._bucket(plan) for op, plan in self.plans.items()}

    def reset(self) -> None:
        self.plans = dict(PUBLISHED)
        self.refill()

    def report(self) -> dict[str, Any]:
        return {op: {"rate": plan.rate, "burst": plan.burst} for op, plan in self.plans.items()}
