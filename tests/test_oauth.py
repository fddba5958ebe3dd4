"""OAuth 2.0 client credentials: short-lived bearer tokens carrying a subset of the client's scopes."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from ledgerlink.models import OAuthToken
from tests.helpers import assert_error


async def _client(client, tenant, scopes):
    r = await client.post("/v1/oauth/clients", json={"name": "erp", "scopes": scopes}, headers=tenant.headers)
    assert r.status_code == 201, r.text
    return r.json()["data"]


async def test_token_with_a_subset_of_scopes(client, tenant):
    oc = await _client(client, tenant, ["read:integrations", "write:integrations"])
    r = await client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": oc["clientId"],
            "client_secret": oc["clientSecret"],
            "scope": "read:integrations",
        },
    )
    assert r.status_code == 200, r.text
    token = r.json()
    assert token["token_type"] == "Bearer" and token["scope"] == "read:integrations" and token["expires_in"] > 0
    assert r.headers["cache-control"] == "no-store"
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    assert (await client.get("/v1/integrations", headers=bearer)).status_code == 200
    err = assert_error(
        await client.post("/v1/integrations/shopify/setup", json={}, headers=bearer), 403, "INSUFFICIENT_SCOPE"
    )
    assert "write:integrations" in err["message"]


async def test_basic_auth_and_json_bodies_work(client, tenant):
    oc = await _client(client, tenant, ["read:orders"])
    basic = base64.b64encode(f"{oc['clientId']}:{oc['clientSecret']}".encode()).decode()
    r = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {basic}"}
    )
    assert r.status_code == 200 and r.json()["scope"] == "read:orders"
    r = await client.post(
        "/oauth/token",
        json={"grant_type": "client_credentials", "client_id": oc["clientId"], "client_secret": oc["clientSecret"]},
    )
    assert r.status_code == 200


async def test_refusals(client, tenant):
    oc = await _client(client, tenant, ["read:orders"])
    assert_error(
        await client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "client_id": oc["clientId"], "client_secret": "wrong"},
        ),
        401,
        "AUTH_FAILED",
    )
    assert_error(await client.post("/oauth/token", data={"grant_type": "password"}), 400, "VALIDATION_ERROR")
    err = assert_error(
        await client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": oc["clientId"],
                "client_secret": oc["clientSecret"],
                "scope": "read:orders admin:all",
            },
        ),
        403,
        "INSUFFICIENT_SCOPE",
    )
    assert "admin:all" in err["message"]
    assert_error(
        await client.post("/oauth/token", content=b"{nope", headers={"Content-Type": "application/json"}),
        400,
        "VALIDATION_ERROR",
    )


async def test_expired_token_is_refused(client, tenant, runtime):
    oc = await _client(client, tenant, ["read:integrations"])
    token = (
        await client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "client_id": oc["clientId"], "client_secret": oc["clientSecret"]},
        )
    ).json()["access_token"]
    async with runtime.sessions.begin() as session:
        await session.execute(
            update(OAuthToken)
            .where(OAuthToken.workspace_id == tenant.workspace_id)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert_error(await client.get("/v1/integrations", headers={"Authorization": f"Bearer {token}"}), 401, "AUTH_FAILED")
