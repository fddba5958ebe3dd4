"""The Shopify connector against its sandbox over real sockets: every stream, paging, nested connections,
incremental, idempotence, the cost budget (THROTTLED, 429 and 5xx recovered; zero requests over the
bucket), bad records and retry-failed, bulk exports, inventory push with compare-and-set."""

from __future__ import annotations

import time
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import httpx
import pytest

from ledgerlink.canonical.money import exponent
from ledgerlink.connectors.framework.connector import InventoryChange
from ledgerlink.connectors.framework.window import SyncWindow
from ledgerlink.connectors.shopify import queries
from ledgerlink.connectors.shopify.connector import ShopifyConnector
from ledgerlink.connectors.shopify.credentials import ShopifyCredentials
from ledgerlink.inventory.push import push_inventory
from ledgerlink.upstream.errors import UpstreamRejected
from tests.conftest import SANDBOX_MALFORMED_EVERY, SANDBOX_ORDERS, make_tenant
from tests.sync_support import retry_failed, setup_store, stored_orders_and_refs, sync

pytestmark = pytest.mark.slow
PROVIDER = "shopify"
MALFORMED = SANDBOX_ORDERS // SANDBOX_MALFORMED_EVERY  # served with a total of "NaN", "" or "1,234.56"
# The bucket stays on (costs charged, MAX_COST_EXCEEDED enforced) but refills faster than anyone spends.
ROOMY = {"maximumAvailable": 2000, "restoreRate": 1_000_000}
THREE_HOURS = {"from": "2024-01-01T00:00:00Z", "to": "2024-01-01T03:00:00Z"}  # about 26 orders


def _fresh(sandbox: Any, **bucket: float) -> None:
    sandbox.reset(PROVIDER)  # faults and counters
    sandbox.control(PROVIDER, "POST", "/_sandbox/throttle", json=bucket or ROOMY)


def _stats(sandbox: Any) -> dict[str, Any]:
    return dict(sandbox.control(PROVIDER)["stats"])


def _gql(sandbox: Any, query: str, **variables: Any) -> Any:
    creds = sandbox.credentials(PROVIDER)
    response = httpx.post(
        f"{creds['apiBaseUrl']}{queries.API_PATH}",
        json={"query": query, "variables": variables},
        headers={"X-Shopify-Access-Token": creds["accessToken"]},
        timeout=10,
    )
    response.raise_for_status()
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def _connector(sandbox: Any) -> ShopifyConnector:
    return ShopifyConnector(ShopifyCredentials(**sandbox.credentials(PROVIDER)))


@pytest.fixture
async def shop(client, runtime, sandbox):
    _fresh(sandbox)
    tenant = await make_tenant(runtime)
    integration_id = await setup_store(client, tenant.headers, PROVIDER, sandbox.credentials(PROVIDER))
    yield tenant, integration_id
    _fresh(sandbox)
    sandbox.control(PROVIDER, "DELETE", "/_sandbox/throttle")


def _amount(value: Decimal, currency: str) -> str:
    return str(value.quantize(Decimal(1).scaleb(-exponent(currency)), rounding=ROUND_HALF_EVEN))


SHOWCASE = """query($q: String) { orders(first: 25, query: $q) { nodes { id name currencyCode presentmentCurrencyCode
  taxesIncluded subtotalPriceSet { ...B } totalPriceSet { ...B } totalTaxSet { ...B } totalShippingPriceSet { ...B }
  totalDiscountsSet { ...B } lineItems(first: 5) { nodes { sku quantity } } refunds { totalRefundedSet { ...B } } } } }
fragment B on MoneyBag { shopMoney { amount } presentmentMoney { amount } }"""


