"""Login with Amazon: the refresh-token grant that turns an SP-API app's authorisation into an access
token (valid for an hour), and the httpx auth that puts it on every SP-API request.

Tokens come from the connector's token store, so however many jobs and processes read one seller at
once, the token is refreshed once and shared (upstream/tokens.py). LWA refusing the refresh token or
the client (`invalid_grant`, `invalid_client`, `unauthorized_client`) means a person must authorise the
app again: that raises ReauthorisationNeeded, which the store records on the integration once. LWA's
own 5xx and timeouts are retried a few times and then fail the call without blaming the credentials.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from ledgerlink.upstream.client import UpstreamClient
from ledgerlink.upstream.errors import UpstreamMalformed, UpstreamUnavailable
from ledgerlink.upstream.policy import RetryPolicy
from ledgerlink.upstream.tokens import MemoryTokens, ReauthorisationNeeded, Token, TokenStore

LWA_ENDPOINT = "https://api.amazon.com/auth/o2/token"
TOKEN_HEADER = "x-amz-access-token"
REFUSALS = ("invalid_grant", "invalid_client", "unauthorized_client", "invalid_request")
# A token read from the shared store is reused in this process this long before asking the store
# again: well inside the store's own leeway, so a reused token is never one the store thinks stale.
REUSE_SECONDS = 30.0


class LwaRefresher:
    """`refresh(credentials) -> Token` for the token store: one refresh-token grant at LWA."""

    def __init__(self, transport: httpx.AsyncBaseTransport | None = None, retry: RetryPolicy | None = None) -> None:
        self.transport = transport
        self.retry = retry or RetryPolicy(attempts=3, base_delay=0.5, max_delay=4)

    async def __call__(self, credentials: dict[str, Any]) -> Token:
        endpoint = str(credentials.get("lwaEndpoint") or LWA_ENDPOINT)
        form = {
            "grant_type": "refresh_token",
            "refresh_token": str(credentials["refreshToken"]),
            "client_id": str(credentials["lwaClientId"]),
            "client_secret": str(credentials["lwaClientSecret"]),
        }
        # The guarded client: an lwaEndpoint is user input, held to the same network policy as apiBaseUrl.
        async with UpstreamClient(base_url=endpoint, transport=self.transport, timeout=15.0) as client:
            response = await self._post(client, endpoint, form)
        return _token(response)

    async def _post(self, client: UpstreamClient, endpoint: str, form: dict[str, str]) -> httpx.Response:
        for attempt in range(1, self.retry.attempts + 1):
            try:
                response = await client.http.post(endpoint, data=form, headers={"Accept": "application/json"})
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                failure = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code < 500 and response.status_code != 429:
                    return response
                failure = f"HTTP {response.status_code}"
            if attempt < self.retry.attempts:
                await asyncio.sleep(self.retry.backoff(attempt))
        raise UpstreamUnavailable(f"Login with Amazon ({endpoint}): {failure} after {self.retry.attempts} attempts")


def _token_refused(response: httpx.Response) -> bool:
    """SP-API's 403 for the access token itself (not for an operation the app has no role for)."""
    if response.status_code != 403:
        return False
    try:
        errors = response.json().get("errors") or []
    except (ValueError, AttributeError):
        return False
    return any("access token" in str(e.get("details", "")).lower() for e in errors if isinstance(e, dict))


def _token(response: httpx.Response) -> Token:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise UpstreamMalformed("Login with Amazon answered without JSON", upstream_status=response.status_code)
    if response.status_code in (400, 401, 403) and body.get("error") in REFUSALS:
        description = body.get("error_description") or "the refresh token or the app's client was refused"
        raise ReauthorisationNeeded(
            f"Login with Amazon refused to refresh the access token ({body['error']}: {description}); "
            "authorise the SP-API app again and give its new refreshToken",
            {"error": body["error"], "upstreamStatus": response.status_code},
        )
    token, lifetime = body.get("access_token"), body.get("expires_in")
    if response.status_code != 200 or not isinstance(token, str) or not isinstance(lifetime, int):
        raise UpstreamMalformed(
            f"Login with Amazon answered HTTP {response.status_code} without an access token",
            upstream_status=response.status_code,
            body=response.text[:500],
        )
    rotated = body.get("refresh_token")
    return Token(
        token,
        datetime.now(UTC) + timedelta(seconds=lifetime),
        updates={"refreshToken": rotated} if isinstance(rotated, str) and rotated else None,
    )


class LwaAuth(httpx.Auth):
    """Adds `x-amz-access-token`. Concurrent requests of one client wait for one token, not one each.
    A token SP-API refuses before its time (revoked, or expired early: 403 naming the access token) is
    reported stale to the store, which replaces it once for everyone; the request is then sent again."""

    def __init__(self, tokens: TokenStore | MemoryTokens, refresh: LwaRefresher) -> None:
        self.tokens = tokens
        self.refresh = refresh
        self._lock = asyncio.Lock()
        self._held: tuple[str, float] | None = None  # (token, monotonic time it was read)

    async def current(self, stale: str | None = None) -> str:
        async with self._lock:
            held = self._held
            if held is None or held[0] == stale or time.monotonic() - held[1] > REUSE_SECONDS:
                self._held = held = (await self.tokens.token(self.refresh, stale=stale), time.monotonic())
            return held[0]

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self.current()
        request.headers[TOKEN_HEADER] = token
        response = yield request
        if response.status_code == 403:
            await response.aread()  # to tell a refused token from a 403 for a missing role
        if _token_refused(response):
            request.headers[TOKEN_HEADER] = await self.current(stale=token)
            yield request

    def sync_auth_flow(self, request: httpx.Request) -> Any:
        raise RuntimeError("the SP-API client is asynchronous only")
