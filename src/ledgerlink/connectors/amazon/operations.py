"""SP-API's usage plans: every operation has a token bucket of its own (rate per second and burst),
so the connector spends a budget per operation, shared by every process through PostgreSQL under
`upstream:{integration}:{operation}`, and picks the budget by the request's path.

The buckets are Amazon's and ours runs on another clock: requests leave here on time and arrive a
little early or late. So the connector spends 90 % of the rate and one request less than the burst,
and network jitter never meets an empty bucket at Amazon. An integration's `settings.rateLimit`
(a seller with a raised usage plan) replaces every operation's plan; `null` spends no budget at all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from ledgerlink.ratelimit import Limit
from ledgerlink.upstream.budget import Budget
from ledgerlink.upstream.policy import ResponsePolicy, retry_after_seconds

RATE_HEADER = "x-amzn-RateLimit-Limit"
SAFETY = 0.9


@dataclass(frozen=True)
class Plan:
    rate: float  # requests per second
    burst: int

    def spend(self) -> Limit:
        """What we let ourselves spend of it."""
        return Limit(rate=1, period=1 / (self.rate * SAFETY), burst=max(1, self.burst - 1))


# Amazon's published default plans (each operation's description in the official API models).
PUBLISHED: Mapping[str, Plan] = {
    "getOrders": Plan(0.0167, 20),
    "getOrder": Plan(0.5, 30),
    "getOrderItems": Plan(0.5, 30),
    "listFinancialEvents": Plan(0.5, 30),
    "listFinancialEventGroups": Plan(0.5, 30),
    "listFinancialEventsByGroupId": Plan(0.5, 30),
    "getInventorySummaries": Plan(2.0, 2),
    "getMarketplaceParticipations": Plan(0.016, 15),
}
# Most specific first: /orders/v0/orders/{id}/orderItems before /orders/v0/orders/{id}.
PATHS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), operation)
    for pattern, operation in (
        (r"/orders/v0/orders/[^/]+/orderItems", "getOrderItems"),
        (r"/orders/v0/orders/[^/]+", "getOrder"),
        (r"/orders/v0/orders", "getOrders"),
        (r"/finances/v0/financialEvents", "listFinancialEvents"),
        (r"/finances/v0/financialEventGroups/[^/]+/financialEvents", "listFinancialEventsByGroupId"),
        (r"/finances/v0/financialEventGroups", "listFinancialEventGroups"),
        (r"/fba/inventory/v1/summaries", "getInventorySummaries"),
        (r"/sellers/v1/marketplaceParticipations", "getMarketplaceParticipations"),
    )
)


def operation_of(path: str) -> str | None:
    bare = path.split("?", 1)[0].rstrip("/")
    return next((op for pattern, op in PATHS if pattern.fullmatch(bare)), None)


class OperationBudgets:
    """`(method, path) -> Budget`: the shared budget of the operation a request calls."""

    def __init__(self, shared: Budget | None, plans: Mapping[str, Plan], published: Limit | None) -> None:
        self.shared = shared
        self.plans = plans
        # The shared budget carries the settings' override when it is not the connector's own default.
        self.override = shared.limit if shared is not None and shared.limit is not published else None
        self._budgets: dict[str, Budget] = {}

    def __call__(self, method: str, path: str) -> Budget | None:
        if self.shared is None:
            return None
        operation = operation_of(path)
        if operation is None or operation not in self.plans:
            return self.shared
        if operation not in self._budgets:
            limit = self.override or self.plans[operation].spend()
            self._budgets[operation] = Budget(self.shared.engine, f"{self.shared.bucket}:{operation}", limit)
        return self._budgets[operation]


class AmazonPolicy(ResponsePolicy):
    """A 429 from SP-API says no Retry-After; its `x-amzn-RateLimit-Limit` names the plan's rate, so the
    wait for one token is 1 / rate (a minute for getOrders)."""

    def wait_for(self, response: httpx.Response, payload: object) -> float | None:
        told = retry_after_seconds(response.headers)
        if told is not None:
            return told
        try:
            rate = float(response.headers.get(RATE_HEADER, ""))
        except ValueError:
            return None
        return 1 / rate if rate > 0 else None
