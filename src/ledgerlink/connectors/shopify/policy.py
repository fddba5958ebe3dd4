"""Shopify's GraphQL Admin API budget as its answers report it.

Each app and shop has a bucket of cost points (`throttleStatus.maximumAvailable`) refilled at
`restoreRate` points a second. A query is charged its requested cost before it runs (the unused part is
refunded), so each request spends exactly that requested cost from the shared budget first, computed as
Shopify computes it; every answer's `currentlyAvailable` then aligns the budget with the bucket. A query
the bucket cannot pay is answered HTTP 200 with a THROTTLED error and waits until the bucket holds its
cost. Other GraphQL errors fail the request with Shopify's message (framework.graphql.GraphQLEndpoint).
"""

from __future__ import annotations

from typing import Any

import httpx
from graphql import GraphQLError

from ledgerlink.connectors.shopify.cost import requested_cost
from ledgerlink.upstream.policy import Action, ResponsePolicy, default_action, retry_after_seconds

# GraphQL error codes that Shopify answers with HTTP 200, and what they mean for a retry.
ERROR_ACTIONS = {
    "THROTTLED": Action.RATE_LIMITED,
    "INTERNAL_SERVER_ERROR": Action.RETRY,
    "SERVICE_UNAVAILABLE": Action.RETRY,
    "TIMEOUT": Action.RETRY,
    "ACCESS_DENIED": Action.FAIL_AUTH,
}


def error_codes(payload: Any) -> list[str]:
    errors = payload.get("errors") if isinstance(payload, dict) else None
    if not isinstance(errors, list):
        return []
    return [str((e.get("extensions") or {}).get("code") or "") for e in errors if isinstance(e, dict)]


def cost_report(payload: Any) -> dict[str, Any]:
    cost = (payload.get("extensions") or {}).get("cost") if isinstance(payload, dict) else None
    return cost if isinstance(cost, dict) else {}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


class ShopifyPolicy(ResponsePolicy):
    def request_cost(self, method: str, path: str, json_body: Any) -> float:
        """The query's requested cost; a body that cannot be priced (Shopify will refuse it) costs 1."""
        if not isinstance(json_body, dict) or not isinstance(json_body.get("query"), str):
            return 1.0
        try:
            return float(max(1, requested_cost(json_body["query"], json_body.get("variables"))))
        except (GraphQLError, ValueError, TypeError, KeyError):
            return 1.0

    def classify(self, response: httpx.Response, payload: Any) -> Action:
        if response.status_code != 200:
            return default_action(response.status_code)
        codes = error_codes(payload)
        if not codes and not (isinstance(payload, dict) and payload.get("errors")):
            return Action.SUCCESS
        for code in codes:
            if code in ERROR_ACTIONS:
                return ERROR_ACTIONS[code]
        return Action.FAIL

    def wait_for(self, response: httpx.Response, payload: Any) -> float | None:
        """Until the bucket holds the query's cost: (requested - currentlyAvailable) / restoreRate."""
        cost = cost_report(payload)
        status = cost.get("throttleStatus") or {}
        requested, available = _number(cost.get("requestedQueryCost")), _number(status.get("currentlyAvailable"))
        rate = _number(status.get("restoreRate"))
        if requested is None or available is None or not rate:
            return retry_after_seconds(response.headers)
        return max(0.0, (requested - available) / rate)

    def remaining(self, response: httpx.Response, payload: Any) -> tuple[float, float | None] | None:
        status = cost_report(payload).get("throttleStatus") or {}
        available = _number(status.get("currentlyAvailable"))
        return None if available is None else (available, None)
