"""Resolving a presented secret to the workspace and scopes it acts with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.auth import tokens
from ledgerlink.auth.scopes import grants
from ledgerlink.errors import AuthFailed, InsufficientScope
from ledgerlink.models import ApiKey, OAuthToken

LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Principal:
    workspace_id: str
    credential_id: str  # key_… or the OAuth client's oac_…
    kind: str  # "api_key" | "oauth"
    scopes: tuple[str, ...]

    def require(self, scope: str) -> None:
        if not grants(self.scopes, scope):
            raise InsufficientScope(
                f"this credential lacks the scope '{scope}'",
                {"requiredScope": scope, "grantedScopes": list(self.scopes)},
            )


async def authenticate(session: AsyncSession, secret: str) -> Principal:
    """Look the secret up by its hash. Revoked keys and expired tokens fail like unknown ones."""
    now = datetime.now(UTC)
    hashed = tokens.digest(secret)
    if secret.startswith(tokens.ACCESS_TOKEN_PREFIX):
        token = (await session.execute(select(OAuthToken).where(OAuthToken.token_hash == hashed))).scalar_one_or_none()
        if token is None or token.expires_at <= now:
            raise AuthFailed("the bearer token is invalid or has expired")
        return Principal(token.workspace_id, token.client_id, "oauth", tuple(token.scopes))
    key = (await session.execute(select(ApiKey).where(ApiKey.key_hash == hashed))).scalar_one_or_none()
    if key is None or key.revoked_at is not None:
        raise AuthFailed("the API key is invalid or has been revoked")
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        await session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))
    return Principal(key.workspace_id, key.id, "api_key", tuple(key.scopes))
