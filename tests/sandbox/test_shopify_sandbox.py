"""The simulated Shopify Admin GraphQL API, exercised over HTTP as a connector would use it."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
import pytest

from ledgerlink.connectors.shopify.credentials import ShopifyCredentials
from ledgerlink.sandbox.dataset import Store
from ledgerlink.sandbox.server import build_app
from ledgerlink.sandbox.shopify import ShopifySandbox

BASE_URL = "http://sandbox.test/shopify"
GRAPHQL = "/admin/api/2026-10/graphql.json"


@dataclass
class Api:
    client: httpx.AsyncClient
    token: str

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None, path: str = GRAPHQL
    ) -> httpx.Response:
        headers = {} if token == "" else {"X-Shopify-Access-Token": token or self.token}
        return await self.client.post(path, json={"query": query, "variables": variables or {}}, headers=headers)

    async def gql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.post(query, variables)
        assert response.status_code == 200, response.text
        return response.json()

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = await self.gql(query, variables)
        assert "errors" not in body, body["errors"]
        return body["data"]


@pytest.fixture
def shop() -> ShopifySandbox:
    return ShopifySandbox(Store(seed=11, orders_count=1500))


@pytest.fixture
async def api(shop: ShopifySandbox) -> AsyncIterator[Api]:
    transport = httpx.ASGITransport(app=build_app({"shopify": shop}))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        yield Api(client, shop.access_token)


def shop_money(bag: dict[str, Any]) -> Decimal:
    return Decimal(bag["shopMoney"]["amount"])


def is_amount(text: str) -> bool:
    try:
        return Decimal(text).is_finite()
    except InvalidOperation:
        return False


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- identity and auth ---------------------------------------------------------------------------


def test_credentials_are_what_setup_accepts_and_deterministic(shop: ShopifySandbox) -> None:
    creds = shop.credentials("http://127.0.0.1:8900/shopify")
    parsed = ShopifyCredentials(**creds)
    assert parsed.shopDomain == creds["shopDomain"]
    assert str(parsed.apiBaseUrl) == "http://127.0.0.1:8900/shopify"
    assert creds["accessToken"].startswith("shpat_") and len(creds["accessToken"]) == 38
    assert ShopifySandbox(Store(seed=11, orders_count=1)).credentials("http://x")["accessToken"] == creds["accessToken"]
    other = ShopifySandbox(Store(seed=12, orders_count=1)).credentials("http://x")
    assert other["shopDomain"] != creds["shopDomain"] and other["webhookSecret"] != creds["webhookSecret"]


async def test_wrong_or_missing_token_is_refused_like_shopify(api: Api) -> None:
    expected = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
    for token in ("", "shpat_00000000000000000000000000000000"):
        response = await api.post("{ shop { name } }", token=token)
        assert response.status_code == 401
        assert response.json() == expected


async def test_any_api_version_path_is_answered_with_2026_10(api: Api, shop: ShopifySandbox) -> None:
    response = await api.post(
        "{ shop { name myshopifyDomain currencyCode ianaTimezone plan { shopifyPlus } } }",
        path="/admin/api/2024-07/graphql.json",
    )
    assert response.status_code == 200
    assert response.headers["X-Shopify-API-Version"] == "2026-10"
    assert response.json()["data"]["shop"]["myshopifyDomain"] == shop.shop_domain
    assert response.json()["data"]["shop"]["currencyCode"] == "USD"


# --- orders --------------------------------------------------------------------------------------

ORDER_FIELDS = """
  id name createdAt updatedAt processedAt cancelledAt cancelReason email currencyCode presentmentCurrencyCode
  taxesIncluded displayFinancialStatus displayFulfillmentStatus
  subtotalPriceSet { shopMoney { amount currencyCode } }
  totalPriceSet { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }
  totalTaxSet { shopMoney { amount } } totalShippingPriceSet { shopMoney { amount } }
  totalDiscountsSet { shopMoney { amount } } totalRefundedSet { shopMoney { amount } }
  customer { id email } billingAddress { city countryCodeV2 }
  lineItems(first: 10) { nodes { id sku quantity currentQuantity originalUnitPriceSet { shopMoney { amount } }
    totalDiscountSet { shopMoney { amount } } taxLines { title rate priceSet { shopMoney { amount } } }
    variant { id } product { id } } }
  shippingLines(first: 2) { nodes { title originalPriceSet { shopMoney { amount } } } }
  discountCodes
  refunds { id totalRefundedSet { shopMoney { amount } }
    refundLineItems(first: 5) { nodes { lineItem { id } quantity } } }
