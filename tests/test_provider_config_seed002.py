"""Seed 002's configure/disable/remove endpoints answer as documented, through the same service."""

from __future__ import annotations

from tests.helpers import assert_error

WOO = {"apiKey": "ck_1234567890abcdef", "apiSecret": "cs_abcdef1234567890", "storeUrl": "https://yourstore.example.com"}


async def test_configure_disable_remove(client, tenant):
    r = await client.post(
        "/api/integrations/provider/configure",
        json={
            "providerId": "woocommerce",
            "providerType": "ecommerce",
            "credentials": WOO,
            "settings": {"autoImportOrders": True, "syncProducts": True, "pushTracking": True},
            "verify": False,
        },
        headers=tenant.headers,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["success"] is True and set(body["data"]) == {"guid", "provider", "status", "connectedAt"}
    guid = body["data"]["guid"]
    assert body["data"]["provider"] == "woocommerce"
    assert "ck_1234567890abcdef" not in r.text

    # The same instance is visible through /v1, with the generic names mapped onto WooCommerce's own.
    instance = (await client.get(f"/v1/integrations/{guid}", headers=tenant.headers)).json()["data"]
    assert instance["name"] == "WooCommerce (https://yourstore.example.com/)"
    assert instance["credentials"]["siteUrl"] == "https://yourstore.example.com/"
    assert instance["settings"]["autoImportOrders"] is True

    again = await client.post(
        "/api/integrations/provider/configure",
        json={"providerId": "woocommerce", "credentials": WOO, "verify": False},
        headers=tenant.headers,
    )
    err = assert_error(again, 409, "CONFLICT")
    assert err["message"] == "Integration already configured"

    r = await client.get(f"/api/integrations/provider/disable/{guid}", headers=tenant.headers)
    assert r.json() == {"success": True, "data": {"guid": guid, "status": "disabled"}}

    r = await client.delete(f"/api/integrations/providers/ecommerce/remove/{guid}", headers=tenant.headers)
    assert r.status_code == 200 and r.json() == {"success": True}
    assert_error(
        await client.get(f"/api/integrations/provider/disable/{guid}", headers=tenant.headers), 404, "NOT_FOUND"
    )


async def test_configure_refuses_a_mismatched_type_and_bad_credentials(client, tenant):
    r = await client.post(
        "/api/integrations/provider/configure",
        json={
            "providerId": "stripe",
            "providerType": "ecommerce",
            "credentials": {"apiKey": "sk_test_abcdefgh12345678"},
        },
        headers=tenant.headers,
    )
    err = assert_error(r, 400, "CONFIGURATION_ERROR")
    assert "payment" in err["message"]
    r = await client.post(
        "/api/integrations/provider/configure",
        json={"providerId": "stripe", "credentials": {"apiKey": "not-a-stripe-key"}},
        headers=tenant.headers,
    )
    err = assert_error(r, 400, "VALIDATION_ERROR")
    assert err["details"][0]["field"] == "credentials.secretKey"


async def test_bigcommerce_store_url_becomes_the_store_hash(client, tenant):
    r = await client.post(
        "/api/integrations/provider/configure",
        json={
            "providerId": "bigcommerce",
            "verify": False,
            "credentials": {"apiKey": "bc-token-1234567890", "storeUrl": "https://store-abc123def.mybigcommerce.com"},
        },
        headers=tenant.headers,
    )
    assert r.status_code == 200, r.text
    guid = r.json()["data"]["guid"]
    instance = (await client.get(f"/v1/integrations/{guid}", headers=tenant.headers)).json()["data"]
    assert instance["credentials"]["storeHash"] == "abc123def"