def _showcase(sandbox: Any) -> dict[str, Any]:
    """An order in another currency than the shop's, with a discount and a refund."""
    found = _gql(sandbox, SHOWCASE, q="financial_status:partially_refunded")["orders"]["nodes"]
    for doc in found:
        foreign = doc["currencyCode"] != doc["presentmentCurrencyCode"]
        if foreign and Decimal(doc["totalDiscountsSet"]["shopMoney"]["amount"]) > 0:
            return dict(doc)
    raise AssertionError("the sandbox has no order to compare")


async def _assert_matches_upstream(client, headers: dict[str, str], sandbox: Any) -> None:
    doc = _showcase(sandbox)
    listed = (await client.get(f"/v1/orders?number=%23{doc['name'][1:]}", headers=headers)).json()["data"]
    detail = (await client.get(f"/v1/orders/{listed[0]['id']}", headers=headers)).json()["data"]
    shop, pres = doc["currencyCode"], doc["presentmentCurrencyCode"]
    assert (detail["currency"], detail["presentmentCurrency"]) == (shop, pres)
    assert detail["taxesIncluded"] == doc["taxesIncluded"]

    def both(*names: str) -> tuple[Decimal, Decimal]:
        return tuple(sum(Decimal(doc[n][side]["amount"]) for n in names) for side in ("shopMoney", "presentmentMoney"))

    expected = {
        "total": both("totalPriceSet"),
        "tax": both("totalTaxSet"),
        "shipping": both("totalShippingPriceSet"),
        "discount": both("totalDiscountsSet"),
        "subtotal": both("subtotalPriceSet", "totalDiscountsSet"),  # the hub's subtotal is before discounts
    }
    for name, (shop_amount, pres_amount) in expected.items():
        assert detail[name]["shop"]["amount"] == _amount(shop_amount, shop), name
        assert detail[name]["presentment"]["amount"] == _amount(pres_amount, pres), name
    minor = {name: detail[name]["shop"]["amountMinor"] for name in expected}
    added_tax = 0 if doc["taxesIncluded"] else minor["tax"]
    assert minor["subtotal"] - minor["discount"] + minor["shipping"] + added_tax == minor["total"]
    rate = Decimal(detail["exchangeRate"])
    assert abs(rate * expected["total"][1] - expected["total"][0]) < Decimal("0.01")
    assert [(ln["sku"], ln["quantity"]) for ln in detail["lines"]] == [
        (ln["sku"], ln["quantity"]) for ln in doc["lineItems"]["nodes"]
    ]
    assert sorted(r["shop"]["amount"] for r in detail["refunds"]) == sorted(
        _amount(Decimal(r["totalRefundedSet"]["shopMoney"]["amount"]), shop) for r in doc["refunds"]
    )
    assert all(r["lines"] for r in detail["refunds"])
    assert detail["financialStatus"] == "partially_refunded"


async def test_full_sync_of_every_stream(client, runtime, sandbox, shop):
    tenant, iid = shop
    for stream in ("locations", "products", "customers"):
        run = await sync(client, runtime, tenant.headers, iid, stream, batchSize=10 if stream == "products" else 50)
        assert run["state"] == "succeeded", run
        assert run[f"{stream}Created"] > 0 and run[f"{stream}Failed"] == 0, run
        assert run[f"{stream}ToProcess"] == run[f"{stream}Processed"], run
    assert run["pages"] >= 10  # 500 customers, 50 a page
    run = await sync(client, runtime, tenant.headers, iid, "orders", batchSize=50)
    assert run["pages"] >= SANDBOX_ORDERS // 7  # a page is as many orders as its cost allows
    assert run["ordersProcessed"] == run["ordersToProcess"] == SANDBOX_ORDERS
    assert run["ordersFailed"] == MALFORMED, run["recentErrors"]
    assert run["ordersCreated"] == SANDBOX_ORDERS - MALFORMED
    inventory = await sync(client, runtime, tenant.headers, iid, "inventory", batchSize=50)
    assert inventory["inventoryCreated"] > 0 and inventory["inventoryFailed"] == 0, inventory
    levels = _gql(sandbox, "{ productVariantsCount { count } locationsCount { count } }")
    assert inventory["inventoryCreated"] == levels["productVariantsCount"]["count"] * levels["locationsCount"]["count"]

    listed = (await client.get("/v1/orders?limit=250", headers=tenant.headers)).json()
    assert listed["pagination"]["total"] == run["ordersCreated"]
    assert listed["data"][0]["externalRefs"][0]["externalId"].isdigit()  # numeric ids, as webhooks name them
    await _assert_matches_upstream(client, tenant.headers, sandbox)
    detail = (await client.get(f"/v1/orders/{listed['data'][0]['id']}", headers=tenant.headers)).json()["data"]
    assert detail["lines"] and all(ln["variantId"] for ln in detail["lines"])  # linked to the synced catalogue
    inv = (await client.get("/v1/inventory?limit=5", headers=tenant.headers)).json()
    assert inv["pagination"]["total"] > 0 and inv["data"][0]["sku"]
    stats = _stats(sandbox)
    assert stats["over_limit"] == 0 and stats["throttled"] == 0, stats


