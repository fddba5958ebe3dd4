"""The BigCommerce connector against its sandbox over real sockets: every stream, paging, incremental,
idempotence, the windowed quota, 429/5xx recovery, bad records, retry-failed, inventory push."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import httpx
import pytest

from ledgerlink.canonical.money import exponent
from ledgerlink.connectors.bigcommerce.connector import BigCommerceConnector
from ledgerlink.connectors.bigcommerce.credentials import BigCommerceCredentials
from ledgerlink.connectors.framework.connector import InventoryChange
from tests.conftest import SANDBOX_MALFORMED_EVERY, SANDBOX_ORDERS, make_tenant
from tests.sync_support import retry_failed, setup_store, stored_orders_and_refs, sync

pytestmark = pytest.mark.slow
PROVIDER = "bigcommerce"
# Served broken, each in one of the sandbox's four ways (blank date_modified, a total or a line price
# that is not a number, a null quantity): every one of them must fail, none load.
MALFORMED = SANDBOX_ORDERS // SANDBOX_MALFORMED_EVERY
ROOMY = {"quota": 10_000, "window_ms": 1_000}  # the quota stays on (headers, counters) but never binds


def _fresh(sandbox: Any, **rate_limit: int) -> None:
    sandbox.control(PROVIDER, "POST", "/_sandbox/rate-limit", json=rate_limit or ROOMY)
    sandbox.reset(PROVIDER)  # faults, counters and the current window


def _upstream(sandbox: Any, path: str, **params: Any) -> Any:
    creds = sandbox.credentials(PROVIDER)
    response = httpx.get(
        f"{creds['apiBaseUrl']}/stores/{creds['storeHash']}{path}",
        params=params,
        headers={"X-Auth-Token": creds["accessToken"], "Accept": "application/json"},
        timeout=10,
    )
    response.raise_for_status()
    return response.json() if response.content else None


def _over_limit(sandbox: Any) -> int:
    return int(sandbox.control(PROVIDER)["stats"]["over_limit"])


@pytest.fixture
async def bc(client, runtime, sandbox):
    _fresh(sandbox)
    tenant = await make_tenant(runtime)
    integration_id = await setup_store(client, tenant.headers, PROVIDER, sandbox.credentials(PROVIDER))
    yield tenant, integration_id
    _fresh(sandbox)
    sandbox.control(PROVIDER, "DELETE", "/_sandbox/rate-limit")


def _amount(value: Decimal, currency: str) -> str:
    return str(value.quantize(Decimal(1).scaleb(-exponent(currency)), rounding=ROUND_HALF_EVEN))


def _showcase(sandbox: Any) -> dict[str, Any]:
    """An order in another currency than the store's, with a coupon, a product discount and a refund."""
    for page in (1, 2, 3):
        for doc in _upstream(sandbox, "/v2/orders", limit=250, page=page) or []:
            wanted = ("refunded_amount", "coupon_discount", "discount_amount")
            if doc["currency_code"] != doc["default_currency_code"] and all(Decimal(doc[k] or 0) > 0 for k in wanted):
                return doc
    raise AssertionError("the sandbox has no order to compare")


async def _assert_matches_upstream(client, headers: dict[str, str], sandbox: Any) -> None:
    doc = _showcase(sandbox)
    listed = (await client.get(f"/v1/orders?number={doc['id']}", headers=headers)).json()["data"]
    detail = (await client.get(f"/v1/orders/{listed[0]['id']}", headers=headers)).json()["data"]
    shop, pres, rate = doc["default_currency_code"], doc["currency_code"], Decimal(doc["currency_exchange_rate"])
    included = doc["is_tax_inclusive_pricing"]
    side = "inc_tax" if included else "ex_tax"
    expected = {
        "total": Decimal(doc["total_inc_tax"]),
        "tax": Decimal(doc["total_tax"]),
        "subtotal": Decimal(doc[f"subtotal_{side}"]),
        "shipping": Decimal(doc[f"shipping_cost_{side}"]),
        "discount": Decimal(doc["discount_amount"]) + Decimal(doc["coupon_discount"]),
    }
    assert (detail["currency"], detail["presentmentCurrency"], detail["taxesIncluded"]) == (shop, pres, included)
    assert abs(Decimal(detail["exchangeRate"]) * rate - 1) < Decimal("1e-20")
    for name, value in expected.items():
        assert detail[name]["shop"]["amount"] == _amount(value, shop), name
        assert detail[name]["presentment"]["amount"] == _amount(value * rate, pres), name
    minor = {name: detail[name]["shop"]["amountMinor"] for name in expected}
    added_tax = 0 if included else minor["tax"]
    assert minor["subtotal"] - minor["discount"] + minor["shipping"] + added_tax == minor["total"]

    products = _upstream(sandbox, f"/v2/orders/{doc['id']}/products")
    assert [ln["sku"] for ln in detail["lines"]] == [p["sku"] for p in products]
    assert [ln["quantity"] for ln in detail["lines"]] == [p["quantity"] for p in products]
    coupons = _upstream(sandbox, f"/v2/orders/{doc['id']}/coupons")
    assert {c["code"] for c in coupons} <= {d["code"] for d in detail["discounts"]}
    refunds = _upstream(sandbox, f"/v3/orders/{doc['id']}/payment_actions/refunds")["data"]
    assert sorted(r["shop"]["amount"] for r in detail["refunds"]) == sorted(
        _amount(Decimal(str(r["total_amount"])), shop) for r in refunds
    )
    assert detail["financialStatus"] in ("partially_refunded", "refunded")


