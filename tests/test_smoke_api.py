from __future__ import annotations


async def test_healthz_and_readyz(client):
    r = await client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"success": True, "data": {"status": "ok"}}
    r = await client.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json()["data"]["checks"] == {"database": "ok", "schema": "current"}


async def test_catalog_lists_every_provider(client, tenant):
    r = await client.get("/v1/integrations/available", headers=tenant.headers)
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    ids = {entry["id"] for group in data.values() for entry in group}
    assert ids == {
        "shopify",
        "woocommerce",
        "bigcommerce",
        "amazon",
        "stripe",
        "paypal",
        "quickbooks",
        "xero",
        "custom",
    }