async def test_nested_connections_are_read_to_their_end(sandbox, monkeypatch):
    """With two lines a page, an order of five is read in three: every line is there, refunds in full."""
    _fresh(sandbox)
    monkeypatch.setattr(ShopifyConnector, "line_items_page", 2)
    monkeypatch.setattr(ShopifyConnector, "refund_lines_page", 1)
    connector = _connector(sandbox)
    stream = connector.streams["orders"]
    truth = _gql(
        sandbox,
        "{ orders(first: 60, sortKey: UPDATED_AT) { nodes { id lineItems(first: 6) { nodes { id } pageInfo "
        "{ hasNextPage } } refunds { id refundLineItems(first: 3) { nodes { id } pageInfo { hasNextPage } } } } } }",
    )["orders"]["nodes"]
    assert not any(o["lineItems"]["pageInfo"]["hasNextPage"] for o in truth)
    read: list[dict[str, Any]] = []
    async with connector.client() as upstream:
        token = None
        while len(read) < len(truth):
            page = await stream.read_page(upstream, SyncWindow(page_size=20), token)
            read += page.records
            token = page.next_token
        requests = upstream.stats.requests
    assert [o["id"] for o in read[:60]] == [o["id"] for o in truth]
    for mine, theirs in zip(read, truth, strict=False):
        assert [ln["id"] for ln in mine["lineItems"]["nodes"]] == [ln["id"] for ln in theirs["lineItems"]["nodes"]]
        assert set(mine["lineItems"]) == {"nodes"}  # no pageInfo left: shaped like an export
        assert [[x["id"] for x in r["refundLineItems"]["nodes"]] for r in mine["refunds"]] == [
            [x["id"] for x in r["refundLineItems"]["nodes"]] for r in theirs["refunds"]
        ]
    assert max(len(o["lineItems"]["nodes"]) for o in read) > 2 and requests > len(read) // 20


async def test_resync_is_idempotent_and_incremental_reads_only_changes(client, runtime, sandbox, shop):
    tenant, iid = shop
    first = await sync(client, runtime, tenant.headers, iid, "orders")
    again = await sync(client, runtime, tenant.headers, iid, "orders", syncType="full")
    assert again["ordersCreated"] == 0 and again["ordersUpdated"] == 0
    assert again["ordersUnchanged"] == first["ordersCreated"]
    orders, refs = await stored_orders_and_refs(runtime, tenant.workspace_id, iid)
    assert orders == refs == first["ordersCreated"]

    touched = sandbox.control(PROVIDER, "POST", "/_sandbox/orders/100005/touch", json={"note": "Gift wrap, please"})
    assert touched["legacyResourceId"] == "100005"
    incremental = await sync(client, runtime, tenant.headers, iid, "orders")
    assert incremental["syncType"] == "incremental"
    assert incremental["ordersUpdated"] == 1 and incremental["ordersCreated"] == 0
    assert incremental["ordersProcessed"] < 50  # the lookback window, not the whole shop
    listed = (await client.get("/v1/orders?number=%231006", headers=tenant.headers)).json()["data"]
    assert listed[0]["note"] == "Gift wrap, please"