async def test_full_sync_of_every_stream(client, runtime, sandbox, bc):
    tenant, iid = bc
    for stream in ("locations", "products", "customers"):
        run = await sync(client, runtime, tenant.headers, iid, stream, batchSize=50)
        assert run["state"] == "succeeded", run
        assert run[f"{stream}Created"] > 0 and run[f"{stream}Failed"] == 0, run
    assert run["pages"] >= 10  # 500 customers, 50 a page
    run = await sync(client, runtime, tenant.headers, iid, "orders", batchSize=50)
    assert run["pages"] >= SANDBOX_ORDERS // 50  # paged past many pages
    assert run["ordersProcessed"] == SANDBOX_ORDERS
    assert run["ordersFailed"] == MALFORMED, run["recentErrors"]
    assert run["ordersCreated"] == SANDBOX_ORDERS - MALFORMED
    inventory = await sync(client, runtime, tenant.headers, iid, "inventory", batchSize=50)
    assert inventory["inventoryCreated"] > 0 and inventory["inventoryFailed"] == 0, inventory
    items = _upstream(sandbox, "/v3/inventory/items", limit=250)
    assert inventory["inventoryCreated"] == sum(len(i["locations"]) for i in items["data"])

    listed = (await client.get("/v1/orders?limit=250", headers=tenant.headers)).json()
    assert listed["pagination"]["total"] == run["ordersCreated"]
    assert listed["data"][0]["externalRefs"][0]["integrationId"] == iid
    await _assert_matches_upstream(client, tenant.headers, sandbox)
    lines = (await client.get(f"/v1/orders/{listed['data'][0]['id']}", headers=tenant.headers)).json()["data"]
    assert all(ln["variantId"] for ln in lines["lines"])  # linked to the synced catalogue
    inv = (await client.get("/v1/inventory?limit=5", headers=tenant.headers)).json()
    assert inv["pagination"]["total"] > 0 and inv["data"][0]["sku"]
    assert _over_limit(sandbox) == 0


async def test_resync_is_idempotent_and_incremental_reads_only_changes(client, runtime, sandbox, bc):
    tenant, iid = bc
    first = await sync(client, runtime, tenant.headers, iid, "orders", batchSize=250)
    again = await sync(client, runtime, tenant.headers, iid, "orders", syncType="full", batchSize=250)
    assert again["ordersCreated"] == 0 and again["ordersUpdated"] == 0
    assert again["ordersUnchanged"] == first["ordersCreated"]
    orders, refs = await stored_orders_and_refs(runtime, tenant.workspace_id, iid)
    assert orders == refs == first["ordersCreated"]

    order_id = 100_005
    assert _upstream(sandbox, f"/v2/orders/{order_id}")["status_id"] != 5
    now = datetime.now(UTC).isoformat()
    touched = sandbox.control(PROVIDER, "POST", f"/_sandbox/orders/{order_id}/touch", json={"cancelled_at": now})
    assert touched["status_id"] == 5
    incremental = await sync(client, runtime, tenant.headers, iid, "orders")
    assert incremental["syncType"] == "incremental"
    assert incremental["ordersUpdated"] == 1 and incremental["ordersCreated"] == 0
    assert incremental["ordersProcessed"] < 50  # the lookback window, not the whole store
    events = (await client.get("/v1/events?type=order.cancelled", headers=tenant.headers)).json()["data"]
    assert [e["data"]["externalId"] for e in events] == [str(order_id)]