"""


async def test_orders_have_consistent_totals(api: Api, shop: ShopifySandbox) -> None:
    shop.injector.faults.rate_limits = False  # a 100-order page with lines costs more than one query may
    data = await api.data(f"{{ orders(first: 100, sortKey: ID) {{ nodes {{ {ORDER_FIELDS} }} }} }}")
    orders = data["orders"]["nodes"]
    assert len(orders) == 100
    assert {o["taxesIncluded"] for o in orders} == {True, False}
    assert any(shop_money(o["totalDiscountsSet"]) for o in orders)
    assert any(o["refunds"] for o in orders)
    for order in orders:
        lines = order["lineItems"]["nodes"]
        items = sum(shop_money(li["originalUnitPriceSet"]) * li["quantity"] for li in lines)
        shipping = sum(shop_money(s["originalPriceSet"]) for s in order["shippingLines"]["nodes"])
        tax = shop_money(order["totalTaxSet"])
        added_tax = Decimal(0) if order["taxesIncluded"] else tax
        discounts = shop_money(order["totalDiscountsSet"])
        assert items + shipping + added_tax - discounts == shop_money(order["totalPriceSet"]), order["name"]
        assert items - discounts == shop_money(order["subtotalPriceSet"])
        line_tax = sum(Decimal(t["priceSet"]["shopMoney"]["amount"]) for li in lines for t in li["taxLines"])
        assert line_tax <= tax
        refunded = sum(shop_money(r["totalRefundedSet"]) for r in order["refunds"])
        assert refunded == shop_money(order["totalRefundedSet"])
        assert order["totalPriceSet"]["presentmentMoney"]["currencyCode"] == order["presentmentCurrencyCode"]
        assert order["name"] == f"#{shop.store.order_by_id(int(order['id'].rsplit('/', 1)[1])).number}"


async def test_paging_through_orders_with_cursors(api: Api) -> None:
    query = """query($after: String, $before: String, $first: Int, $last: Int) {
      orders(first: $first, after: $after, last: $last, before: $before, sortKey: CREATED_AT) {
        edges { cursor node { id createdAt } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""
    pages, after = [], None
    for _ in range(4):
        page = (await api.data(query, {"first": 30, "after": after}))["orders"]
        pages.append(page)
        after = page["pageInfo"]["endCursor"]
    ids = [e["node"]["id"] for p in pages for e in p["edges"]]
    assert len(ids) == len(set(ids)) == 120
    created = [e["node"]["createdAt"] for p in pages for e in p["edges"]]
    assert created == sorted(created)
    whole = (await api.data(query, {"first": 120}))["orders"]
    assert [e["node"]["id"] for e in whole["edges"]] == ids
    assert all(p["pageInfo"]["hasNextPage"] for p in pages)
    assert [p["pageInfo"]["hasPreviousPage"] for p in pages] == [False, True, True, True]
    assert pages[1]["edges"][0]["cursor"] == pages[1]["pageInfo"]["startCursor"]
    back = (await api.data(query, {"last": 30, "before": pages[2]["pageInfo"]["startCursor"]}))["orders"]
    assert back["edges"] == pages[1]["edges"]


async def test_updated_at_search_with_a_touched_order(api: Api, shop: ShopifySandbox) -> None:
    bound = datetime(2024, 1, 5, tzinfo=UTC)
    query = """query($q: String!) { orders(first: 50, query: $q, sortKey: UPDATED_AT) {
      nodes { id updatedAt note } pageInfo { hasNextPage } } }"""
    found = (await api.data(query, {"q": f"updated_at:>='{stamp(bound)}'"}))["orders"]["nodes"]
    everything = [shop.store.order(i) for i in range(shop.store.orders_count)]
    expected = sorted((o for o in everything if o.updated_at >= bound), key=lambda o: (o.updated_at, o.id))
    assert [o["id"] for o in found] == [f"gid://shopify/Order/{o.id}" for o in expected[:50]]

    touched = await api.client.post("/_sandbox/orders/100010/touch", json={"note": "Gift wrap, please"})
    assert touched.status_code == 200
    body = touched.json()
    assert body["id"] == "gid://shopify/Order/100010"
    since = datetime.fromisoformat(body["updatedAt"]) - timedelta(seconds=1)
    recent = (await api.data(query, {"q": f"updated_at:>='{stamp(since)}'"}))["orders"]["nodes"]
    assert recent == [{"id": "gid://shopify/Order/100010", "updatedAt": body["updatedAt"], "note": "Gift wrap, please"}]
    window = f"updated_at:>='2024-01-01T00:00:00Z' updated_at:<='{stamp(bound)}'"
    old = (await api.data(query, {"q": window}))["orders"]["nodes"]
    assert "gid://shopify/Order/100010" not in {o["id"] for o in old}
    assert all(o["updatedAt"] <= stamp(bound) for o in old)


async def test_status_filters_and_lookup_by_id(api: Api, shop: ShopifySandbox) -> None:
    data = await api.data("""{
      refunded: orders(first: 20, query: "financial_status:partially_refunded") { nodes { id displayFinancialStatus } }
      cancelled: orders(first: 5, query: "status:cancelled") { nodes { id cancelledAt cancelReason } }
      one: order(id: "gid://shopify/Order/100007") { id name }
      missing: order(id: "gid://shopify/Order/999999") { id } }""")
    assert data["refunded"]["nodes"] and all(
        o["displayFinancialStatus"] == "PARTIALLY_REFUNDED" for o in data["refunded"]["nodes"]
    )
    assert data["cancelled"]["nodes"] and all(
        o["cancelledAt"] and o["cancelReason"] == "CUSTOMER" for o in data["cancelled"]["nodes"]
    )
    assert data["one"] == {"id": "gid://shopify/Order/100007", "name": "#1008"}
    assert data["missing"] is None


async def test_a_large_store_generates_only_what_a_page_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    shop = ShopifySandbox(Store(seed=5, orders_count=100_000))
    shop.injector.faults.rate_limits = False
    generated = 0
    generate = Store._generate

    def counting(store: Store, index: int) -> Any:
        nonlocal generated
        generated += 1
        return generate(store, index)

    monkeypatch.setattr(Store, "_generate", counting)
    transport = httpx.ASGITransport(app=build_app({"shopify": shop}))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        api = Api(client, shop.access_token)
        await api.data("{ shop { name } }")  # loads the schema outside the measurement
        started = time.perf_counter()
        data = await api.data(f"""{{ orders(first: 250, sortKey: UPDATED_AT,
            query: "updated_at:>='2024-06-01T00:00:00Z'") {{ nodes {{ {ORDER_FIELDS} }} }} }}""")
        elapsed = time.perf_counter() - started
    nodes = data["orders"]["nodes"]
    assert len(nodes) == 250 and all(n["updatedAt"] >= "2024-06-01T00:00:00Z" for n in nodes)
    assert generated < 300
    assert elapsed < 2.0


# --- errors, cost, throttling ----------------------------------------------------------------------


async def test_invalid_queries_answer_validation_errors(api: Api) -> None:
    body = await api.gql("{ shop { name } orders(first: 1) { edgez { cursor } } }")
    assert "data" not in body
    (error,) = body["errors"]
    assert error["message"].startswith("Cannot query field 'edgez' on type 'OrderConnection'")
    assert error["locations"] == [{"line": 1, "column": 36}]
    assert error["extensions"]["code"] == "undefinedField"
    missing = await api.gql("{ order { id } }")
    assert missing["errors"][0]["extensions"]["code"] == "missingRequiredArguments"
    broken = await api.gql("{ shop { name ")
    assert broken["errors"][0]["extensions"]["code"] == "parseError"
    unpaged = await api.gql("{ orders { nodes { id } } }")
    assert unpaged["errors"][0]["message"] == "you must provide one of first or last"
    no_query = await api.client.post(GRAPHQL, json={}, headers={"X-Shopify-Access-Token": api.token})
    assert no_query.status_code == 400


async def test_costs_are_reported_and_unused_cost_refunded(api: Api) -> None:
    body = await api.gql("{ products(first: 30) { nodes { id title variants(first: 5) { nodes { id } } } } }")
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 2 + 30 * (1 + 2 + 5)
    assert cost["actualQueryCost"] < cost["requestedQueryCost"]  # products have fewer than 5 variants
    assert cost["throttleStatus"] == {
        "maximumAvailable": 2000.0,
        "restoreRate": 100.0,
        "currentlyAvailable": cost["throttleStatus"]["currentlyAvailable"],
    }
    assert 2000 - cost["actualQueryCost"] - 1 <= cost["throttleStatus"]["currentlyAvailable"] <= 2000
    narrow = await api.gql('{ orders(first: 50, query: "id:100003") { nodes { id customer { id } } } }')
    assert narrow["extensions"]["cost"]["requestedQueryCost"] == 2 + 50 * 2
    assert narrow["extensions"]["cost"]["actualQueryCost"] == 2 + 1 * 2
    mutation = await api.gql(
        'mutation { webhookSubscriptionDelete(id: "gid://shopify/WebhookSubscription/1") { userErrors { message } } }'
    )
    assert mutation["extensions"]["cost"]["requestedQueryCost"] == 10


async def test_a_query_over_the_single_query_limit_is_refused(api: Api) -> None:
    body = await api.gql("{ orders(first: 250) { nodes { id lineItems(first: 10) { nodes { id } } } } }")
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert body["errors"][0]["extensions"]["cost"] == 2 + 250 * (1 + 2 + 10)
    assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 2000


async def test_throttled_once_the_bucket_is_spent_then_restored(shop: ShopifySandbox) -> None:
    small = ShopifySandbox(shop.store, maximum_available=100, restore_rate=50)
    transport = httpx.ASGITransport(app=build_app({"shopify": small}))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        api = Api(client, small.access_token)
        query = "{ customers(first: 30) { nodes { id email } } }"  # costs 32
        answered = []
        while True:
            body = await api.gql(query)
            if "errors" in body:
                break
            answered.append(body)
        assert len(answered) == 3  # 3 x 32 fits in 100; the fourth would overdraw the bucket
        assert body["errors"] == [
            {
                "message": "Throttled",
                "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"},
            }
        ]
        assert "data" not in body
        status = body["extensions"]["cost"]["throttleStatus"]
        assert status["currentlyAvailable"] < 32 and status["maximumAvailable"] == 100.0
        assert small.injector.stats.throttled == 1 and small.injector.stats.over_limit == 1
        await asyncio.sleep((32 - status["currentlyAvailable"]) / status["restoreRate"] + 0.05)
        recovered = await api.gql(query)
        assert "errors" not in recovered and len(recovered["data"]["customers"]["nodes"]) == 30
        small.injector.faults.rate_limits = False
        for _ in range(5):  # limits off: costs still reported, nothing refused
            free = await api.gql(query)
            assert "errors" not in free and free["extensions"]["cost"]["requestedQueryCost"] == 32
        assert small.injector.stats.throttled == 1


# --- inventory -------------------------------------------------------------------------------------

SET_QUANTITIES = """mutation($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) @idempotent(key: "KEY") {
    inventoryAdjustmentGroup { reason changes { name delta quantityAfterChange item { id } location { id } } }
    userErrors { code field message } } }"""

LEVEL = """query($item: ID!, $location: ID!) { inventoryItem(id: $item) { inventoryLevel(locationId: $location) {
  quantities(names: ["available", "on_hand", "committed", "reserved"]) { name quantity } } } }"""


async def test_inventory_set_quantities_compares_and_swaps(api: Api, shop: ShopifySandbox) -> None:
    variant = shop.store.variants[3]
    item, location = f"gid://shopify/InventoryItem/{variant.inventory_item_id}", "gid://shopify/Location/7002"
    levels = await api.data(LEVEL, {"item": item, "location": location})
    quantities = {q["name"]: q["quantity"] for q in levels["inventoryItem"]["inventoryLevel"]["quantities"]}
    on_hand, reserved = variant.stock[7002]
    assert quantities == {"available": on_hand - reserved, "on_hand": on_hand, "committed": 0, "reserved": reserved}

    def change(key: str, expected: int | None) -> tuple[str, dict[str, Any]]:
        entry = {"inventoryItemId": item, "locationId": location, "quantity": 77, "changeFromQuantity": expected}
        return SET_QUANTITIES.replace("KEY", key), {
            "input": {"name": "available", "reason": "correction", "quantities": [entry]}
        }

    stale = (await api.data(*change("k-stale", quantities["available"] + 5)))["inventorySetQuantities"]
    assert stale["inventoryAdjustmentGroup"] is None
    assert stale["userErrors"][0]["code"] == "CHANGE_FROM_QUANTITY_STALE"
    assert variant.stock[7002] == [on_hand, reserved]

    before = datetime.now(UTC) - timedelta(seconds=1)
    done = (await api.data(*change("k-fresh", quantities["available"])))["inventorySetQuantities"]
    assert done["userErrors"] == []
    delta = 77 - quantities["available"]
    assert {c["name"]: (c["delta"], c["quantityAfterChange"]) for c in done["inventoryAdjustmentGroup"]["changes"]} == {
        "available": (delta, 77),
        "on_hand": (delta, 77 + reserved),
    }
    assert variant.stock[7002] == [77 + reserved, reserved]
    again = (await api.data(*change("k-fresh", quantities["available"])))["inventorySetQuantities"]
    assert again == done and variant.stock[7002] == [77 + reserved, reserved]  # same key: replayed, not reapplied
    updated = await api.data(
        "query($q: String) { products(first: 5, query: $q) { nodes { id } } }", {"q": f"updated_at:>='{stamp(before)}'"}
    )
    assert updated["products"]["nodes"] == [{"id": f"gid://shopify/Product/{variant.product_id}"}]


async def test_inventory_adjust_quantities_and_the_idempotency_rule(api: Api, shop: ShopifySandbox) -> None:
    variant = shop.store.variants[0]
    on_hand = variant.stock[7001][0]
    mutation = """mutation($input: InventoryAdjustQuantitiesInput!) { inventoryAdjustQuantities(input: $input)
      @idempotent(key: "adjust-1") { inventoryAdjustmentGroup { changes(quantityNames: ["on_hand"]) { delta
      quantityAfterChange } } userErrors { code message } } }"""
    changes = {
        "name": "available",
        "reason": "received",
        "changes": [
            {
                "delta": 5,
                "inventoryItemId": f"gid://shopify/InventoryItem/{variant.inventory_item_id}",
                "locationId": "gid://shopify/Location/7001",
            }
        ],
    }
    adjusted = (await api.data(mutation, {"input": changes}))["inventoryAdjustQuantities"]
    assert adjusted["inventoryAdjustmentGroup"]["changes"] == [{"delta": 5, "quantityAfterChange": on_hand + 5}]
    assert variant.stock[7001][0] == on_hand + 5
    unknown = {**changes, "changes": [{**changes["changes"][0], "locationId": "gid://shopify/Location/1"}]}
    refused = await api.data(mutation.replace("adjust-1", "adjust-2"), {"input": unknown})
    assert refused["inventoryAdjustQuantities"]["userErrors"][0]["code"] == "INVALID_LOCATION"
    keyless = await api.gql(mutation.replace('@idempotent(key: "adjust-1")', ""), {"input": changes})
    assert "@idempotent" in keyless["errors"][0]["message"]
    assert variant.stock[7001][0] == on_hand + 5


# --- bulk operations -------------------------------------------------------------------------------

RUN_BULK = """mutation($q: String!) { bulkOperationRunQuery(query: $q, groupObjects: false) {
  bulkOperation { id status } userErrors { field message code } } }"""


async def test_bulk_operation_over_products_with_variants(api: Api, shop: ShopifySandbox) -> None:
    bulk_query = "{ products { edges { node { id title variants { edges { node { id sku price } } } } } } }"
    started = (await api.data(RUN_BULK, {"q": bulk_query}))["bulkOperationRunQuery"]
    assert started["userErrors"] == [] and started["bulkOperation"]["status"] == "CREATED"
    poll = "{ currentBulkOperation { id status objectCount rootObjectCount url errorCode } }"
    for _ in range(200):
        current = (await api.data(poll))["currentBulkOperation"]
        if current["status"] not in {"CREATED", "RUNNING"}:
            break
        await asyncio.sleep(0.02)
    assert current["id"] == started["bulkOperation"]["id"]
    assert current["status"] == "COMPLETED" and current["errorCode"] is None
    download = await api.client.get(current["url"])
    assert download.status_code == 200
    lines = [json.loads(line) for line in download.text.splitlines()]
    products = [line for line in lines if "__parentId" not in line]
    variants = [line for line in lines if "__parentId" in line]
    assert len(products) == len(shop.store.products) == int(current["rootObjectCount"])
    assert len(lines) == int(current["objectCount"]) == len(shop.store.products) + len(shop.store.variants)
    assert all("variants" not in p for p in products)
    product_ids = {p["id"] for p in products}
    assert {v["__parentId"] for v in variants} == product_ids
    first = shop.store.products[0]
    assert [v["sku"] for v in variants if v["__parentId"] == f"gid://shopify/Product/{first.id}"] == [
        v.sku for v in first.variants
    ]
    by_id = await api.data(
        "query($id: ID!) { node(id: $id) { ... on BulkOperation { status } } }", {"id": current["id"]}
    )
    assert by_id["node"]["status"] == "COMPLETED"


async def test_bulk_queries_are_checked_like_shopify(api: Api) -> None:
    for query, message in [
        ("{ shop { name } }", "connection"),
        ("{ products { edges { node { nope } } } }", "nope"),
        (
            "{ products { edges { node { variants { edges { node { inventoryItem { inventoryLevels "
            "{ edges { node { id } } } } } } } } } } }",
            "nesting depth",
        ),
    ]:
        refused = (await api.data(RUN_BULK, {"q": query}))["bulkOperationRunQuery"]
        assert refused["bulkOperation"] is None and message in refused["userErrors"][0]["message"]


async def test_a_running_bulk_operation_can_be_canceled(api: Api, shop: ShopifySandbox) -> None:
    started = (await api.data(RUN_BULK, {"q": "{ orders { edges { node { id name } } } }"}))["bulkOperationRunQuery"]
    operation_id = started["bulkOperation"]["id"]
    cancel = "mutation($id: ID!) { bulkOperationCancel(id: $id) { bulkOperation { status } userErrors { message } } }"
    canceling = (await api.data(cancel, {"id": operation_id}))["bulkOperationCancel"]
    assert canceling == {"bulkOperation": {"status": "CANCELING"}, "userErrors": []}
    status = "{ currentBulkOperation { status objectCount url } }"
    for _ in range(100):
        current = (await api.data(status))["currentBulkOperation"]
        if current["status"] != "CANCELING":
            break
        await asyncio.sleep(0.02)
    assert current["status"] == "CANCELED" and current["url"] is None
    assert int(current["objectCount"]) < shop.store.orders_count
    late = (await api.data(cancel, {"id": operation_id}))["bulkOperationCancel"]
    assert late["userErrors"][0]["message"].endswith("when it is canceled")


# --- webhooks, nodes -------------------------------------------------------------------------------


async def test_webhook_subscriptions_are_stored_and_listed(api: Api, shop: ShopifySandbox) -> None:
    create = """mutation($sub: WebhookSubscriptionInput!) { webhookSubscriptionCreate(topic: ORDERS_UPDATED,
      webhookSubscription: $sub) { webhookSubscription { id topic uri format } userErrors { field message } } }"""
    made = await api.data(create, {"sub": {"uri": "https://hooks.example.com/shopify", "format": "JSON"}})
    sub = made["webhookSubscriptionCreate"]["webhookSubscription"]
    assert sub["topic"] == "ORDERS_UPDATED" and sub["uri"] == "https://hooks.example.com/shopify"
    again = await api.data(create, {"sub": {"callbackUrl": "https://hooks.example.com/shopify"}})
    assert again["webhookSubscriptionCreate"]["userErrors"][0]["message"].endswith("already been taken")
    listed = await api.data("{ webhookSubscriptions(first: 10) { nodes { id topic } } }")
    assert listed["webhookSubscriptions"]["nodes"] == [{"id": sub["id"], "topic": "ORDERS_UPDATED"}]
    assert [s.topic for s in shop.state.webhooks.all()] == ["ORDERS_UPDATED"]
    deleted = await api.data(
        "mutation($id: ID!) { webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId "
        "userErrors { message } } }",
        {"id": sub["id"]},
    )
    assert deleted["webhookSubscriptionDelete"]["deletedWebhookSubscriptionId"] == sub["id"]
    assert shop.state.webhooks.all() == []


async def test_nodes_resolve_every_rendered_type(api: Api, shop: ShopifySandbox) -> None:
    variant = shop.store.variants[0]
    ids = [
        "gid://shopify/Order/100001",
        "gid://shopify/Product/1000",
        f"gid://shopify/ProductVariant/{variant.id}",
        f"gid://shopify/InventoryItem/{variant.inventory_item_id}",
        "gid://shopify/Customer/5003",
        "gid://shopify/Location/7003",
        "gid://shopify/Order/1",
    ]
    data = await api.data("query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }", {"ids": ids})
    assert [n and n["__typename"] for n in data["nodes"]] == [
        "Order",
        "Product",
        "ProductVariant",
        "InventoryItem",
        "Customer",
        "Location",
        None,
    ]
    assert [n["id"] for n in data["nodes"][:-1]] == ids[:-1]
    unmodelled = await api.data(
        '{ order(id: "gid://shopify/Order/100001") { id risk { recommendation } '
        "merchantBusinessEntity { id } additionalFees { id } channelInformation { id } } }"
    )
    assert unmodelled["order"]["additionalFees"] == [] and unmodelled["order"]["channelInformation"] is None


# --- faults --------------------------------------------------------------------------------------


async def test_injected_faults_and_malformed_orders(api: Api, shop: ShopifySandbox) -> None:
    control = await api.client.post("/_sandbox/faults", json={"fail_next": 1, "throttle_next": 1})
    assert control.status_code == 200
    throttled = await api.post("{ shop { name } }")
    assert throttled.status_code == 429 and throttled.headers["Retry-After"]
    failed = await api.post("{ shop { name } }")
    assert failed.status_code == 503
    assert failed.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert (await api.post("{ shop { name } }")).status_code == 200
    report = (await api.client.get("/_sandbox/faults")).json()
    assert report["stats"]["injected_errors"] == 1 and report["stats"]["requests"] == 3

    broken = next(i for i in range(shop.store.orders_count) if shop.store.order(i).malformed)
    query = (
        f'{{ order(id: "gid://shopify/Order/{100_000 + broken}") {{ totalPriceSet {{ shopMoney {{ amount }} }} }} }}'
    )
    amount = (await api.data(query))["order"]["totalPriceSet"]["shopMoney"]["amount"]
    assert not is_amount(amount)
    await api.client.post("/_sandbox/faults", json={"malformed": False})
    healthy = (await api.data(query))["order"]["totalPriceSet"]["shopMoney"]["amount"]
    assert Decimal(healthy) == shop.store.order(broken).total


async def test_the_bucket_is_resized_and_drained_through_the_control_endpoint(api: Api, shop: ShopifySandbox) -> None:
    query = "{ customers(first: 30) { nodes { id email } } }"  # costs 32
    small = await api.client.post("/_sandbox/throttle", json={"maximumAvailable": 100, "restoreRate": 50})
    assert small.status_code == 200
    assert small.json() == {"maximumAvailable": 100.0, "currentlyAvailable": 100, "restoreRate": 50.0, "spent": 0.0}
    body = await api.gql(query)
    assert body["extensions"]["cost"]["throttleStatus"]["maximumAvailable"] == 100.0
    spent = (await api.client.get("/_sandbox/throttle")).json()["spent"]
    assert spent == body["extensions"]["cost"]["actualQueryCost"]  # charged the requested cost, refunded the rest

    drained = await api.client.post("/_sandbox/throttle", json={"currentlyAvailable": 0})
    assert drained.json()["currentlyAvailable"] == 0 and drained.json()["maximumAvailable"] == 100.0
    throttled = await api.gql(query)
    assert throttled["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert shop.injector.stats.over_limit == 1

    refused = await api.client.post("/_sandbox/throttle", json={"restoreRate": 0})
    assert refused.status_code == 400
    unknown = await api.client.post("/_sandbox/throttle", json={"bucket": 1})
    assert unknown.status_code == 400
    restored = (await api.client.delete("/_sandbox/throttle")).json()
    assert restored["maximumAvailable"] == 2000.0 and restored["restoreRate"] == 100.0
    assert restored["currentlyAvailable"] == 2000