async def test_bad_record_is_an_item_error_and_retry_failed_refetches_it(client, runtime, sandbox, shop):
    tenant, iid = shop
    run = await sync(client, runtime, tenant.headers, iid, "orders")
    assert run["ordersFailed"] == MALFORMED
    errors = run["recentErrors"]
    assert {e["type"] for e in errors} == {"mapping_error"}
    assert all(e["externalId"].isdigit() and "not an amount" in e["message"] for e in errors)

    sandbox.faults(PROVIDER, malformed=False)  # the merchant fixed the records upstream
    retry = await retry_failed(client, runtime, tenant.headers, iid, run["syncId"])
    assert retry["ordersCreated"] == MALFORMED and retry["ordersFailed"] == 0, retry


async def test_budget_obeyed_with_a_small_bucket(client, runtime, sandbox):
    """A 1000-point bucket restoring 250 a second, the integration's budget set to match: the run spends
    several buckets' worth, waiting for refills, and not one request finds the bucket short."""
    bucket = {"maximumAvailable": 1000, "restoreRate": 250}
    tenant = await make_tenant(runtime)
    settings = {"rateLimit": {"rate": 250, "period": 1, "burst": 1000}}
    iid = await setup_store(client, tenant.headers, PROVIDER, sandbox.credentials(PROVIDER), **settings)
    _fresh(sandbox, **bucket)
    started = time.monotonic()
    window = {"from": "2024-01-01T00:00:00Z", "to": "2024-01-01T04:00:00Z"}
    run = await sync(client, runtime, tenant.headers, iid, "orders", dateRange=window)
    elapsed = time.monotonic() - started
    spent = sandbox.control(PROVIDER, "GET", "/_sandbox/throttle")["spent"]
    stats = _stats(sandbox)
    _fresh(sandbox)
    assert run["state"] == "succeeded" and run["ordersCreated"] > 30, run
    assert stats["over_limit"] == 0 and stats["throttled"] == 0, stats
    assert spent > 2 * bucket["maximumAvailable"]  # so it waited for refills, more than once
    # The share of what the bucket could give in that time that was spent (elapsed includes the writes).
    share = spent / (bucket["maximumAvailable"] + bucket["restoreRate"] * elapsed)
    print(f"\nbudget: {stats['requests']} requests, {spent:.0f} points in {elapsed:.1f}s, {share:.0%} of the bucket")
    assert share > 0.5


async def test_throttled_429_and_5xx_are_recovered(client, runtime, sandbox):
    tenant = await make_tenant(runtime)
    settings = {"rateLimit": {"rate": 1000, "period": 1, "burst": 2000}}
    iid = await setup_store(client, tenant.headers, PROVIDER, sandbox.credentials(PROVIDER), **settings)
    # Someone else emptied the bucket: the first page finds it short (THROTTLED), waits, and goes on.
    _fresh(sandbox, maximumAvailable=2000, restoreRate=1000, currentlyAvailable=0)
    run = await sync(client, runtime, tenant.headers, iid, "orders", dateRange=THREE_HOURS)
    stats = _stats(sandbox)
    assert run["state"] == "succeeded" and run["ordersCreated"] > 20, run
    assert stats["throttled"] == 1, stats  # once, then the budget knows the bucket

    _fresh(sandbox, maximumAvailable=2000, restoreRate=1000)
    sandbox.faults(PROVIDER, throttle_next=2, fail_next=3)
    again = await sync(client, runtime, tenant.headers, iid, "orders", syncType="full", dateRange=THREE_HOURS)
    stats = _stats(sandbox)
    _fresh(sandbox)
    assert again["state"] == "succeeded" and again["ordersUnchanged"] == run["ordersCreated"], again
    assert stats["injected_errors"] == 3 and stats["throttled"] == 0, stats


