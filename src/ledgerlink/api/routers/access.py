"""API keys and OAuth clients of the caller's workspace (admin:all), and the OAuth token endpoint."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.api.deps import db_session, get_runtime, requires
from ledgerlink.api.envelope import ERROR_RESPONSES, Envelope, PageEnvelope, PageParams, ok, page_params, paged
from ledgerlink.api.schemas import NAME, StrictBody
from ledgerlink.auth import access
from ledgerlink.auth.principal import Principal
from ledgerlink.auth.scopes import Scope
from ledgerlink.errors import AuthFailed, ValidationFailed
from ledgerlink.models import ApiKey
from ledgerlink.runtime import Runtime

router = APIRouter(tags=["access"], responses=ERROR_RESPONSES)


class KeyCreateBody(StrictBody):
    name: str = NAME
    scopes: list[Scope] = Field(min_length=1, max_length=40)


class KeyOut(BaseModel):
    id: str
    name: str
    prefix: str
    scopes: list[str]
    createdAt: datetime
    lastUsedAt: datetime | None
    revokedAt: datetime | None


class KeyCreatedOut(KeyOut):
    key: str = Field(description="The key itself: shown this once, never again")


class ClientCreatedOut(BaseModel):
    id: str
    name: str
    clientId: str
    clientSecret: str = Field(description="Shown this once, never again")
    scopes: list[str]


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    scope: str


def _key_view(key: ApiKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "name": key.name,
        "prefix": key.prefix,
        "scopes": list(key.scopes),
        "createdAt": key.created_at,
        "lastUsedAt": key.last_used_at,
        "revokedAt": key.revoked_at,
    }


@router.post("/v1/api-keys", status_code=201, response_model=Envelope[KeyCreatedOut], summary="Create an API key")
async def create_key(
    body: KeyCreateBody,
    principal: Principal = Depends(requires("admin:all")),
    session: AsyncSession = Depends(db_session),
) -> dict[str, Any]:
    issued = await access.create_api_key(session, principal.workspace_id, body.scopes, body.name)
    await session.refresh(issued.key)
    return ok({**_key_view(issued.key), "key": issued.secret})


@router.get("/v1/api-keys", response_model=PageEnvelope[KeyOut], summary="List API keys")
async def list_keys(
    params: PageParams = Depends(page_params),
    principal: Principal = Depends(requires("admin:all")),
    session: AsyncSession = Depends(db_session),
) -> dict[str, Any]:
    keys, total = await access.list_api_keys(session, principal.workspace_id, params.offset, params.limit)
    return paged([_key_view(k) for k in keys], params, total)


@router.delete("/v1/api-keys/{keyId}", response_model=Envelope[KeyOut], summary="Revoke an API key")
async def revoke_key(
    keyId: str = Path(max_length=40),
    principal: Principal = Depends(requires("admin:all")),
    session: AsyncSession = Depends(db_session),
) -> dict[str, Any]:
    key = await access.revoke_api_key(session, keyId, principal.workspace_id)
    return ok(_key_view(key))


@router.post(
    "/v1/oauth/clients", status_code=201, response_model=Envelope[ClientCreatedOut], summary="Create an OAuth client"
)
async def create_client(
    body: KeyCreateBody,
    principal: Principal = Depends(requires("admin:all")),
    session: AsyncSession = Depends(db_session),
) -> dict[str, Any]:
    issued = await access.create_oauth_client(session, principal.workspace_id, body.scopes, body.name)
    client = issued.client
    return ok(
        {
            "id": client.id,
            "name": client.name,
            "clientId": client.client_id,
            "clientSecret": issued.secret,
            "scopes": list(client.scopes),
        }
    )


def _basic_auth(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:], validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise AuthFailed("malformed Basic authorization header") from None
    return user, password


async def _token_params(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        try:
            data = await request.json()
        except ValueError:
            raise ValidationFailed("malformed JSON body", [{"field": "body", "message": "malformed JSON"}]) from None
        if not isinstance(data, dict):
            raise ValidationFailed("body must be a JSON object", [{"field": "body", "message": "not an object"}])
        return {k: v for k, v in data.items() if isinstance(v, str)}
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


@router.post(
    "/oauth/token",
    response_model=TokenOut,
    summary="OAuth 2.0 client-credentials grant (RFC 6749 section 4.4)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "grant_type": {"type": "string", "enum": ["client_credentials"]},
                            "client_id": {"type": "string"},
                            "client_secret": {"type": "string"},
                            "scope": {"type": "string"},
                        },
                        "required": ["grant_type", "client_id", "client_secret"],
                    }
                }
            },
        }
    },
)
async def token(
    request: Request,
    session: AsyncSession = Depends(db_session),
    runtime: Runtime = Depends(get_runtime),
) -> JSONResponse:
    params = await _token_params(request)
    if params.get("grant_type") != "client_credentials":
        raise ValidationFailed(
            "grant_type must be client_credentials",
            [{"field": "grant_type", "type": "unsupported_grant_type", "message": "only client_credentials"}],
        )
    client_id, client_secret = _basic_auth(request) or (params.get("client_id", ""), params.get("client_secret", ""))
    if not client_id or not client_secret:
        raise AuthFailed("client_id and client_secret are required (in the body or as HTTP Basic)")
    scope = params.get("scope")
    issued = await access.issue_token(
        session, client_id, client_secret, scope.split() if scope else None, runtime.settings.oauth_token_ttl_seconds
    )
    return JSONResponse(
        {
            "access_token": issued.access_token,
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
            "scope": " ".join(issued.scopes),
        },
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )
