"""The sandbox stores' webhooks end to end: registration through each platform's real API, a change in
the store, a signed delivery over a real socket to a local receiver, retries with the same event,
and what repeated failure or deletion does to the registration.

The sandbox runs as `ledgerlink sandbox` runs, in its own process, with retry delays scaled down.
Signatures are checked the way a receiver checks them: Shopify's and WooCommerce's with hmac and
base64 here, BigCommerce's with the `standardwebhooks` package.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from standardwebhooks.webhooks import Webhook as StandardWebhook

from ledgerlink.sandbox.dataset import Store
from ledgerlink.sandbox.shopify import ShopifySandbox
from tests.conftest import ROOT, SPECS_DIR, TEST_DATA_DIR

pytestmark = pytest.mark.slow

TIME_SCALE = 0.0005  # first retries after ~30 ms; BigCommerce's 48 hours would still take 87 s
QUICK = 0.00002  # for the tests that run a whole retry schedule out (BigCommerce's in 3.5 s)
SHOPIFY_GRAPHQL = "/shopify/admin/api/2026-10/graphql.json"


# --- a webhook destination -------------------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Records every POST. A path under /fail/ answers 500, any other 200."""

    port: int = 0
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, outcome: str = "ok") -> str:
        return f"http://127.0.0.1:{self.port}/{outcome}/{uuid.uuid4().hex}"

    def at(self, url: str) -> list[Received]:
        path = url.split(f":{self.port}", 1)[1]
        with self.lock:
            return [r for r in self.received if r.path == path]

    def wait(self, url: str, count: int, timeout: float = 15) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(got := self.at(url)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(got)} of {count} deliveries arrived at {url}")
            time.sleep(0.02)
        return got

    def after(self, url: str, seconds: float) -> list[Received]:
        time.sleep(seconds)
        return self.at(url)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    sink = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            with sink.lock:
                sink.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(500 if self.path.startswith("/fail/") else 200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    sink.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield sink
    server.shutdown()


# --- the stores ------------------------------------------------------------------------------------------------


@dataclass
class Stores:
    base: str
    stores: dict[str, Any]
    http: httpx.Client

    def creds(self, provider: str) -> dict[str, Any]:
        return self.stores[provider]["credentials"]

    def control(self, provider: str, method: str, path: str, body: Any = None) -> Any:
        response = self.http.request(method, f"{self.base}/{provider}/_sandbox{path}", json=body)
        assert response.status_code < 300, response.text
        return response.json()

    def touch(self, provider: str, order_id: int, **changes: Any) -> Any:
        return self.control(provider, "POST", f"/orders/{order_id}/touch", changes)

    def time_scale(self, scale: float) -> None:
        self.control("shopify", "POST", "/webhooks/settings", {"time_scale": scale})

    def attempts(self, provider: str, at_least: int = 1, **filters: str) -> list[dict[str, Any]]:
        """The sandbox's attempt log, once it holds `at_least` entries (or 5 s have passed).

        A sender logs an attempt after the receiver has answered it, so a test that has just seen a
        delivery arrive may read the log a moment before that attempt is written.
        """
        deadline = time.monotonic() + 5
        while True:
            logged = self.http.get(f"{self.base}/{provider}/_sandbox/webhooks/deliveries", params=filters).json()[
                "deliveries"
            ]
            if len(logged) >= at_least or time.monotonic() > deadline:
                return logged
            time.sleep(0.02)

    # each platform's own API
    def shopify(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        token = {"X-Shopify-Access-Token": self.creds("shopify")["accessToken"]}
        response = self.http.post(
            f"{self.base}{SHOPIFY_GRAPHQL}", json={"query": query, "variables": variables or {}}, headers=token
        )
        body = response.json()
        assert response.status_code == 200 and "errors" not in body, body
        return body["data"]

    def woo(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        creds = self.creds("woocommerce")
        auth = (creds["consumerKey"], creds["consumerSecret"])
        return self.http.request(method, f"{self.base}/woocommerce/wp-json/wc/v3{path}", auth=auth, **kwargs)

    def bc(self, method: str, path: str, body: Any = None) -> httpx.Response:
        creds = self.creds("bigcommerce")
        url = f"{self.base}/bigcommerce/stores/{creds['storeHash']}{path}"
        return self.http.request(method, url, json=body, headers={"X-Auth-Token": creds["accessToken"]})


@pytest.fixture(scope="module")
def stores() -> Iterator[Stores]:
    log = TEST_DATA_DIR / "sandbox-webhooks.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    args = ["--port", "0", "--orders", "60", "--seed", "11", "--malformed-every", "0"]
    args += ["--providers", "shopify,woocommerce,bigcommerce"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "ledgerlink", "sandbox", *args, "--webhook-time-scale", str(TIME_SCALE)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=log.open("w"),
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise RuntimeError(f"the sandbox did not start: {log.read_text()[-3000:]}")
    announced = json.loads(line)
    base = announced["shopify"]["credentials"]["apiBaseUrl"].rsplit("/", 1)[0]
    with httpx.Client(timeout=20) as client:
        yield Stores(base, announced, client)
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def stores_quick(stores: Stores) -> Iterator[Stores]:
    """The same stores with a whole retry schedule run out within seconds."""
    stores.time_scale(QUICK)
    yield stores
    stores.time_scale(TIME_SCALE)


def b64_hmac(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


# --- Shopify ---------------------------------------------------------------------------------------------------

CREATE_SUBSCRIPTION = """mutation($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) {
    webhookSubscription { id legacyResourceId } userErrors { message } } }"""
DELETE_SUBSCRIPTION = """mutation($id: ID!) { webhookSubscriptionDelete(id: $id) {
  deletedWebhookSubscriptionId userErrors { message } } }"""


def shopify_subscribe(stores: Stores, topic: str, url: str) -> str:
    made = stores.shopify(CREATE_SUBSCRIPTION, {"topic": topic, "sub": {"uri": url}})["webhookSubscriptionCreate"]
    assert made["userErrors"] == []
    return str(made["webhookSubscription"]["id"])


def test_credentials_announce_the_signing_secrets(stores: Stores) -> None:
    assert stores.creds("shopify")["webhookSecret"]
    assert stores.creds("bigcommerce")["clientSecret"]


@pytest.mark.parametrize(
    "topic",
    [
        "orders/updated",
        "orders/cancelled",
        "refunds/create",
        "products/update",
        "customers/update",
        "inventory_levels/update",
    ],
)
def test_shopify_bodies_carry_every_field_of_shopifys_own_payload(topic: str) -> None:
    """Against the schemas of Shopify's 2026-01 webhook examples. They were derived from single examples
    (an empty `refunds`, a rate of 0, a null image), so only missing fields count here, not types."""
    shop = ShopifySandbox(Store(seed=7, orders_count=300, malformed_every=0))
    order = next(
        o for o in map(shop.store.order, range(300)) if o.refunds and any(line.fulfilled_quantity for line in o.lines)
    )
    ids = {"orders": order.id, "refunds": order.refunds[0].id, "products": 1001, "customers": 5003}
    ident = ids.get(topic.split("/")[0], shop.store.variants[0].inventory_item_id)
    schema = json.loads((SPECS_DIR / "shopify" / "webhook-schemas-2026-01" / f"{topic}.json").read_text())
    errors = Draft202012Validator(schema).iter_errors(shop.publisher.render(topic, ident))
    assert [f"{list(e.absolute_path)}: {e.message}" for e in errors if e.validator == "required"] == []


def test_shopify_order_update_is_posted_signed_with_the_app_secret(stores: Stores, receiver: Receiver) -> None:
    url = receiver.url()
    sub = shopify_subscribe(stores, "ORDERS_UPDATED", url)
    touched = stores.touch("shopify", 100_003, note="gift wrap")
    [delivery] = receiver.wait(url, 1)
    secret = stores.creds("shopify")["webhookSecret"]
    assert hmac.compare_digest(delivery.headers["x-shopify-hmac-sha256"], b64_hmac(secret, delivery.body))
    assert delivery.headers["x-shopify-topic"] == "orders/updated"
    assert delivery.headers["x-shopify-shop-domain"] == stores.creds("shopify")["shopDomain"]
    assert delivery.headers["x-shopify-api-version"] == "2026-10"
    assert delivery.headers["x-shopify-webhook-id"] and delivery.headers["x-shopify-event-id"]
    assert datetime.fromisoformat(delivery.headers["x-shopify-triggered-at"]) <= datetime.now(UTC)
    order = delivery.json()
    assert order["id"] == 100_003 and order["admin_graphql_api_id"] == touched["id"]
    assert order["note"] == "gift wrap" and order["line_items"] and order["total_price_set"]["shop_money"]
    assert datetime.fromisoformat(order["updated_at"]) == datetime.fromisoformat(touched["updatedAt"])
    [attempt] = stores.attempts("shopify", subscription=sub.rsplit("/", 1)[1])
    assert attempt["status"] == 200 and attempt["attempt"] == 1 and attempt["url"] == url
    stores.shopify(DELETE_SUBSCRIPTION, {"id": sub})


def test_shopify_inventory_change_fires_inventory_levels_update(stores: Stores, receiver: Receiver) -> None:
    url = receiver.url()
    sub = shopify_subscribe(stores, "INVENTORY_LEVELS_UPDATE", url)
    item, location = "gid://shopify/InventoryItem/540042", "gid://shopify/Location/7001"
    entry = {"inventoryItemId": item, "locationId": location, "quantity": 33, "changeFromQuantity": None}
    stores.shopify(
        """mutation($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input)
        @idempotent(key: "webhook-test") { userErrors { message } } }""",
        {"input": {"name": "available", "reason": "correction", "quantities": [entry]}},
    )
    [delivery] = receiver.wait(url, 1)
    assert delivery.headers["x-shopify-topic"] == "inventory_levels/update"
    level = delivery.json()
    assert (level["inventory_item_id"], level["location_id"], level["available"]) == (540042, 7001, 33)
    stores.shopify(DELETE_SUBSCRIPTION, {"id": sub})


def test_shopify_retries_with_the_same_event_then_removes_the_subscription(
    stores_quick: Stores, receiver: Receiver
) -> None:
    url = receiver.url("fail")
    shopify_subscribe(stores_quick, "ORDERS_UPDATED", url)
    stores_quick.touch("shopify", 100_004)
    deliveries = receiver.wait(url, 9)  # the first attempt and 8 retries
    assert len({d.headers["x-shopify-event-id"] for d in deliveries}) == 1
    assert len({d.headers["x-shopify-webhook-id"] for d in deliveries}) == 1
    assert len({d.body for d in deliveries}) == 1  # retries resend the body of the moment of the event
    listed = stores_quick.shopify("{ webhookSubscriptions(first: 50) { nodes { uri } } }")
    deadline = time.monotonic() + 5
    while any(n["uri"] == url for n in listed["webhookSubscriptions"]["nodes"]) and time.monotonic() < deadline:
        listed = stores_quick.shopify("{ webhookSubscriptions(first: 50) { nodes { uri } } }")
    assert all(n["uri"] != url for n in listed["webhookSubscriptions"]["nodes"])
    assert len(receiver.after(url, 0.3)) == 9


def test_shopify_deleting_the_subscription_stops_deliveries(stores: Stores, receiver: Receiver) -> None:
    url = receiver.url("fail")
    sub = shopify_subscribe(stores, "ORDERS_UPDATED", url)
    stores.touch("shopify", 100_005)
    receiver.wait(url, 1)
    stores.shopify(DELETE_SUBSCRIPTION, {"id": sub})
    seen = len(receiver.after(url, 0.2))  # a retry already on the wire when the subscription went still lands
    stores.touch("shopify", 100_005)
    assert len(receiver.after(url, 0.5)) == seen  # neither the pending retries nor the new event


def test_shopify_trigger_fires_an_event_for_an_existing_resource(stores: Stores, receiver: Receiver) -> None:
    url = receiver.url()
    sub = shopify_subscribe(stores, "PRODUCTS_UPDATE", url)
    fired = stores.control("shopify", "POST", "/webhooks/trigger", {"topic": "products/update", "id": 1002})
    assert fired["subscriptions"] == [sub.rsplit("/", 1)[1]]
    [delivery] = receiver.wait(url, 1)
    assert delivery.json()["id"] == 1002 and delivery.headers["x-shopify-event-id"] == fired["event_id"]
    missing = stores.http.post(
        f"{stores.base}/shopify/_sandbox/webhooks/trigger", json={"topic": "orders/updated", "id": 9}
    )
    assert missing.status_code == 404
    stores.shopify(DELETE_SUBSCRIPTION, {"id": sub})


# --- WooCommerce -----------------------------------------------------------------------------------------------


def woo_subscribe(stores: Stores, topic: str, url: str, **extra: Any) -> dict[str, Any]:
    response = stores.woo("POST", "/webhooks", json={"topic": topic, "delivery_url": url, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def test_woocommerce_create_pings_then_order_update_is_signed_with_the_webhook_secret(
    stores: Stores, receiver: Receiver
) -> None:
    url = receiver.url()
    webhook = woo_subscribe(stores, "order.updated", url, name="ledgerlink")
    assert webhook["status"] == "active" and webhook["resource"] == "order" and webhook["event"] == "updated"
    assert webhook["hooks"] == [
        "woocommerce_update_order",
        "woocommerce_order_refunded",
        "woocommerce_delete_order_refund",
    ]
    assert len(webhook["secret"]) == 50 and webhook["date_created_gmt"] and webhook["_links"]["self"]
    [ping] = receiver.at(url)  # sent before the create was answered
    assert ping.body == f"webhook_id={webhook['id']}".encode()
    assert ping.headers["content-type"] == "application/x-www-form-urlencoded"
    assert "x-wc-webhook-signature" not in ping.headers

    stores.touch("woocommerce", 100_006, status="completed")
    _, delivery = receiver.wait(url, 2)
    assert hmac.compare_digest(delivery.headers["x-wc-webhook-signature"], b64_hmac(webhook["secret"], delivery.body))
    site = stores.creds("woocommerce")["siteUrl"]
    assert delivery.headers["x-wc-webhook-source"] == f"{site}/"
    assert delivery.headers["x-wc-webhook-topic"] == "order.updated"
    assert delivery.headers["x-wc-webhook-resource"] == "order" and delivery.headers["x-wc-webhook-event"] == "updated"
    assert delivery.headers["x-wc-webhook-id"] == str(webhook["id"]) and delivery.headers["x-wc-webhook-delivery-id"]
    assert delivery.json() == stores.woo("GET", "/orders/100006").json()  # the resource as GET renders it
    assert delivery.json()["status"] == "completed"
    view = stores.woo("GET", f"/webhooks/{webhook['id']}").json()
    assert "secret" not in view and view["delivery_url"] == url
    assert stores.woo("DELETE", f"/webhooks/{webhook['id']}", params={"force": "true"}).status_code == 200


def test_woocommerce_product_stock_update_fires_product_updated(stores: Stores, receiver: Receiver) -> None:
    url = receiver.url()
    webhook = woo_subscribe(stores, "product.updated", url)
    simple = next(p for p in stores.woo("GET", "/products", params={"per_page": 50}).json() if p["type"] == "simple")
    assert stores.woo("PUT", f"/products/{simple['id']}", json={"stock_quantity": 12}).status_code == 200
    _ping, delivery = receiver.wait(url, 2)
    assert delivery.json()["id"] == simple["id"] and delivery.json()["stock_quantity"] == 12
    stores.woo("DELETE", f"/webhooks/{webhook['id']}", params={"force": "true"})


def test_woocommerce_retries_then_disables_after_consecutive_failures(stores_quick: Stores, receiver: Receiver) -> None:
    url = receiver.url("fail")
    webhook = woo_subscribe(stores_quick, "order.updated", url)
    stores_quick.touch("woocommerce", 100_007)
    first = receiver.wait(url, 1 + 5)[1:]  # the ping, then the first attempt and 4 retries
    assert len({d.body for d in first}) == 1
    assert len({d.headers["x-wc-webhook-delivery-id"] for d in first}) == 5  # new on every attempt
    assert stores_quick.woo("GET", f"/webhooks/{webhook['id']}").json()["status"] == "active"
    stores_quick.touch("woocommerce", 100_007)
    # WC_Webhook::failed_delivery disables once the count of consecutive failures is past 5: the 7th.
    receiver.wait(url, 1 + 7)
    assert len(receiver.after(url, 0.5)) == 1 + 7
    assert stores_quick.woo("GET", f"/webhooks/{webhook['id']}").json()["status"] == "disabled"
    stores_quick.touch("woocommerce", 100_007)
    assert len(receiver.after(url, 0.3)) == 1 + 7
    stores_quick.woo("DELETE", f"/webhooks/{webhook['id']}", params={"force": "true"})


def test_woocommerce_webhooks_list_pages_and_delete_needs_force(stores: Stores, receiver: Receiver) -> None:
    made = [woo_subscribe(stores, "customer.updated", receiver.url())["id"] for _ in range(3)]
    page = stores.woo("GET", "/webhooks", params={"per_page": 2, "page": 1, "orderby": "id", "order": "asc"})
    total = int(page.headers["X-WP-Total"])
    assert (
        total >= 3 and page.headers["X-WP-TotalPages"] == str(-(-total // 2)) and 'rel="next"' in page.headers["Link"]
    )
    assert len(page.json()) == 2 and all("secret" not in w for w in page.json())
    refused = stores.woo("DELETE", f"/webhooks/{made[0]}")
    assert refused.status_code == 501 and refused.json()["code"] == "woocommerce_rest_trash_not_supported"
    paused = stores.woo("PUT", f"/webhooks/{made[0]}", json={"status": "paused"})
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    assert (
        stores.woo("POST", "/webhooks", json={"topic": "order.nope", "delivery_url": receiver.url()}).status_code == 400
    )
    for ident in made:
        deleted = stores.woo("DELETE", f"/webhooks/{ident}", params={"force": "true"})
        assert deleted.status_code == 200 and deleted.json()["id"] == ident
    assert stores.woo("GET", f"/webhooks/{made[0]}").status_code == 400  # "ID is invalid.", as WooCommerce answers


def test_woocommerce_deleting_the_webhook_stops_deliveries(stores: Stores, receiver: Receiver) -> None:
    url = receiver.url()
    webhook = woo_subscribe(stores, "order.updated", url)
    stores.woo("DELETE", f"/webhooks/{webhook['id']}", params={"force": "true"})
    stores.touch("woocommerce", 100_008)
    assert len(receiver.after(url, 0.5)) == 1  # the ping only


# --- BigCommerce -----------------------------------------------------------------------------------------------


def bc_subscribe(stores: Stores, scope: str, url: str, **extra: Any) -> dict[str, Any]:
    response = stores.bc("POST", "/v2/hooks", {"scope": scope, "destination": url, "is_active": True, **extra})
    assert response.status_code == 200, response.text
    return response.json()


def verify_standard(stores: Stores, delivery: Received) -> Any:
    key = base64.b64encode(stores.creds("bigcommerce")["clientSecret"].encode()).decode()
    return StandardWebhook(key).verify(delivery.body, delivery.headers)


def test_bigcommerce_hook_gets_a_light_payload_signed_per_standard_webhooks(stores: Stores, receiver: Receiver) -> None:
    url = receiver.url()
    hook = bc_subscribe(stores, "store/order/updated", url, headers={"X-Hook-Secret": "s3cret"})
    store_hash = stores.creds("bigcommerce")["storeHash"]
    assert set(hook) == {
        "id",
        "client_id",
        "store_hash",
        "scope",
        "destination",
        "headers",
        "is_active",
        "created_at",
        "updated_at",
    }
    assert hook["store_hash"] == store_hash and hook["headers"] == {"X-Hook-Secret": "s3cret"}
    stores.touch("bigcommerce", 100_009, note="ring the bell")
    [delivery] = receiver.wait(url, 1)
    payload = verify_standard(stores, delivery)
    assert payload["scope"] == "store/order/updated" and payload["data"] == {"type": "order", "id": 100_009}
    assert payload["producer"] == f"stores/{store_hash}" and isinstance(payload["store_id"], str)
    assert len(payload["hash"]) == 40 and abs(payload["created_at"] - time.time()) < 60
    assert delivery.headers["x-hook-secret"] == "s3cret"
    assert stores.bc("DELETE", f"/v2/hooks/{hook['id']}").status_code == 200


def test_bigcommerce_status_change_fires_status_updated(stores: Stores, receiver: Receiver) -> None:
    url = receiver.url()
    hook = bc_subscribe(stores, "store/order/*", url)
    order_id = next(i for i in range(100_010, 100_060) if stores.bc("GET", f"/v2/orders/{i}").json()["status_id"] != 5)
    before = stores.bc("GET", f"/v2/orders/{order_id}").json()["status_id"]
    stores.touch("bigcommerce", order_id, cancelled_at=datetime.now(UTC).isoformat())
    payloads = [verify_standard(stores, d) for d in receiver.wait(url, 2)]
    by_scope = {p["scope"]: p for p in payloads}
    assert set(by_scope) == {"store/order/updated", "store/order/statusUpdated"}
    status = by_scope["store/order/statusUpdated"]["data"]["status"]
    assert status == {"previous_status_id": before, "new_status_id": 5}
    assert len({p["hash"] for p in payloads}) == 2  # two events
    stores.bc("DELETE", f"/v2/hooks/{hook['id']}")


def test_bigcommerce_inventory_adjustment_fires_inventory_scopes(stores: Stores, receiver: Receiver) -> None:
    url = receiver.url()
    hook = bc_subscribe(stores, "store/sku/inventory/updated", url)
    variant_id = stores.bc("GET", "/v3/inventory/items?limit=1").json()["data"][0]["identity"]["variant_id"]
    item = {"location_id": 7001, "variant_id": variant_id, "quantity": 3}
    adjusted = stores.bc("POST", "/v3/inventory/adjustments/relative", {"items": [item]})
    assert adjusted.status_code == 200, adjusted.text
    [delivery] = receiver.wait(url, 1)
    data = verify_standard(stores, delivery)["data"]
    assert data["type"] == "sku" and data["inventory"]["variant_id"] == variant_id
    assert data["inventory"]["method"] == "relative" and data["inventory"]["value"] == 3
    stores.bc("DELETE", f"/v2/hooks/{hook['id']}")


def test_bigcommerce_retries_with_the_same_hash_then_deactivates_the_hook(
    stores_quick: Stores, receiver: Receiver
) -> None:
    url = receiver.url("fail")
    hook = bc_subscribe(stores_quick, "store/order/updated", url)
    stores_quick.touch("bigcommerce", 100_011)
    deliveries = receiver.wait(url, 13, timeout=30)  # the first attempt and BigCommerce's 12 retries
    payloads = [verify_standard(stores_quick, d) for d in deliveries]  # each attempt signed afresh, still valid
    assert len({p["hash"] for p in payloads}) == 1
    assert len({d.headers["webhook-id"] for d in deliveries}) == 1
    deadline = time.monotonic() + 5
    while stores_quick.bc("GET", f"/v2/hooks/{hook['id']}").json()["is_active"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stores_quick.bc("GET", f"/v2/hooks/{hook['id']}").json()["is_active"] is False
    attempts = stores_quick.attempts("bigcommerce", at_least=13, subscription=str(hook["id"]))
    assert [a["attempt"] for a in attempts] == list(range(1, 14)) and attempts[-1]["final"]
    assert len(receiver.after(url, 0.3)) == 13
    stores_quick.bc("DELETE", f"/v2/hooks/{hook['id']}")


def test_bigcommerce_deleting_the_hook_stops_deliveries_and_trigger_checks_it(
    stores: Stores, receiver: Receiver
) -> None:
    url = receiver.url()
    hook = bc_subscribe(stores, "store/order/created", url)
    fired = stores.control("bigcommerce", "POST", "/webhooks/trigger", {"scope": "store/order/created", "id": 100_012})
    [delivery] = receiver.wait(url, 1)
    assert verify_standard(stores, delivery)["hash"] == fired["event_id"]
    [attempt] = stores.attempts("bigcommerce", event_id=fired["event_id"])
    assert attempt["status"] == 200 and attempt["latency_ms"] >= 0
    assert stores.bc("DELETE", f"/v2/hooks/{hook['id']}").status_code == 200
    stores.control("bigcommerce", "POST", "/webhooks/trigger", {"scope": "store/order/created", "id": 100_012})
    assert len(receiver.after(url, 0.5)) == 1