async def test_quota_obeyed_and_429_5xx_recovered(client, runtime, sandbox, bc):
    tenant, iid = bc
    quota = 20
    _fresh(sandbox, quota=quota, window_ms=1_000)
    sandbox.faults(PROVIDER, throttle_next=2, fail_next=3)
    # About 25 orders, two or three requests each: several windows' worth.
    window = {"from": "2024-01-01T00:00:00Z", "to": "2024-01-01T03:00:00Z"}
    run = await sync(client, runtime, tenant.headers, iid, "orders", batchSize=10, dateRange=window)
    assert run["state"] == "succeeded", run
    assert run["ordersCreated"] == run["ordersProcessed"] > 20
    stats = sandbox.control(PROVIDER)["stats"]
    assert stats["requests"] > 2 * quota  # so it waited for the window to reset, more than once
    assert stats["over_limit"] == 0 and stats["throttled"] == 0, stats  # not one request beyond the quota
    assert stats["injected_errors"] == 3


async def test_bad_record_is_an_item_error_and_retry_failed_refetches_it(client, runtime, sandbox, bc):
    tenant, iid = bc
    run = await sync(client, runtime, tenant.headers, iid, "orders", batchSize=250)
    assert run["ordersFailed"] == MALFORMED
    errors = run["recentErrors"]
    assert {e["type"] for e in errors} == {"mapping_error"}
    assert all(e["externalId"] and e["message"] for e in errors)

    sandbox.faults(PROVIDER, malformed=False)  # the merchant fixed the records upstream
    retry = await retry_failed(client, runtime, tenant.headers, iid, run["syncId"])
    assert retry["ordersCreated"] == MALFORMED and retry["ordersFailed"] == 0, retry
    again = await client.post(
        f"/v1/integrations/{iid}/retry-failed", headers=tenant.headers, json={"syncId": run["syncId"]}
    )
    assert again.status_code == 409


async def test_inventory_push_sets_and_adjusts_without_echo(client, runtime, sandbox, bc):
    tenant, iid = bc
    for stream in ("locations", "products", "inventory"):
        await sync(client, runtime, tenant.headers, iid, stream, batchSize=100)
    levels = (await client.get("/v1/inventory?limit=100", headers=tenant.headers)).json()["data"]
    level = next(lv for lv in levels if lv["locationName"] == "Retail Store")
    location = next(
        loc["id"] for loc in _upstream(sandbox, "/v3/inventory/locations")["data"] if loc["label"] == "Retail Store"
    )
    sku = level["sku"]
    r = await client.post(
        f"/v1/integrations/{PROVIDER}/update-inventory",
        headers=tenant.headers,
        json={
            "integrationId": iid,
            "items": [
                {"sku": sku, "locationId": str(location), "quantity": 150, "updateType": "set"},
                {"sku": sku, "locationId": str(location), "quantity": -5, "updateType": "adjust"},
                {"sku": sku, "locationId": str(location), "quantity": -1000, "updateType": "adjust"},
                {"sku": "NO-SUCH-SKU", "locationId": str(location), "quantity": 1},
            ],
        },
    )
    assert r.status_code == 200, r.text
    result = r.json()["data"]
    assert [x["quantityAfter"] for x in result["results"][:2]] == [150, 145], [x["error"] for x in result["results"]]
    below_zero, unknown = result["results"][2:]
    assert not below_zero["success"] and "below zero" in below_zero["error"]
    assert not unknown["success"] and "variant" in unknown["error"]
    assert result["failed"] == 2
    stored = await client.get(f"/v1/inventory?sku={sku}&locationId={level['locationId']}", headers=tenant.headers)
    assert stored.json()["data"][0]["onHand"] == 145
    upstream = _upstream(sandbox, "/v3/inventory/items", **{"sku:in": sku, "location_id:in": str(location)})
    assert upstream["data"][0]["locations"][0]["total_inventory_onhand"] == 145
    echo = await sync(client, runtime, tenant.headers, iid, "inventory", syncType="full", batchSize=100)
    assert echo["inventoryUpdated"] == 0 and echo["inventoryFailed"] == 0  # our own push coming back changes nothing


async def test_a_change_without_location_goes_to_the_default_location() -> None:
    sent: list[Any] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append((request.method, request.url.path, json.loads(request.content)))
        return httpx.Response(200, json={"transaction_id": "t"}, headers={"X-Rate-Limit-Requests-Left": "10"})

    # A loopback base URL: the tests' network policy allows nothing else, and the mock answers anyway.
    creds = BigCommerceCredentials(storeHash="abc123def", accessToken="secret-token", apiBaseUrl="http://127.0.0.1:9")
    connector = BigCommerceConnector(creds, transport=httpx.MockTransport(answer))
    async with connector.client() as upstream:
        results = await connector.push_inventory(upstream, [InventoryChange("SKU-1", None, 7, "set", "40001")])
    assert results[0].ok and results[0].quantity_after == 7 and results[0].location_external_id == "1"
    method, path, body = sent[0]
    assert (method, path) == ("PUT", "/stores/abc123def/v3/inventory/adjustments/absolute")
    assert body["items"] == [{"location_id": 1, "quantity": 7, "variant_id": 40001}]
