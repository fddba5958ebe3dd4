"""Resolving a presented secret to the workspace and scopes it acts with, and spending its rate budget.

This runs on every request, so it is one statement per request on the bookkeeping engine
(autocommit, no fsync wait): look the secret up by its hash, spend one unit of its request
budget, and touch `last_used_at` at most once a minute.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from ledgerlink.auth import tokens
from ledgerlink.auth.scopes import grants
from ledgerlink.errors import AuthFailed, InsufficientScope, RateLimitExceeded
from ledgerlink.ratelimit import Limit, gcra_upsert, retry_after

_API_KEY = text(
    f"""
    WITH k AS (
        SELECT id, workspace_id, scopes FROM api_keys WHERE key_hash = :hash AND revoked_at IS NULL
    ), touch AS (
        UPDATE api_keys SET last_used_at = clock_timestamp() FROM k
         WHERE api_keys.id = k.id
           AND (api_keys.last_used_at IS NULL OR api_keys.last_used_at < clock_timestamp() - interval '1 minute')
        RETURNING 1
    ), spend AS ({gcra_upsert("'api:' || k.id", " FROM k")})
    SELECT k.id, k.workspace_id, k.scopes, EXISTS (SELECT 1 FROM spend) AS allowed FROM k
    """
)

_ACCESS_TOKEN = text(
    f"""
    WITH k AS (
        SELECT client_id AS id, workspace_id, scopes FROM oauth_tokens
         WHERE token_hash = :hash AND expires_at > clock_timestamp()
    ), spend AS ({gcra_upsert("'api:' || k.id", " FROM k")})
    SELECT k.id, k.workspace_id, k.scopes, EXISTS (SELECT 1 FROM spend) AS allowed FROM k
    """
)


@dataclass(frozen=True)
class Principal:
    workspace_id: str
    credential_id: str  # key_… or the OAuth client's oac_… (tokens of one client share its budget)
    kind: str  # "api_key" | "oauth"
    scopes: tuple[str, ...]

    def require(self, scope: str) -> None:
        if not grants(self.scopes, scope):
            raise InsufficientScope(
                f"this credential lacks the scope '{scope}'",
                {"requiredScope": scope, "grantedScopes": list(self.scopes)},
            )


async def authenticate(conn: Any, secret: str, limit: Limit) -> Principal:
    """The principal behind `secret`, having spent one request of its budget.

    Raises AuthFailed for unknown, revoked or expired secrets (alike), RateLimitExceeded when the
    budget is spent. `conn` is an AsyncConnection (autocommit) or AsyncSession."""
    is_token = secret.startswith(tokens.ACCESS_TOKEN_PREFIX)
    row = (
        await conn.execute(_ACCESS_TOKEN if is_token else _API_KEY, {"hash": tokens.digest(secret), **limit.params()})
    ).first()
    if row is None:
        raise AuthFailed(
            "the bearer token is invalid or has expired" if is_token else "the API key is invalid or has been revoked"
        )
    if not row.allowed:
        wait = await retry_after(conn, f"api:{row.id}", limit)
        raise RateLimitExceeded(
            "request rate limit exceeded for this credential",
            retry_after=wait,
            details={"retryAfterSeconds": round(wait, 3)},
        )
    return Principal(row.workspace_id, row.id, "oauth" if is_token else "api_key", tuple(row.scopes))
