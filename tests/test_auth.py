"""Authentication, scopes and workspace isolation."""

from __future__ import annotations

import pytest

from tests.conftest import make_tenant
from tests.helpers import assert_error, setup_body


async def test_unauthenticated_request_is_401(client):
    err = assert_error(await client.get("/v1/integrations"), 401, "AUTH_FAILED")
    assert "X-API-Key" in err["message"]


@pytest.mark.parametrize("header", ["X-API-Key", "Authorization"])
async def test_unknown_key_is_401(client, header):
    value = "llk_not-a-real-key" if header == "X-API-Key" else "Bearer llk_not-a-real-key"
    assert_error(await client.get("/v1/integrations", headers={header: value}), 401, "AUTH_FAILED")


async def test_key_works_as_bearer_too(client, tenant):
    r = await client.get("/v1/integrations", headers={"Authorization": f"Bearer {tenant.key}"})
    assert r.status_code == 200, r.text


async def test_wrong_scope_is_403_naming_the_scope(client, tenant, key_for):
    key = await key_for(tenant, ["read:orders"])
    err = assert_error(
        await client.post("/v1/integrations/shopify/setup", json=setup_body(), headers={"X-API-Key": key}),
        403,
        "INSUFFICIENT_SCOPE",
    )
    assert "write:integrations" in err["message"]
    assert err["details"]["requiredScope"] == "write:integrations"


async def test_write_scope_grants_read_but_read_does_not_grant_write(client, tenant, key_for):
    writer = await key_for(tenant, ["write:integrations"])
    assert (await client.get("/v1/integrations", headers={"X-API-Key": writer})).status_code == 200
    reader = await key_for(tenant, ["read:integrations"])
    r = await client.post("/v1/integrations/shopify/setup", json=setup_body(), headers={"X-API-Key": reader})
    assert_error(r, 403, "INSUFFICIENT_SCOPE")


async def test_revoked_key_is_401(client, runtime, tenant, key_for):
    from sqlalchemy import select

    from ledgerlink.auth import access, tokens
    from ledgerlink.models import ApiKey

    key = await key_for(tenant, ["read:integrations"])
    async with runtime.sessions() as session:
        row = (await session.execute(select(ApiKey).where(ApiKey.key_hash == tokens.digest(key)))).scalar_one()
        await access.revoke_api_key(session, row.id)
    assert_error(await client.get("/v1/integrations", headers={"X-API-Key": key}), 401, "AUTH_FAILED")


async def test_other_workspace_records_are_404_not_403(client, runtime, tenant):
    r = await client.post("/v1/integrations/shopify/setup", json=setup_body(), headers=tenant.headers)
    assert r.status_code == 201, r.text
    integration_id = r.json()["data"]["id"]

    other = await make_tenant(runtime)
    for method, path in [
        ("GET", f"/v1/integrations/{integration_id}"),
        ("PATCH", f"/v1/integrations/{integration_id}"),
        ("POST", f"/v1/integrations/{integration_id}/disable"),
        ("DELETE", f"/v1/integrations/{integration_id}"),
        ("GET", f"/api/integrations/provider/disable/{integration_id}"),
        ("DELETE", f"/api/integrations/providers/ecommerce/remove/{integration_id}"),
    ]:
        kwargs = {"json": {"name": "stolen"}} if method == "PATCH" else {}
        response = await client.request(method, path, headers=other.headers, **kwargs)
        assert_error(response, 404, "NOT_FOUND")
    listing = (await client.get("/v1/integrations", headers=other.headers)).json()
    assert listing["data"] == [] and listing["pagination"]["total"] == 0
    # …and the owner still sees it untouched.
    mine = (await client.get(f"/v1/integrations/{integration_id}", headers=tenant.headers)).json()["data"]
    assert mine["name"] == "Main Store" and mine["status"] == "unverified"


async def test_admin_key_manages_keys_of_its_own_workspace_only(client, runtime, tenant):
    r = await client.post("/v1/api-keys", json={"name": "ci", "scopes": ["read:orders"]}, headers=tenant.headers)
    assert r.status_code == 201, r.text
    created = r.json()["data"]
    assert created["key"].startswith("llk_") and created["scopes"] == ["read:orders"]
    listed = (await client.get("/v1/api-keys", headers=tenant.headers)).json()
    assert all("key" not in k for k in listed["data"])
    assert {k["id"] for k in listed["data"]} >= {created["id"]}

    other = await make_tenant(runtime)
    assert_error(await client.delete(f"/v1/api-keys/{created['id']}", headers=other.headers), 404, "NOT_FOUND")
    assert (await client.delete(f"/v1/api-keys/{created['id']}", headers=tenant.headers)).status_code == 200
    assert_error(await client.get("/v1/integrations", headers={"X-API-Key": created["key"]}), 401, "AUTH_FAILED")


async def test_unknown_scope_is_refused(client, tenant):
    r = await client.post("/v1/api-keys", json={"name": "x", "scopes": ["read:everything"]}, headers=tenant.headers)
    err = assert_error(r, 400, "VALIDATION_ERROR")
    assert err["details"][0]["field"] == "body.scopes.0" and "admin:all" in err["details"][0]["message"]
