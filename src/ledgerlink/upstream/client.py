"""The HTTP client every connector talks through: budget first, then retries by the policy's table.

One per integration (per sync run or job), built on httpx. It spends the upstream's budget fully but
never beyond it: it asks the shared Budget before each request, aligns the Budget with what the
upstream reports (headers, GraphQL cost), waits out 429s for as long as they say (pausing every
process's spending), retries 5xx and timeouts with capped exponential backoff and jitter, and gives
up with a typed error that lands on the sync run.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from ledgerlink.settings import get_settings
from ledgerlink.upstream.budget import Budget
from ledgerlink.upstream.errors import (
    UpstreamAuthFailed,
    UpstreamMalformed,
    UpstreamRateLimited,
    UpstreamRejected,
    UpstreamUnavailable,
)
from ledgerlink.upstream.lanes import LaneTransport
from ledgerlink.upstream.network import GuardedTransport, NetworkPolicy
from ledgerlink.upstream.policy import Action, ResponsePolicy, RetryPolicy

log = logging.getLogger(__name__)

BODY_EXCERPT = 500
CONNECTIONS = 20  # keep-alive connections (lanes) per integration client: its requests in flight at most


@dataclass
class Reply:
    """A successful upstream answer: the response and its parsed JSON body (None if empty)."""

    response: httpx.Response
    data: Any

    @property
    def headers(self) -> httpx.Headers:
        return self.response.headers


@dataclass
class CallStats:
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    waited_seconds: float = 0.0


@dataclass
class UpstreamClient:
    base_url: str
    headers: dict[str, str] = field(default_factory=dict)
    auth: httpx.Auth | None = None
    budget: Budget | None = None
    # For upstreams that limit each operation apart (Amazon SP-API): (method, path) -> the budget that
    # request spends from, instead of `budget`.
    budget_for: Callable[[str, str], Budget | None] | None = None
    policy: ResponsePolicy = field(default_factory=ResponsePolicy)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout: float = 30.0
    transport: httpx.AsyncBaseTransport | None = None
    stats: CallStats = field(default_factory=CallStats)
    _http: httpx.AsyncClient | None = field(default=None, repr=False)
    _in_flight: float = field(default=0.0, repr=False)  # cost of this client's requests awaiting an answer

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(
                base_url=self.base_url,
                headers=self.headers,
                auth=self.auth,
                timeout=self.timeout,
                # Every request's destination is checked first: apiBaseUrl is user input.
                transport=GuardedTransport(network_policy(), self.transport or LaneTransport(CONNECTIONS)),
                follow_redirects=False,
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    async def __aenter__(self) -> UpstreamClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        cost = self.policy.request_cost(method, path, json)
        budget = self.budget_for(method, path) if self.budget_for is not None else self.budget
        failures = 0
        waits = 0
        while True:
            if budget is not None:
                self.stats.waited_seconds += await budget.acquire(cost)
            self.stats.requests += 1
            self._in_flight += cost
            try:
                response = _unlinked(await self.http.request(method, path, params=params, json=json, headers=headers))
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                failure: Exception | None = exc
            else:
                failure = None
            finally:
                self._in_flight -= cost
            if failure is not None:
                failures += 1
                if failures >= self.retry.attempts:
                    raise UpstreamUnavailable(
                        f"{method} {path}: {type(failure).__name__} after {failures} attempts: {failure}"
                    ) from failure
                await self._sleep(self.retry.backoff(failures), retry=True)
                continue
            payload = _parse(response)
            remaining = self.policy.remaining(response, payload) if budget is not None else None
            if budget is not None and remaining is not None:
                left, *reset = remaining
                # The upstream counted this request, not those of ours still on the wire: they
                # spend from what it reports as left.
                await budget.align(left - self._in_flight, *reset)
            action = self.policy.classify(response, payload)
            if action is Action.SUCCESS:
                if payload is _NOT_JSON:
                    raise UpstreamMalformed(
                        f"{method} {path}: the answer is not JSON",
                        upstream_status=response.status_code,
                        body=response.text[:BODY_EXCERPT],
                    )
                return Reply(response, payload)
            excerpt = response.text[:BODY_EXCERPT]
            if action is Action.RATE_LIMITED:
                waits += 1
                self.stats.rate_limited += 1
                wait = self.policy.wait_for(response, payload)
                wait = self.retry.backoff(waits) if wait is None else wait
                if waits > self.retry.rate_limit_waits or wait > self.retry.max_wait:
                    raise UpstreamRateLimited(
                        f"{method} {path}: still rate limited after {waits} waits",
                        upstream_status=response.status_code,
                        body=excerpt,
                    )
                if budget is not None and remaining is None:
                    # Only when the upstream did not say what is left: then stop every process for `wait`.
                    await budget.pause(wait)
                await self._sleep(wait, retry=False)
                continue
            if action is Action.RETRY:
                failures += 1
                if failures >= self.retry.attempts:
                    raise UpstreamUnavailable(
                        f"{method} {path}: HTTP {response.status_code} after {failures} attempts",
                        upstream_status=response.status_code,
                        body=excerpt,
                    )
                await self._sleep(self.retry.backoff(failures), retry=True)
                continue
            if action is Action.FAIL_AUTH:
                raise UpstreamAuthFailed(
                    f"{method} {path}: the upstream refused the credentials (HTTP {response.status_code})",
                    upstream_status=response.status_code,
                    body=excerpt,
                )
            raise UpstreamRejected(
                f"{method} {path}: HTTP {response.status_code}", upstream_status=response.status_code, body=excerpt
            )

    async def get(self, path: str, **params: Any) -> Reply:
        return await self.request("GET", path, params=params or None)

    async def _sleep(self, seconds: float, *, retry: bool) -> None:
        if retry:
            self.stats.retries += 1
        self.stats.waited_seconds += seconds
        await asyncio.sleep(seconds)


def network_policy() -> NetworkPolicy:
    settings = get_settings()
    return NetworkPolicy.parse(settings.allowed_private_networks, settings.upstream_public)


def _unlinked(response: httpx.Response) -> httpx.Response:
    """The response with its body, read, as a plain byte stream. httpx binds a response's stream to the
    response (Response.stream names the response, which names the stream), so every response, body
    and all, waited for the cyclic collector; with the young threshold a worker runs with (heap.py),
    hundreds of sync pages' bodies (~0.4 MB each) were held at once, and a sync's peak memory grew
    with its length. Unlinked, a response is freed as soon as its Reply is dropped."""
    response.stream = httpx.ByteStream(response.content)
    return response


class _NotJson:
    pass


_NOT_JSON = _NotJson()


def _parse(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return _NOT_JSON
