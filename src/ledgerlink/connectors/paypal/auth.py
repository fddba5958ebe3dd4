"""PayPal's OAuth 2.0 client credentials: the app's id and secret buy a bearer token (about nine
hours), which every API request carries.

Tokens come from the connector's token store: the integration's, shared through the database by
every job and process (one refresh however many need it), or one held in memory while setup checks
the credentials. A request answered 401 is sent once more with a token the store refreshed (PayPal
can revoke a token before its `expires_in`): the store refreshes once however many requests were
refused the same token, and a second 401 is final. PayPal refusing the id and secret themselves
(`invalid_client`) is a refusal to re-authorise: the store flags the integration instead of retrying.

The token request goes through the API client's own HTTP connection (same network guard, same
transport) with HTTP Basic in place of the bearer token.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import orjson

from ledgerlink.upstream.errors import UpstreamMalformed, UpstreamRateLimited, UpstreamRejected, UpstreamUnavailable
from ledgerlink.upstream.policy import retry_after_seconds
from ledgerlink.upstream.tokens import ReauthorisationNeeded, Token

if TYPE_CHECKING:
    from ledgerlink.connectors.framework.connector import Connector
    from ledgerlink.upstream.client import UpstreamClient

TOKEN_PATH = "/v1/oauth2/token"
API_BASES = {"live": "https://api-m.paypal.com", "sandbox": "https://api-m.sandbox.paypal.com"}
DEFAULT_LIFETIME = 32_400  # what PayPal grants when an answer does not say


def api_base(credentials: Mapping[str, Any]) -> str:
    """`apiBaseUrl` when set (a proxy, the hub's sandbox), else PayPal's live or sandbox host."""
    return str(credentials.get("apiBaseUrl") or API_BASES[str(credentials.get("environment") or "live")]).rstrip("/")


def _refusal(response: httpx.Response) -> ReauthorisationNeeded:
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        body = {}
    error = body.get("error", "refused") if isinstance(body, dict) else "refused"
    described = body.get("error_description", "") if isinstance(body, dict) else ""
    return ReauthorisationNeeded(
        f"PayPal refused the app's client id and secret ({error}{': ' + described if described else ''})",
        {"upstreamStatus": response.status_code, "error": error},
    )


class TokenRequest:
    """The store's `refresh`: `POST /v1/oauth2/token` with the stored client id and secret."""

    def __init__(self, client: UpstreamClient) -> None:
        self.client = client

    async def __call__(self, credentials: dict[str, Any]) -> Token:
        retry, failures, waits = self.client.retry, 0, 0
        while True:
            try:
                response = await self.client.http.post(
                    TOKEN_PATH,
                    data={"grant_type": "client_credentials"},
                    auth=httpx.BasicAuth(str(credentials["clientId"]), str(credentials["clientSecret"])),
                    headers={"Accept": "application/json"},
                )
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                failures += 1
                if failures >= retry.attempts:
                    raise UpstreamUnavailable(f"POST {TOKEN_PATH}: {type(exc).__name__}: {exc}") from exc
                await asyncio.sleep(retry.backoff(failures))
                continue
            status = response.status_code
            if status == 200:
                return _token(response)
            if status in (400, 401, 403):
                raise _refusal(response)
            if status == 429 and waits < retry.rate_limit_waits:
                waits += 1
                await asyncio.sleep(min(retry_after_seconds(response.headers) or retry.backoff(waits), retry.max_wait))
                continue
            if (status >= 500 or status == 408) and failures + 1 < retry.attempts:
                failures += 1
                await asyncio.sleep(retry.backoff(failures))
                continue
            error = UpstreamRateLimited if status == 429 else UpstreamUnavailable if status >= 500 else UpstreamRejected
            raise error(f"POST {TOKEN_PATH}: HTTP {status}", upstream_status=status, body=response.text[:500])


def _token(response: httpx.Response) -> Token:
    try:
        body = orjson.loads(response.content)
        value, lifetime = body["access_token"], body.get("expires_in", DEFAULT_LIFETIME)
        if not isinstance(value, str) or not value or not isinstance(lifetime, int):
            raise TypeError("access_token or expires_in has the wrong type")
    except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
        raise UpstreamMalformed(
            f"POST {TOKEN_PATH}: not a token ({exc})", upstream_status=200, body=response.text[:200]
        ) from None
    return Token(value, datetime.now(UTC) + timedelta(seconds=lifetime))


class BearerAuth(httpx.Auth):
    """`Authorization: Bearer <token>` from the connector's token store, refreshed once on a 401."""

    requires_response_body = False

    def __init__(self, connector: Connector, refresh: TokenRequest) -> None:
        self.connector = connector
        self.refresh = refresh

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self.connector.tokens.token(self.refresh)
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code != 401:
            return
        fresh = await self.connector.tokens.token(self.refresh, stale=token)
        if fresh != token:  # the same token again would be refused again: the 401 stands
            request.headers["Authorization"] = f"Bearer {fresh}"
            yield request

    def sync_auth_flow(self, request: httpx.Request) -> Any:
        raise RuntimeError("PayPal's client is asynchronous")
