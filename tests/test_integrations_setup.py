"""Setup and lifecycle of integration instances, and that credentials never leak."""

from __future__ import annotations

import psycopg
from psycopg import sql

from tests.helpers import SHOPIFY_CREDS, assert_error, setup_body

SECRETS = [SHOPIFY_CREDS["accessToken"], SHOPIFY_CREDS["webhookSecret"]]


def _assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text
        assert secret[:-4] not in text  # not even masked beyond its last 4 characters


async def test_setup_answers_the_instance_without_credentials(client, tenant):
    r = await client.post("/v1/integrations/shopify/setup", json=setup_body(), headers=tenant.headers)
    assert r.status_code == 201, r.text
    data = r.json()["data"]
    assert data["provider"] == "shopify" and data["name"] == "Main Store"
    assert data["status"] == "unverified"  # verify=false: the upstream was not contacted
    assert data["connectedAt"]
    assert data["credentials"]["shopDomain"] == "mystore.myshopify.com"
    assert data["credentials"]["accessToken"] == "****" + SHOPIFY_CREDS["accessToken"][-4:]
    assert data["mapping"] == {"defaultTaxCode": "SST", "shippingAccount": "acc_shipping"}
    assert data["settings"]["syncOrders"] is True
    _assert_no_secret(r.text)


async def test_credentials_never_appear_in_any_response_or_column(client, tenant, database_url):
    created = await client.post("/v1/integrations/shopify/setup", json=setup_body(), headers=tenant.headers)
    iid = created.json()["data"]["id"]
    responses = [
        created,
        await client.get("/v1/integrations", headers=tenant.headers),
        await client.get(f"/v1/integrations/{iid}", headers=tenant.headers),
        await client.patch(
            f"/v1/integrations/{iid}", json={"settings": {"syncProducts": False}}, headers=tenant.headers
        ),
        await client.post(f"/v1/integrations/{iid}/disable", headers=tenant.headers),
        await client.get("/v1/events", headers=tenant.headers),
        await client.get("/openapi.json"),
    ]
    for response in responses:
        assert response.status_code < 300, response.text
        _assert_no_secret(response.text)

    # Every text-like column of every table, ours and the job queue's, is free of the plaintext.
    with psycopg.connect(database_url) as conn:
        columns = conn.execute(
            """SELECT table_name, column_name FROM information_schema.columns
               WHERE table_schema = 'public'
                 AND data_type IN ('text', 'character varying', 'jsonb', 'json', 'ARRAY', 'bytea')"""
        ).fetchall()
        assert len(columns) > 10
        for table, column in columns:
            for secret in SECRETS:
                hit = conn.execute(
                    sql.SQL("SELECT count(*) FROM {} WHERE {}::text LIKE %s").format(
                        sql.Identifier(table), sql.Identifier(column)
                    ),
                    (f"%{secret}%",),
                ).fetchone()
                assert hit == (0,), f"plaintext credential in {table}.{column}"


async def test_duplicate_name_in_a_workspace_is_409(client, tenant):
    assert (
        await client.post("/v1/integrations/shopify/setup", json=setup_body(), headers=tenant.headers)
    ).status_code == 201
    err = assert_error(
        await client.post(
            "/v1/integrations/woocommerce/setup",
            json=setup_body(
                credentials={
                    "siteUrl": "https://mystore.com",
                    "consumerKey": "ck_1234567890abcdef",
                    "consumerSecret": "cs_abcdef1234567890",
                }
            ),
            headers=tenant.headers,
        ),
        409,
        "CONFLICT",
    )
    assert "Main Store" in err["message"]


async def test_same_name_in_another_workspace_is_fine(client, tenant, runtime):
    from tests.conftest import make_tenant

    other = await make_tenant(runtime)
    for t in (tenant, other):
        r = await client.post("/v1/integrations/shopify/setup", json=setup_body("Shared"), headers=t.headers)
        assert r.status_code == 201, r.text