async def test_a_large_full_sync_is_a_bulk_export(client, runtime, sandbox, shop, monkeypatch):
    tenant, iid = shop
    monkeypatch.setattr(ShopifyConnector, "bulk_threshold", 100)
    monkeypatch.setattr(ShopifyConnector, "bulk_poll_interval", 0.05)
    run = await sync(client, runtime, tenant.headers, iid, "orders", batchSize=100)
    assert run["state"] == "completed_with_errors", run
    assert run["ordersProcessed"] == run["ordersToProcess"] == SANDBOX_ORDERS
    assert run["ordersCreated"] == SANDBOX_ORDERS - MALFORMED and run["ordersFailed"] == MALFORMED
    assert run["pages"] == SANDBOX_ORDERS // 100
    exports = [path for path in _stats(sandbox)["by_path"] if path.startswith("/shopify/_sandbox/bulk/")]
    assert len(exports) == 1
    # The same orders read page by page are the same records: not one of them changes.
    paged = await sync(client, runtime, tenant.headers, iid, "orders", dateRange={"from": "2023-12-31"})
    assert paged["ordersUnchanged"] == run["ordersCreated"] and paged["ordersUpdated"] == 0, paged


async def test_a_bulk_export_resumes_from_its_token(sandbox, monkeypatch):
    """A second process picks the export up at the token's byte and line: the same orders, none twice."""
    _fresh(sandbox)
    monkeypatch.setattr(ShopifyConnector, "bulk_threshold", 100)
    monkeypatch.setattr(ShopifyConnector, "bulk_poll_interval", 0.05)
    window = SyncWindow(page_size=150)
    first = _connector(sandbox)
    async with first.client() as upstream:
        stream = first.streams["orders"]
        page = await stream.read_page(upstream, window, None)
        token = page.next_token
        straight = [page, await stream.read_page(upstream, window, token)]
    assert token is not None and token["bulk"].startswith("gid://shopify/BulkOperation/")
    assert token["line"] > 150 and token["byte"] > 0  # every order's lines follow it in the file
    second = _connector(sandbox)
    async with second.client() as upstream:
        resumed = await second.streams["orders"].read_page(upstream, window, token)
    assert [o["id"] for o in resumed.records] == [o["id"] for o in straight[1].records]
    assert resumed.records == straight[1].records and resumed.next_token == straight[1].next_token
    ids = [o["id"] for p in straight for o in p.records]
    assert len(ids) == len(set(ids)) == 300 and ids[0] == "gid://shopify/Order/100000"


