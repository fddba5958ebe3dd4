"""Expiring access tokens: refreshed once however many callers need one, refusals flag the integration."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from ledgerlink.models import Event, Integration
from ledgerlink.runtime import Runtime
from ledgerlink.upstream.tokens import ReauthorisationNeeded, Token, TokenStore
from tests.conftest import Tenant


async def _integration(client: httpx.AsyncClient, tenant: Tenant) -> str:
    r = await client.post(
        "/v1/integrations/shopify/setup",
        headers=tenant.headers,
        json={
            "name": "tokens",
            "verify": False,
            "credentials": {"shopDomain": "tokens.myshopify.com", "accessToken": "shpat_tokens_test"},
        },
    )
    assert r.status_code == 201, r.text
    return str(r.json()["data"]["id"])


async def test_concurrent_callers_refresh_once_and_share_the_saved_token(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime
) -> None:
    iid = await _integration(client, tenant)
    calls: list[dict[str, Any]] = []

    async def refresh(credentials: dict[str, Any]) -> Token:
        calls.append(credentials)
        await asyncio.sleep(0.2)  # long enough for every other caller to queue on the lock
        return Token("tok-1", datetime.now(UTC) + timedelta(hours=1), updates={"refreshToken": "rotated"})

    # Separate stores: as separate jobs (or processes) would have.
    tokens = await asyncio.gather(*(TokenStore(runtime, iid).token(refresh) for _ in range(10)))
    assert tokens == ["tok-1"] * 10 and len(calls) == 1
    async with runtime.sessions() as session:
        stored = runtime.secrets.decrypt_json((await session.get(Integration, iid)).credentials_encrypted)
    assert stored["refreshToken"] == "rotated" and stored["_accessToken"] == "tok-1"
    assert stored["accessToken"] == "shpat_tokens_test"  # the rest of the credentials untouched


async def test_a_refused_refresh_flags_the_integration_once_and_does_not_loop(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime
) -> None:
    iid = await _integration(client, tenant)
    calls = 0

    async def refused(credentials: dict[str, Any]) -> Token:
        nonlocal calls
        calls += 1
        raise ReauthorisationNeeded("invalid_grant: the refresh token was revoked", {})

    for _ in range(3):
        with pytest.raises(ReauthorisationNeeded):
            await TokenStore(runtime, iid).token(refused)
    assert calls == 1
    async with runtime.sessions() as session:
        integration = await session.get(Integration, iid)
        errors = (
            await session.execute(select(Event).where(Event.integration_id == iid, Event.type == "integration.error"))
        ).all()
    assert integration.status == "needs_reauth" and "revoked" in integration.last_error
    assert len(errors) == 1
