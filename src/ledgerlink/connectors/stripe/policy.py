"""How Stripe's answers are read: its own retry advice, and its rate limiter's reasons.

Stripe says whether a failed request may be retried in `Stripe-Should-Retry` (its client libraries
obey it before looking at the status), so `false` stops even a 5xx or a 429, and `true` makes even a
409 (a lock held by a concurrent request) worth another try. A 429 names its limiter in
`Stripe-Rate-Limited-Reason`: the rate limiters (`global-rate`, `endpoint-rate`) count requests per
second, so a second's wait refills them; the concurrency limiters clear as requests finish, so a short
backoff suits them better. `Retry-After`, when sent, wins over both.
"""

from __future__ import annotations

from typing import Any

import httpx

from ledgerlink.upstream.policy import Action, ResponsePolicy, default_action, retry_after_seconds

SHOULD_RETRY = "Stripe-Should-Retry"
LIMITED_REASON = "Stripe-Rate-Limited-Reason"
RATE_WINDOW_SECONDS = 1.0


class StripePolicy(ResponsePolicy):
    def classify(self, response: httpx.Response, payload: Any) -> Action:
        action = default_action(response.status_code)
        advice = response.headers.get(SHOULD_RETRY, "").strip().lower()
        if advice == "false" and action in (Action.RETRY, Action.RATE_LIMITED):
            return Action.FAIL
        if advice == "true" and action is Action.FAIL:
            return Action.RETRY
        return action

    def wait_for(self, response: httpx.Response, payload: Any) -> float | None:
        told = retry_after_seconds(response.headers)
        if told is not None:
            return told
        reason = response.headers.get(LIMITED_REASON, "")
        return RATE_WINDOW_SECONDS if reason.endswith("-rate") else None  # None: the client's backoff
