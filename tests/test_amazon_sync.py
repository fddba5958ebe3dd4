"""Amazon through the sync engine, against the Amazon sandbox on a real socket with its usage plans on
(sped up, the same plans in sandbox and connector): orders paged and loaded, idempotent when synced
again, an incremental run reading only what changed; FBA inventory at its virtual locations; fees into
balance entries through seed 000's `sync-fees`; seed 000's `sync-orders` body, whose retired MWS keys
are refused with the SP-API credentials to give instead; retry-failed for the orders that failed.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from ledgerlink.canonical import records as rec
from ledgerlink.canonical.external_refs import payload_hash
from ledgerlink.connectors.amazon.connector import AmazonConnector
from ledgerlink.models import BalanceEntry
from ledgerlink.sync.context import Item, LoadContext
from ledgerlink.sync.engine import execute_run
from ledgerlink.sync.loader import write_items
from tests.conftest import make_tenant
from tests.sync_support import retry_failed, setup_store, stored_orders_and_refs, sync
from tests.test_amazon_connector import FAST, Live
from tests.test_amazon_sandbox import every_order, make_sandbox, serving

pytestmark = pytest.mark.slow
MWS = {
    "sellerId": "A1234567890123",
    "mwsAccessKey": "AKIAI1234567890ABCDEF",
    "mwsSecretKey": "secret_key_1234567890abcdef",
    "marketplaceId": "ATVPDKIKX0DER",
}


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    sandbox = make_sandbox()
    with serving(sandbox) as mount:
        yield Live(sandbox, mount)


@pytest.fixture
async def amazon(client, runtime, live, monkeypatch):
    for path in ("/_sandbox/faults", "/_sandbox/rate-limits", "/_sandbox/lwa"):
        live.control("DELETE", path)
    live.plans(FAST)
    live.control("POST", "/_sandbox/faults", json={"rate_limits": True})
    monkeypatch.setattr(AmazonConnector, "plans", FAST)
    tenant = await make_tenant(runtime)
    integration_id = await setup_store(client, tenant.headers, "amazon", live.sandbox.credentials(live.mount))
    yield tenant, integration_id
    assert live.control("GET", "/_sandbox/faults")["stats"]["throttled"] == 0  # never over a usage plan


async def test_orders_sync_is_idempotent_and_incremental(client, runtime, live, amazon):
    tenant, iid = amazon
    expected = every_order(live.sandbox)
    broken = [o for o in expected if o.source.malformed and o.status != "Pending"]
    run = await sync(client, runtime, tenant.headers, iid, "orders", batchSize=40)
    assert run["state"] == "completed_with_errors", run
    assert run["pages"] == -(-len(expected) // 40)
    assert run["ordersProcessed"] == len(expected) and run["ordersFailed"] == len(broken) >= 1
    assert run["ordersCreated"] == len(expected) - len(broken)
    again = await sync(client, runtime, tenant.headers, iid, "orders", syncType="full", batchSize=100)
    assert again["ordersCreated"] == again["ordersUpdated"] == 0
    assert again["ordersUnchanged"] == run["ordersCreated"]
    assert await stored_orders_and_refs(runtime, tenant.workspace_id, iid) == (run["ordersCreated"],) * 2

    japanese = next(o for o in expected if o.marketplace.currency == "JPY" and o.status == "Shipped")
    stored = {o["externalRefs"][0]["externalId"]: o for o in await _all_orders(client, tenant.headers)}
    detail = (await client.get(f"/v1/orders/{stored[japanese.id]['id']}", headers=tenant.headers)).json()["data"]
    assert Decimal(detail["total"]["presentment"]["amount"]) == japanese.total
    assert detail["total"]["presentment"]["currency"] == "JPY" and len(detail["lines"]) == len(japanese.items)

    cancelled = next(o for o in expected if o.status == "Shipped" and not o.source.malformed)
    live.control("POST", f"/_sandbox/orders/{cancelled.id}/touch", json={"cancel": True})
    incremental = await sync(client, runtime, tenant.headers, iid, "orders")
    assert incremental["syncType"] == "incremental"
    assert incremental["ordersUpdated"] == 1 and incremental["ordersCreated"] == 0
    assert incremental["ordersProcessed"] < 10  # the lookback and the changed order, not the whole store
    events = (await client.get("/v1/events?type=order.cancelled", headers=tenant.headers)).json()["data"]
    assert [e["data"]["externalId"] for e in events] == [cancelled.id]


async def _all_orders(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    found, page = [], 1
    while True:
        body = (await client.get(f"/v1/orders?limit=250&page={page}", headers=headers)).json()
        found += body["data"]
        if not body["pagination"]["hasMore"]:
            return found
        page += 1


async def test_retry_failed_loads_the_orders_that_failed(client, runtime, live, amazon):
    tenant, iid = amazon
    run = await sync(client, runtime, tenant.headers, iid, "orders", batchSize=100)
    assert run["ordersFailed"] >= 1
    live.control("POST", "/_sandbox/faults", json={"malformed": False})  # the seller's data was fixed
    retried = await retry_failed(client, runtime, tenant.headers, iid, run["syncId"])
    assert retried["ordersCreated"] == run["ordersFailed"] and retried["ordersFailed"] == 0


async def test_inventory_lands_at_the_fba_locations(client, runtime, live, amazon):
    tenant, iid = amazon
    store = live.sandbox.store
    catalogue = [
        rec.Product(
            external_id=str(p.id),
            title=p.title,
            variants=tuple(rec.Variant(external_id=str(v.id), sku=v.sku) for v in p.variants),
        )
        for p in store.products
    ]
    async with runtime.sessions.begin() as session:  # the catalogue, as another channel's sync would bring it
        ctx = LoadContext(tenant.workspace_id, iid, "amazon")
        items = [Item(p.external_id, p, payload_hash(p.model_dump(mode="json")), None) for p in catalogue]
        await write_items(session, ctx, "product", items)
    locations = await sync(client, runtime, tenant.headers, iid, "locations")
    assert locations["locationsCreated"] == 5, locations
    inventory = await sync(client, runtime, tenant.headers, iid, "inventory")
    assert inventory["inventoryCreated"] == 5 * len(store.variants) and inventory["inventoryFailed"] == 0, inventory
    listed = (await client.get("/v1/inventory?limit=5", headers=tenant.headers)).json()
    assert listed["pagination"]["total"] == 5 * len(store.variants)
    again = await sync(client, runtime, tenant.headers, iid, "inventory", syncType="full")
    assert again["inventoryUnchanged"] == 5 * len(store.variants)


async def test_seed_000_sync_fees_records_the_fees(client, runtime, live, amazon):
    tenant, iid = amazon
    body = {"integrationId": iid, "reportType": "settlement", "dateRange": {"from": "2024-01-01", "to": "2024-01-31"}}
    r = await client.post("/v1/integrations/amazon/sync-fees", headers=tenant.headers, json=body)
    assert r.status_code == 202, r.text
    started = r.json()["data"]
    assert [m["stream"] for m in started["runs"]] == ["fees", "payouts"]  # fees lead the settlements
    for member in started["runs"]:
        assert await execute_run(runtime, member["syncId"]) == "succeeded"
    run = (await client.get(f"/v1/sync-runs/{started['syncId']}", headers=tenant.headers)).json()["data"]
    settlements = [g for g in live.sandbox.groups if g.closed]
    [payouts] = [m for m in run["runs"] if m["stream"] == "payouts"]
    assert payouts["created"] == len(settlements) > 0 and payouts["state"] == "succeeded", run
    assert "paymentsProcessed" not in run  # a fee sync, not a payment sync: no payment counters
    dated = [e for e in live.sandbox.events if e.list != "ServiceFeeEventList"]
    # Service fees state no date: they come from the closed settlements (groups) that billed them.
    settled = [e for g in live.sandbox.groups if g.closed for e in g.events if e.list == "ServiceFeeEventList"]
    dated += settled
    assert settled and run["state"] == "succeeded" and run["feesProcessed"] == run["feesCreated"] == len(dated), run
    async with runtime.sessions() as session:
        kinds = dict(
            (
                await session.execute(
                    select(BalanceEntry.upstream_type, func.count())
                    .where(BalanceEntry.integration_id == iid, BalanceEntry.kind == "fee")
                    .group_by(BalanceEntry.upstream_type)
                )
            ).all()
        )
        taken = (
            await session.execute(
                select(func.sum(BalanceEntry.net)).where(
                    BalanceEntry.integration_id == iid, BalanceEntry.currency == "USD"
                )
            )
        ).scalar_one()
    assert kinds["ShipmentEvent"] > 0 and kinds["RefundEvent"] > 0 and kinds["ServiceFeeEvent"] == len(settled)
    assert taken < 0
    again = await client.post("/v1/integrations/amazon/sync-fees", headers=tenant.headers, json=body)
    for member in again.json()["data"]["runs"]:
        await execute_run(runtime, member["syncId"])
    rerun = (await client.get(f"/v1/sync-runs/{again.json()['data']['syncId']}", headers=tenant.headers)).json()
    assert rerun["data"]["feesCreated"] == 0 and rerun["data"]["feesUnchanged"] == len(dated)


async def test_seed_000_sync_orders_body_and_its_retired_mws_keys(client, runtime, live, amazon):
    tenant, iid = amazon
    body = {
        "integrationId": iid,
        "credentials": MWS,
        "dateRange": {"from": "2024-01-01T00:00:00Z", "to": "2024-01-31T23:59:59Z"},
        "orderStatus": ["Shipped", "Delivered"],
    }
    refused = await client.post("/v1/integrations/amazon/sync-orders", headers=tenant.headers, json=body)
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["code"] == "CONFIGURATION_ERROR"
    assert all(name in error["message"] for name in ("lwaClientId", "lwaClientSecret", "refreshToken", "MWS"))
    assert error["details"]["fields"] == ["mwsAccessKey", "mwsSecretKey"]
    setup = await client.post(
        "/v1/integrations/amazon/setup", headers=tenant.headers, json={"name": "mws", "credentials": MWS}
    )
    assert setup.status_code == 400 and setup.json()["error"]["code"] == "CONFIGURATION_ERROR"

    r = await client.post(
        "/v1/integrations/amazon/sync-orders", headers=tenant.headers, json={**body, "credentials": None}
    )
    assert r.status_code == 202, r.text
    await execute_run(runtime, r.json()["data"]["syncId"])
    run = (await client.get(f"/v1/sync-runs/{r.json()['data']['syncId']}", headers=tenant.headers)).json()["data"]
    shipped = [o for o in every_order(live.sandbox) if o.status == "Shipped"]
    assert run["ordersProcessed"] == len(shipped), run

    catalog = (await client.get("/v1/integrations/available", headers=tenant.headers)).json()["data"]
    (entry,) = [p for p in catalog["marketplaces"] if p["id"] == "amazon"]
    assert entry["status"] == "active" and entry["features"] == ["order_sync", "fee_tracking"]
