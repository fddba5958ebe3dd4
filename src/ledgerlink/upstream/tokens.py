"""Access tokens that expire or rotate (PayPal client credentials, Amazon LWA refresh tokens).

However many jobs and processes need a fresh token at once, it is refreshed once: under a
PostgreSQL advisory lock per integration, the first one refreshes and saves the new token (and any
rotated refresh token) into the integration's encrypted credentials in the same transaction; the
others, once the lock is theirs, find it fresh and use it. A refresh the upstream refuses (revoked
consent, wrong secret) marks the integration `needs_reauth` and emits `integration.error` once,
instead of every job trying again and again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from ledgerlink.db import advisory
from ledgerlink.errors import LedgerlinkError

log = logging.getLogger(__name__)

TOKEN_FIELD = "_accessToken"
EXPIRES_FIELD = "_accessTokenExpiresAt"
LEEWAY = timedelta(seconds=60)  # refresh this long before expiry, not after a 401


class ReauthorisationNeeded(LedgerlinkError):
    """The upstream refused to refresh the token: a person must reconnect the integration."""

    code, status = "AUTH_FAILED", 401


@dataclass(frozen=True)
class Token:
    value: str
    expires_at: datetime
    updates: dict[str, Any] | None = None  # credential fields to save with it (a rotated refresh token)


Refresh = Callable[[dict[str, Any]], Awaitable[Token]]  # credentials -> a new token; raises on refusal


def cached(credentials: dict[str, Any], now: datetime | None = None) -> str | None:
    """The stored token if it is still good for a while."""
    token, expires = credentials.get(TOKEN_FIELD), credentials.get(EXPIRES_FIELD)
    if not token or not expires:
        return None
    if datetime.fromisoformat(expires) - LEEWAY <= (now or datetime.now(UTC)):
        return None
    return str(token)


class TokenStore:
    """One integration's token, shared through its stored credentials."""

    def __init__(self, runtime: Any, integration_id: str) -> None:
        self.runtime = runtime
        self.integration_id = integration_id

    async def token(self, refresh: Refresh, stale: str | None = None) -> str:
        """The integration's token. `stale` is one the upstream refused before its time: it is not
        returned again, and the first caller to report it refreshes while the others get the new one."""
        from ledgerlink.models import Integration  # models import the connectors' registry lazily

        async with self.runtime.sessions() as session:
            integration = await session.get(Integration, self.integration_id)
            if integration is None:
                raise ReauthorisationNeeded("the integration no longer exists", {})
            if integration.status == "needs_reauth":  # refused before: asking again cannot help
                raise ReauthorisationNeeded(
                    integration.last_error or "the integration must be reconnected", {"integrationId": integration.id}
                )
            found = cached(self.runtime.secrets.decrypt_json(integration.credentials_encrypted))
        if found and found != stale:
            return found
        async with self.runtime.sessions.begin() as session:
            await advisory.xact_lock(session, f"token:{self.integration_id}")
            query = select(Integration).where(Integration.id == self.integration_id).with_for_update()
            integration = (await session.execute(query)).scalar_one()
            if integration.status == "needs_reauth":  # refused while we waited for the lock
                raise ReauthorisationNeeded(
                    integration.last_error or "the integration must be reconnected", {"integrationId": integration.id}
                )
            credentials = self.runtime.secrets.decrypt_json(integration.credentials_encrypted)
            found = cached(credentials)
            if found and found != stale:  # refreshed by someone else while we waited for the lock
                return found
            try:
                fresh = await refresh(credentials)
            except ReauthorisationNeeded as exc:
                await self._needs_reauth(session, integration, exc.message)
                raise
            credentials.update(fresh.updates or {})
            credentials[TOKEN_FIELD] = fresh.value
            credentials[EXPIRES_FIELD] = fresh.expires_at.astimezone(UTC).isoformat()
            integration.credentials_encrypted = self.runtime.secrets.encrypt_json(credentials)
            log.info("refreshed an access token", extra={"integration_id": self.integration_id})
            return fresh.value

    async def _needs_reauth(self, session: Any, integration: Any, message: str) -> None:
        from ledgerlink.events import emit

        if integration.status != "needs_reauth":
            integration.status, integration.last_error = "needs_reauth", message
            emit(
                session,
                workspace_id=integration.workspace_id,
                type="integration.error",
                source=integration.provider,
                integration_id=integration.id,
                subject_id=integration.id,
                data={"integrationId": integration.id, "code": "AUTH_FAILED", "message": message},
            )
        await session.commit()  # the mark stays though the caller fails


class MemoryTokens:
    """For a connector without a stored integration (checking credentials at setup): the token lives
    as long as the connector."""

    def __init__(self, credentials: Any) -> None:
        self.credentials = credentials
        self._token: Token | None = None
        self._lock = asyncio.Lock()  # concurrent callers share one refresh

    async def token(self, refresh: Refresh, stale: str | None = None) -> str:
        async with self._lock:
            token = self._token
            if token is None or token.expires_at - LEEWAY <= datetime.now(UTC) or token.value == stale:
                self._token = token = await refresh(plain(self.credentials))
            return token.value


def plain(credentials: Any) -> dict[str, Any]:
    """Credentials as the dict that is stored (secrets revealed)."""
    return dict(credentials) if isinstance(credentials, dict) else dict(credentials.plain())