async def test_update_settings_mapping_and_rotate_credentials(client, tenant, runtime):
    from ledgerlink.integrations.service import decrypt_credentials
    from ledgerlink.models import Integration

    iid = (await client.post("/v1/integrations/shopify/setup", json=setup_body(), headers=tenant.headers)).json()[
        "data"
    ]["id"]
    r = await client.patch(
        f"/v1/integrations/{iid}",
        json={
            "name": "Renamed",
            "settings": {"syncFrequency": "hourly"},
            "mapping": {"discountAccount": "acc_disc"},
            "credentials": {"accessToken": "shpat_rotated_rotated_rotated_9999"},
            "verify": False,
        },
        headers=tenant.headers,
    )
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["name"] == "Renamed"
    assert data["settings"]["syncFrequency"] == "hourly" and data["settings"]["syncOrders"] is True
    assert data["mapping"] == {
        "defaultTaxCode": "SST",
        "shippingAccount": "acc_shipping",
        "discountAccount": "acc_disc",
    }
    assert data["credentials"]["accessToken"] == "****9999"
    async with runtime.sessions() as session:
        stored = decrypt_credentials(runtime.secrets, await session.get(Integration, iid)).plain()
    assert stored["accessToken"] == "shpat_rotated_rotated_rotated_9999"
    assert stored["webhookSecret"] == SHOPIFY_CREDS["webhookSecret"]  # untouched fields are kept

    bad = await client.patch(
        f"/v1/integrations/{iid}", json={"settings": {"syncFrequency": "sometimes"}}, headers=tenant.headers
    )
    err = assert_error(bad, 400, "VALIDATION_ERROR")
    assert err["details"][0]["field"] == "settings.syncFrequency"
    after = (await client.get(f"/v1/integrations/{iid}", headers=tenant.headers)).json()["data"]
    assert after["settings"]["syncFrequency"] == "hourly"  # a refused change loses nothing


async def test_disable_enable_remove_emit_events(client, tenant):
    iid = (await client.post("/v1/integrations/shopify/setup", json=setup_body(), headers=tenant.headers)).json()[
        "data"
    ]["id"]
    r = await client.post(f"/v1/integrations/{iid}/disable", headers=tenant.headers)
    assert r.json()["data"]["status"] == "disabled" and r.json()["data"]["disabledAt"]
    r = await client.post(f"/v1/integrations/{iid}/enable", headers=tenant.headers)
    assert r.json()["data"]["status"] == "unverified" and r.json()["data"]["disabledAt"] is None
    r = await client.delete(f"/v1/integrations/{iid}", headers=tenant.headers)
    assert r.json() == {"success": True, "data": {"id": iid, "status": "removed"}}
    assert_error(await client.get(f"/v1/integrations/{iid}", headers=tenant.headers), 404, "NOT_FOUND")
    events = (await client.get(f"/v1/events?integrationId={iid}", headers=tenant.headers)).json()["data"]
    assert [e["event"] for e in events] == [
        "integration.removed",
        "integration.enabled",
        "integration.disabled",
        "integration.created",
    ]


async def test_verify_without_a_connector_is_a_configuration_error(client, tenant):
    iid = (
        await client.post(
            "/v1/integrations/xero/setup",
            json=setup_body(
                credentials={
                    "clientId": "xero-client-1",
                    "clientSecret": "xero-secret-1",
                    "refreshToken": "xero-refresh-1",
                }
            ),
            headers=tenant.headers,
        )
    ).json()["data"]["id"]
    err = assert_error(
        await client.post(f"/v1/integrations/{iid}/verify", headers=tenant.headers), 400, "CONFIGURATION_ERROR"
    )
    assert "Xero" in err["message"]


async def test_amazon_mws_keys_get_sp_api_guidance(client, tenant):
    body = setup_body(
        credentials={
            "sellerId": "A1234567890123",
            "mwsAccessKey": "AKIAI1234567890ABCDEF",
            "mwsSecretKey": "secret_key_1234567890abcdef",
            "marketplaceId": "ATVPDKIKX0DER",
        }
    )
    err = assert_error(
        await client.post("/v1/integrations/amazon/setup", json=body, headers=tenant.headers),
        400,
        "CONFIGURATION_ERROR",
    )
    assert "refreshToken" in err["message"] and "lwaClientId" in err["message"]


async def test_catalog_tells_the_truth(client, tenant):
    data = (await client.get("/v1/integrations/available", headers=tenant.headers)).json()["data"]
    assert set(data) == {"ecommerce", "marketplaces", "payment_gateways", "accounting", "custom"}
    for group in data.values():
        for entry in group:
            assert set(entry) == {
                "id",
                "name",
                "description",
                "category",
                "status",
                "features",
                "setupRequired",
                "webhookSupport",
                "realTimeSync",
            }
            # A provider is active exactly when it lists features that work.
            assert (entry["status"] == "active") == bool(entry["features"])
