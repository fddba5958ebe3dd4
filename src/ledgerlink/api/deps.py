"""Typed dependencies: the runtime, a database session, and an authenticated, rate-limited principal."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.auth.principal import Principal, authenticate
from ledgerlink.errors import AuthFailed
from ledgerlink.ratelimit import Limit
from ledgerlink.runtime import Runtime

_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key")
_bearer = HTTPBearer(auto_error=False, description="An API key or an OAuth access token")


async def get_runtime(request: Request) -> Runtime:  # async: a sync dependency costs a thread hop
    runtime: Runtime = request.app.state.runtime
    return runtime


async def db_session(runtime: Runtime = Depends(get_runtime)) -> AsyncIterator[AsyncSession]:
    async with runtime.sessions() as session:
        yield session


def _request_limit(runtime: Runtime) -> Limit:
    s = runtime.settings
    return Limit(rate=s.rate_limit_per_minute, period=60.0, burst=s.rate_limit_burst)


def requires(scope: str) -> Callable[..., Awaitable[Principal]]:
    """Dependency factory: the caller must authenticate, be within its rate limit, and hold `scope`."""

    async def dependency(
        runtime: Runtime = Depends(get_runtime),
        api_key: str | None = Security(_api_key_header),
        bearer: HTTPAuthorizationCredentials | None = Security(_bearer),
    ) -> Principal:
        secret = api_key or (bearer.credentials if bearer else None)
        if not secret:
            raise AuthFailed("authentication required: send an X-API-Key header or an Authorization: Bearer token")
        async with runtime.bookkeeping.connect() as conn:
            principal = await authenticate(conn, secret, _request_limit(runtime))
        principal.require(scope)
        return principal

    dependency.__name__ = f"requires_{scope.replace(':', '_')}"
    return dependency