async def test_inventory_push_compares_and_sets_without_echo(client, runtime, sandbox, shop):
    tenant, iid = shop
    for stream in ("locations", "products", "inventory"):
        await sync(client, runtime, tenant.headers, iid, stream, batchSize=100)
    levels = (await client.get("/v1/inventory?limit=100", headers=tenant.headers)).json()["data"]
    level = next(lv for lv in levels if lv["locationName"] == "Retail Store")
    location = "7002"
    sku = level["sku"]
    r = await client.post(
        f"/v1/integrations/{PROVIDER}/update-inventory",
        headers=tenant.headers,
        json={
            "integrationId": iid,
            "items": [
                {"sku": sku, "locationId": location, "quantity": 150, "updateType": "set"},
                {"sku": sku, "locationId": location, "quantity": -5, "updateType": "adjust"},
                {"sku": sku, "locationId": location, "quantity": -1000, "updateType": "adjust"},
                {"sku": "NO-SUCH-SKU", "locationId": location, "quantity": 1},
            ],
        },
    )
    assert r.status_code == 200, r.text
    result = r.json()["data"]
    assert [x["quantityAfter"] for x in result["results"][:2]] == [150, 145], [x["error"] for x in result["results"]]
    below_zero, unknown = result["results"][2:]
    assert not below_zero["success"] and "below zero" in below_zero["error"]
    assert not unknown["success"] and "variant" in unknown["error"]

    async with runtime.sessions() as session:
        stale, fresh = await push_inventory(
            runtime,
            session,
            tenant.workspace_id,
            iid,
            [
                InventoryChange(sku, location, 160, compare_quantity=150),
                InventoryChange(sku, location, 160, compare_quantity=145),
            ],
        )
    assert not stale.ok and stale.error.startswith("CHANGE_FROM_QUANTITY_STALE"), stale
    assert fresh.ok and fresh.quantity_after == 160, fresh
    stored = await client.get(f"/v1/inventory?sku={sku}&locationId={level['locationId']}", headers=tenant.headers)
    assert stored.json()["data"][0]["onHand"] == 160
    variant = _gql(
        sandbox,
        "query($q: String) { productVariants(first: 1, query: $q) { nodes { inventoryItem { "
        'inventoryLevel(locationId: "gid://shopify/Location/7002") { quantities(names: ["on_hand"]) '
        "{ quantity } } } } } }",
        q=f'sku:"{sku}"',
    )
    assert variant["productVariants"]["nodes"][0]["inventoryItem"]["inventoryLevel"]["quantities"][0]["quantity"] == 160
    echo = await sync(client, runtime, tenant.headers, iid, "inventory", syncType="full", batchSize=100)
    assert echo["inventoryUpdated"] == 0 and echo["inventoryFailed"] == 0  # our own push coming back changes nothing


async def test_throttled_waits_as_the_bucket_says_and_errors_carry_shopify_messages() -> None:
    """THROTTLED (HTTP 200) waits (requested - currentlyAvailable) / restoreRate; any other GraphQL error
    fails the request with Shopify's own message."""
    status = {"maximumAvailable": 1000.0, "restoreRate": 1000.0}
    answers = [
        {
            "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
            "extensions": {"cost": {"requestedQueryCost": 201, "throttleStatus": {**status, "currentlyAvailable": 1}}},
        },
        {"data": {"shop": {"name": "S", "currencyCode": "EUR", "myshopifyDomain": "s.myshopify.com"}}},
        {"errors": [{"message": "Field 'nope' doesn't exist on type 'Shop'", "extensions": {"code": "undefined"}}]},
    ]

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.headers["X-Shopify-Access-Token"] == "shpat_secret-token"
        assert request.url.path == "/admin/api/2026-10/graphql.json"
        return httpx.Response(200, json=answers.pop(0))

    creds = ShopifyCredentials(
        shopDomain="s.myshopify.com", accessToken="shpat_secret-token", apiBaseUrl="http://127.0.0.1:9"
    )
    connector = ShopifyConnector(creds, transport=httpx.MockTransport(answer))
    async with connector.client() as upstream:
        assert await connector.check(upstream) == {"name": "S", "currency": "EUR", "domain": "s.myshopify.com"}
        assert upstream.stats.rate_limited == 1 and upstream.stats.waited_seconds == pytest.approx(0.2)
        with pytest.raises(UpstreamRejected, match="Field 'nope' doesn't exist on type 'Shop'"):
            await connector.check(upstream)


def test_a_windows_end_is_exclusive_in_shopifys_search():
    from datetime import UTC, datetime

    from ledgerlink.connectors.shopify.connector import _updated_terms

    since, until = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, 12, tzinfo=UTC)
    assert _updated_terms(SyncWindow(until=until), since) == [
        "updated_at:>='2024-01-01T00:00:00Z'",
        "updated_at:<'2024-02-01T12:00:00Z'",  # an order updated at 12:00:00 is the next window's
    ]
    # Shopify's stamps are whole seconds: an end within a second keeps that second (a date's end of day).
    end_of_day = datetime(2024, 2, 1, 23, 59, 59, 999999, tzinfo=UTC)
    assert _updated_terms(SyncWindow(until=end_of_day), None) == ["updated_at:<'2024-02-02T00:00:00Z'"]
