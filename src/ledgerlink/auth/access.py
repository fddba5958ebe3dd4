"""Managing workspaces, API keys, OAuth clients, and issuing client-credentials tokens."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.auth import tokens
from ledgerlink.auth.scopes import parse_scopes, unknown_scopes
from ledgerlink.db.paging import fetch_page
from ledgerlink.errors import AuthFailed, Conflict, InsufficientScope, NotFound, ValidationFailed
from ledgerlink.ids import new_id
from ledgerlink.models import ApiKey, OAuthClient, OAuthToken, Workspace


def _checked_scopes(scopes: list[str]) -> list[str]:
    scopes = parse_scopes(scopes)
    if not scopes:
        raise ValidationFailed("at least one scope is required", [{"field": "scopes", "message": "empty"}])
    bad = unknown_scopes(scopes)
    if bad:
        raise ValidationFailed(
            f"unknown scope(s): {', '.join(bad)}",
            [{"field": "scopes", "type": "unknown_scope", "message": f"unknown scope '{s}'"} for s in bad],
        )
    return scopes


async def create_workspace(session: AsyncSession, name: str) -> Workspace:
    workspace = Workspace(id=new_id("ws"), name=name)
    session.add(workspace)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise Conflict(f"a workspace named '{name}' already exists", {"name": name}) from None
    return workspace


async def workspace_by_name(session: AsyncSession, name: str) -> Workspace:
    workspace = (await session.execute(select(Workspace).where(Workspace.name == name))).scalar_one_or_none()
    if workspace is None:
        raise NotFound(f"workspace '{name}' not found", {"name": name})
    return workspace


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    secret: str  # shown once, never stored


async def create_api_key(session: AsyncSession, workspace_id: str, scopes: list[str], name: str) -> IssuedKey:
    secret = tokens.generate(tokens.API_KEY_PREFIX)
    key = ApiKey(
        id=new_id("key"),
        workspace_id=workspace_id,
        name=name,
        key_hash=tokens.digest(secret),
        prefix=tokens.display_prefix(secret),
        scopes=_checked_scopes(scopes),
    )
    session.add(key)
    await session.commit()
    return IssuedKey(key, secret)


async def list_api_keys(
    session: AsyncSession, workspace_id: str | None, offset: int = 0, limit: int = 250
) -> tuple[list[ApiKey], int]:
    query = select(ApiKey)
    if workspace_id is not None:
        query = query.where(ApiKey.workspace_id == workspace_id)
    return await fetch_page(session, query, order_by=ApiKey.id, offset=offset, limit=limit)


async def revoke_api_key(session: AsyncSession, key_id: str, workspace_id: str | None = None) -> ApiKey:
    query = select(ApiKey).where(ApiKey.id == key_id)
    if workspace_id is not None:
        query = query.where(ApiKey.workspace_id == workspace_id)
    key = (await session.execute(query)).scalar_one_or_none()
    if key is None:
        raise NotFound(f"API key '{key_id}' not found", {"id": key_id})
    if key.revoked_at is None:
        key.revoked_at = datetime.now(UTC)
        await session.commit()
    return key


@dataclass(frozen=True)
class IssuedClient:
    client: OAuthClient
    secret: str


async def create_oauth_client(session: AsyncSession, workspace_id: str, scopes: list[str], name: str) -> IssuedClient:
    secret = tokens.generate(tokens.CLIENT_SECRET_PREFIX)
    client = OAuthClient(
        id=new_id("oac"),
        workspace_id=workspace_id,
        name=name,
        client_id=tokens.generate(tokens.CLIENT_ID_PREFIX)[:40],
        secret_hash=tokens.digest(secret),
        scopes=_checked_scopes(scopes),
    )
    session.add(client)
    await session.commit()
    return IssuedClient(client, secret)


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    scopes: list[str]
    expires_in: int


async def issue_token(
    session: AsyncSession, client_id: str, client_secret: str, requested: list[str] | None, ttl_seconds: int
) -> IssuedToken:
    """Client-credentials grant: a short-lived token with the requested subset of the client's scopes."""
    client = (await session.execute(select(OAuthClient).where(OAuthClient.client_id == client_id))).scalar_one_or_none()
    if (
        client is None
        or client.revoked_at is not None
        or not hmac.compare_digest(client.secret_hash, tokens.digest(client_secret))
    ):
        raise AuthFailed("invalid client credentials")
    scopes = parse_scopes(requested) if requested else list(client.scopes)
    beyond = sorted(set(scopes) - set(client.scopes))
    if beyond:
        raise InsufficientScope(
            f"the client may not request scope(s): {', '.join(beyond)}",
            {"requested": beyond, "allowed": list(client.scopes)},
        )
    secret = tokens.generate(tokens.ACCESS_TOKEN_PREFIX)
    session.add(
        OAuthToken(
            id=new_id("tok"),
            workspace_id=client.workspace_id,
            client_id=client.id,
            token_hash=tokens.digest(secret),
            scopes=scopes,
            expires_at=datetime.now(UTC) + timedelta(seconds=ttl_seconds),
        )
    )
    await session.commit()
    return IssuedToken(secret, scopes, ttl_seconds)
