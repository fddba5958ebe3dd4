"""The WooCommerce connector against its sandbox over real sockets: every stream, paging, incremental,
idempotence, rate limits, 429/5xx recovery, bad records, retry-failed."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import SANDBOX_MALFORMED_EVERY, SANDBOX_ORDERS, make_tenant
from tests.sync_support import retry_failed, setup_store, stored_orders_and_refs, sync

pytestmark = pytest.mark.slow
PROVIDER = "woocommerce"
# Served broken; one of the sandbox's four breakages (an empty billing address sent as a PHP list)
# is read as "no address", not refused, so up to this many fail.
MALFORMED = SANDBOX_ORDERS // SANDBOX_MALFORMED_EVERY


@pytest.fixture
async def woo(client, runtime, sandbox):
    sandbox.reset(PROVIDER)
    tenant = await make_tenant(runtime)
    integration_id = await setup_store(client, tenant.headers, PROVIDER, sandbox.credentials(PROVIDER))
    yield tenant, integration_id
    sandbox.reset(PROVIDER)


async def test_full_sync_of_every_stream(client, runtime, sandbox, woo):
    tenant, iid = woo
    for stream in ("locations", "products", "customers"):
        run = await sync(client, runtime, tenant.headers, iid, stream, batchSize=50)
        assert run["state"] in ("succeeded", "completed_with_errors"), run
        assert run[f"{stream}Created"] > 0 and run[f"{stream}Failed"] == 0, run
    run = await sync(client, runtime, tenant.headers, iid, "orders", batchSize=50)
    assert run["pages"] >= SANDBOX_ORDERS // 50  # paged past many pages
    assert run["ordersProcessed"] == SANDBOX_ORDERS
    assert 1 <= run["ordersFailed"] <= MALFORMED
    assert run["ordersCreated"] == SANDBOX_ORDERS - run["ordersFailed"]
    assert run["ordersToProcess"] == SANDBOX_ORDERS
    inventory = await sync(client, runtime, tenant.headers, iid, "inventory", batchSize=50)
    assert inventory["inventoryCreated"] > 0 and inventory["inventoryFailed"] == 0, inventory

    listed = (await client.get("/v1/orders?limit=250", headers=tenant.headers)).json()
    assert listed["pagination"]["total"] == run["ordersCreated"]
    one = listed["data"][0]
    assert one["externalRefs"][0]["integrationId"] == iid
    detail = (await client.get(f"/v1/orders/{one['id']}", headers=tenant.headers)).json()["data"]
    upstream = httpx.get(
        f"{sandbox.base_url}/{PROVIDER}/wp-json/wc/v3/orders/{one['externalRefs'][0]['externalId']}",
        auth=(sandbox.credentials(PROVIDER)["consumerKey"], sandbox.credentials(PROVIDER)["consumerSecret"]),
        timeout=10,
    ).json()
    assert detail["total"]["presentment"]["amount"] == upstream["total"]
    assert detail["total"]["presentment"]["currency"] == upstream["currency"]
    assert len(detail["lines"]) == len(upstream["line_items"])
    inv = (await client.get("/v1/inventory?limit=5", headers=tenant.headers)).json()
    assert inv["pagination"]["total"] > 0 and inv["data"][0]["sku"]


async def test_resync_is_idempotent_and_incremental_reads_only_changes(client, runtime, sandbox, woo):
    tenant, iid = woo
    first = await sync(client, runtime, tenant.headers, iid, "orders", batchSize=100)
    again = await sync(client, runtime, tenant.headers, iid, "orders", syncType="full", batchSize=100)
    assert again["ordersCreated"] == 0 and again["ordersUpdated"] == 0
    assert again["ordersUnchanged"] == first["ordersCreated"]
    orders, refs = await stored_orders_and_refs(runtime, tenant.workspace_id, iid)
    assert orders == refs == first["ordersCreated"]

    touched = sandbox.control(PROVIDER, "POST", "/_sandbox/orders/100005/touch", json={"status": "cancelled"})
    assert touched
    incremental = await sync(client, runtime, tenant.headers, iid, "orders")
    assert incremental["syncType"] == "incremental"
    assert incremental["ordersUpdated"] == 1 and incremental["ordersCreated"] == 0
    assert incremental["ordersProcessed"] < 50  # the lookback window, not the whole store
    events = (await client.get("/v1/events?type=order.cancelled", headers=tenant.headers)).json()["data"]
    assert [e["data"]["externalId"] for e in events] == ["100005"]


async def test_rate_limit_obeyed_and_429_5xx_recovered(client, runtime, sandbox):
    sandbox.reset(PROVIDER)
    tenant = await make_tenant(runtime)
    # The host allows 25 requests/s with a burst of 50; the integration is told so.
    iid = await setup_store(
        client,
        tenant.headers,
        PROVIDER,
        sandbox.credentials(PROVIDER),
        rateLimit={"rate": 25, "period": 1, "burst": 50},
    )
    sandbox.faults(PROVIDER, throttle_next=2, fail_next=3)
    run = await sync(client, runtime, tenant.headers, iid, "orders", batchSize=20)
    assert run["state"] == "completed_with_errors", run  # only the malformed records fail
    assert run["ordersCreated"] == SANDBOX_ORDERS - run["ordersFailed"] and run["ordersFailed"] >= 1
    stats = sandbox.control(PROVIDER)["stats"]
    assert stats["over_limit"] == 0, stats
    assert stats["injected_errors"] >= 3
    sandbox.reset(PROVIDER)


async def test_bad_record_is_an_item_error_and_retry_failed_refetches_it(client, runtime, sandbox, woo):
    tenant, iid = woo
    run = await sync(client, runtime, tenant.headers, iid, "orders", batchSize=100)
    assert 1 <= run["ordersFailed"] <= MALFORMED
    errors = run["recentErrors"]
    assert errors and errors[0]["externalId"] and errors[0]["type"] in ("mapping_error", "validation_error")
    assert errors[0]["message"]

    sandbox.faults(PROVIDER, malformed=False)  # the merchant fixed the record upstream
    retry = await retry_failed(client, runtime, tenant.headers, iid, run["syncId"])
    assert retry["ordersCreated"] == run["ordersFailed"] and retry["ordersFailed"] == 0, retry
    again = await client.post(
        f"/v1/integrations/{iid}/retry-failed", headers=tenant.headers, json={"syncId": run["syncId"]}
    )
    assert again.status_code == 409


async def test_one_active_run_per_stream_and_bad_requests(client, runtime, sandbox, woo):
    tenant, iid = woo
    first = await client.post(f"/v1/integrations/{iid}/sync", headers=tenant.headers, json={"stream": "orders"})
    assert first.status_code == 202
    second = await client.post(f"/v1/integrations/{iid}/sync", headers=tenant.headers, json={"stream": "orders"})
    assert second.status_code == 409 and second.json()["error"]["details"]["syncId"] == first.json()["data"]["syncId"]
    seed_shape = await client.post(
        f"/v1/integrations/{PROVIDER}/sync-products",
        headers=tenant.headers,
        json={"integrationId": iid, "syncType": "incremental", "includeVariants": True},
    )
    assert seed_shape.status_code == 202
    data = seed_shape.json()["data"]
    assert data["status"] == "processing" and "productsToProcess" in data and data["syncId"].startswith("sync_")
    wrong = await client.post(
        "/v1/integrations/shopify/sync-orders", headers=tenant.headers, json={"integrationId": iid}
    )
    assert wrong.status_code == 400
    bad_range = await client.post(
        f"/v1/integrations/{PROVIDER}/sync-customers",
        headers=tenant.headers,
        json={"integrationId": iid, "dateRange": {"from": "2024-02-01", "to": "2024-01-01"}},
    )
    assert bad_range.status_code == 400


async def test_inventory_push_sets_and_adjusts_without_echo(client, runtime, sandbox, woo):
    tenant, iid = woo
    for stream in ("locations", "products", "inventory"):
        await sync(client, runtime, tenant.headers, iid, stream, batchSize=100)
    level = (await client.get("/v1/inventory?limit=1", headers=tenant.headers)).json()["data"][0]
    sku = level["sku"]
    r = await client.post(
        f"/v1/integrations/{PROVIDER}/update-inventory",
        headers=tenant.headers,
        json={
            "integrationId": iid,
            "items": [
                {"sku": sku, "quantity": 150, "updateType": "set"},
                {"sku": sku, "quantity": -5, "updateType": "adjust"},
                {"sku": "NO-SUCH-SKU", "quantity": 1},
            ],
        },
    )
    assert r.status_code == 200, r.text
    result = r.json()["data"]
    assert [x["quantityAfter"] for x in result["results"][:2]] == [150, 145], [x["error"] for x in result["results"]]
    assert result["failed"] == 1 and "SKU" in result["results"][2]["error"]
    stored = (await client.get(f"/v1/inventory?sku={sku}", headers=tenant.headers)).json()["data"][0]
    assert stored["onHand"] == 145
    echo = await sync(client, runtime, tenant.headers, iid, "inventory", syncType="full", batchSize=100)
    assert echo["inventoryUpdated"] == 0  # our own push coming back changes nothing


async def test_refused_credentials_fail_the_run_and_flag_the_integration(client, runtime, sandbox):
    tenant = await make_tenant(runtime)
    creds = {**sandbox.credentials(PROVIDER), "consumerSecret": "cs_" + "0" * 40}
    r = await client.post(
        f"/v1/integrations/{PROVIDER}/setup", headers=tenant.headers, json={"name": "wrong", "credentials": creds}
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "INVALID_CREDENTIALS"
    r = await client.post(
        f"/v1/integrations/{PROVIDER}/setup",
        headers=tenant.headers,
        json={"name": "wrong", "credentials": creds, "verify": False},
    )
    iid = r.json()["data"]["id"]
    run = await sync(client, runtime, tenant.headers, iid, "orders")
    assert run["state"] == "failed" and run["errorCode"] == "AUTH_FAILED", run
    integration = (await client.get(f"/v1/integrations/{iid}", headers=tenant.headers)).json()["data"]
    assert integration["status"] == "error" and integration["lastError"]
    events = (await client.get(f"/v1/events?integrationId={iid}", headers=tenant.headers)).json()["data"]
    assert {"integration.error", "sync.failed"} <= {e["event"] for e in events}


async def _refunded_orders(client) -> list[dict]:
    orders: list[dict] = []
    page = 1
    while len(orders) < 5:
        batch = (await client.get("/orders", per_page=100, page=page, orderby="id", order="asc")).data
        if not batch:
            break
        orders += [o for o in batch if o.get("refunds")]
        page += 1
    assert orders, "the sandbox store has refunded orders"
    return orders


async def _connector(runtime, iid):
    from ledgerlink.integrations.connectors import connector_for
    from ledgerlink.models import Integration

    async with runtime.sessions() as session:
        integration = await session.get(Integration, iid)
    return connector_for(runtime, integration)


async def test_a_pages_refunds_come_in_one_list_and_read_as_the_per_order_list(client, runtime, sandbox, woo):
    from ledgerlink.connectors.woocommerce.connector import _with_page_refunds, _with_refunds

    tenant, iid = woo
    connector = await _connector(runtime, iid)
    async with connector.client() as upstream:
        orders = await _refunded_orders(upstream)
        plain = (await upstream.get("/orders", per_page=5, orderby="id", order="asc")).data
        page = plain + orders
        one_by_one = [await _with_refunds(upstream, o) for o in page]
        sandbox.reset(PROVIDER)
        at_once = await _with_page_refunds(upstream, page)
    # The same records, refund for refund (so the payload hash of an order a webhook fetched alone
    # equals the one a sync page read), from one request.
    assert at_once == one_by_one
    assert any(o.get("_refund_details") for o in at_once)
    paths = sandbox.control(PROVIDER)["stats"]["by_path"]
    assert sum(n for p, n in paths.items() if p.endswith("/wc/v3/refunds")) == 1
    assert not [p for p in paths if "/orders/" in p and p.endswith("/refunds")]

    run = await sync(client, runtime, tenant.headers, iid, "orders", batchSize=100)
    paths = sandbox.control(PROVIDER)["stats"]["by_path"]
    assert sum(n for p, n in paths.items() if p.endswith("/wc/v3/refunds")) <= run["pages"] + 1
    assert not [p for p in paths if "/orders/" in p and p.endswith("/refunds")]


async def test_a_store_without_the_refunds_list_is_asked_order_by_order(runtime, sandbox, woo):
    from ledgerlink.connectors.woocommerce.connector import _with_page_refunds, _with_refunds

    _, iid = woo
    connector = await _connector(runtime, iid)
    sandbox.faults(PROVIDER, unrouted="/refunds")  # a WooCommerce older than GET /refunds
    async with connector.client() as upstream:
        orders = await _refunded_orders(upstream)
        assert await _with_page_refunds(upstream, orders) == [await _with_refunds(upstream, o) for o in orders]
