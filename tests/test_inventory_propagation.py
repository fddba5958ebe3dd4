"""Multi-channel inventory: the master's available stock reaches every other channel selling the SKU,
never below zero, once, and without echo."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Sandbox, make_tenant
from tests.helpers import assert_error
from tests.sync_support import setup_store, sync

pytestmark = pytest.mark.slow


async def test_master_stock_is_pushed_to_the_other_channels_once_without_echo(
    client: httpx.AsyncClient, runtime, sandbox: Sandbox
) -> None:
    for provider in ("woocommerce", "bigcommerce"):
        sandbox.reset(provider)
    tenant = await make_tenant(runtime)
    master = await setup_store(
        client, tenant.headers, "woocommerce", sandbox.credentials("woocommerce"), inventoryMaster=True
    )
    channel = await setup_store(client, tenant.headers, "bigcommerce", sandbox.credentials("bigcommerce"))
    r = await client.post("/v1/inventory/propagate", headers=tenant.headers, json={"skus": ["X"]})
    assert r.status_code == 200  # SKUs nobody sells: nothing to do
    for iid in (master, channel):
        for stream in ("locations", "products", "inventory"):
            await sync(client, runtime, tenant.headers, iid, stream, batchSize=100)

    # Make the master's figure differ from the channel's, so there is something to push.
    level = (await client.get("/v1/inventory?limit=1", headers=tenant.headers)).json()["data"][0]
    sku = level["sku"]
    r = await client.post(
        "/v1/integrations/woocommerce/update-inventory",
        headers=tenant.headers,
        json={"integrationId": master, "items": [{"sku": sku, "quantity": 37, "updateType": "set"}]},
    )
    assert r.json()["data"]["updated"] == 1, r.text

    r = await client.post("/v1/inventory/propagate", headers=tenant.headers, json={"skus": [sku]})
    assert r.status_code == 200, r.text
    pushed = r.json()["data"]
    assert [p["integrationId"] for p in pushed] == [channel]
    assert pushed[0]["results"][0]["success"] and pushed[0]["results"][0]["quantityAfter"] == 37, pushed

    again = await client.post("/v1/inventory/propagate", headers=tenant.headers, json={"skus": [sku]})
    assert again.json()["data"] == []  # already right everywhere: nothing written twice
    echo = await sync(client, runtime, tenant.headers, channel, "inventory", syncType="full", batchSize=100)
    assert echo["inventoryUpdated"] == 0  # the channel reporting our push back changes nothing


async def test_without_a_master_it_says_what_to_configure(client: httpx.AsyncClient, runtime) -> None:
    tenant = await make_tenant(runtime)
    r = await client.post("/v1/inventory/propagate", headers=tenant.headers, json={"skus": ["A"]})
    body = assert_error(r, 400, "CONFIGURATION_ERROR")
    assert "inventoryMaster" in body["message"]
