"""The WooCommerce sandbox: WooCommerce REST API v3 paths, auth, pagination, filters, money, faults, throttle."""

from __future__ import annotations

import random
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import uvicorn

from ledgerlink.connectors.woocommerce.credentials import WooCommerceCredentials
from ledgerlink.sandbox.dataset import Store
from ledgerlink.sandbox.server import build_app
from ledgerlink.sandbox.woocommerce import WooCommerceSandbox
from ledgerlink.sandbox.woocommerce.limiter import TokenBucket
from ledgerlink.sandbox.woocommerce.order_finder import OrderFilter, facets_of, haystack, modified
from ledgerlink.sandbox.woocommerce.orders import status_changes, woo_status
from ledgerlink.sandbox.woocommerce.wire import DateRange, to_second

API = "/wp-json/wc/v3"
SEED = 7


def make_sandbox(orders: int = 300, **store: Any) -> WooCommerceSandbox:
    sandbox = WooCommerceSandbox(Store(seed=SEED, orders_count=orders, **store))
    sandbox.injector.faults.rate_limits = False  # tests that want the throttle switch it back on
    return sandbox


@asynccontextmanager
async def connect(sandbox: WooCommerceSandbox, authenticated: bool = True) -> AsyncIterator[httpx.AsyncClient]:
    auth = (sandbox.consumer_key, sandbox.consumer_secret) if authenticated else None
    transport = httpx.ASGITransport(app=sandbox.asgi())
    async with httpx.AsyncClient(transport=transport, base_url="https://shop.example", auth=auth) as client:
        yield client


@pytest.fixture
def woo() -> WooCommerceSandbox:
    return make_sandbox()


@pytest.fixture
async def woo_client(woo: WooCommerceSandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with connect(woo) as client:
        yield client


async def all_pages(client: httpx.AsyncClient, path: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    response = await client.get(path, params={"per_page": 100, **params})
    while True:
        assert response.status_code == 200, response.text
        items += response.json()
        if "next" not in response.links:
            return items
        response = await client.get(response.links["next"]["url"])


# -- credentials and auth ------------------------------------------------------------------------


def test_credentials_are_what_setup_accepts_and_stable_per_seed() -> None:
    sandbox = make_sandbox()
    creds = sandbox.credentials("http://127.0.0.1:8123/woocommerce")
    assert set(creds) == {"siteUrl", "consumerKey", "consumerSecret", "apiBaseUrl"}
    assert creds["siteUrl"] == creds["apiBaseUrl"] == "http://127.0.0.1:8123/woocommerce"
    assert re.fullmatch(r"ck_[0-9a-f]{40}", creds["consumerKey"])
    assert re.fullmatch(r"cs_[0-9a-f]{40}", creds["consumerSecret"])
    WooCommerceCredentials.model_validate(creds)
    assert make_sandbox().credentials("x") == sandbox.credentials("x")
    assert WooCommerceSandbox(Store(seed=SEED + 1, orders_count=1)).consumer_key != sandbox.consumer_key


async def test_auth_is_refused_with_woocommerce_error_bodies(woo: WooCommerceSandbox) -> None:
    async with connect(woo, authenticated=False) as anonymous:
        listing = await anonymous.get(f"{API}/orders")
        single = await anonymous.get(f"{API}/orders/100001")
        edit = await anonymous.put(f"{API}/products/1002", json={"stock_quantity": 1})
        wrong_secret = await anonymous.get(f"{API}/orders", auth=(woo.consumer_key, "cs_" + "0" * 40))
        unknown_key = await anonymous.get(f"{API}/orders", auth=("ck_" + "0" * 40, woo.consumer_secret))
        by_query = await anonymous.get(
            f"{API}/orders", params={"consumer_key": woo.consumer_key, "consumer_secret": woo.consumer_secret}
        )
        by_basic = await anonymous.get(f"{API}/orders", auth=(woo.consumer_key, woo.consumer_secret))
    assert listing.status_code == 401
    assert listing.json() == {
        "code": "woocommerce_rest_cannot_view",
        "message": "Sorry, you cannot list resources.",
        "data": {"status": 401},
    }
    assert single.json()["message"] == "Sorry, you cannot view this resource."
    assert (edit.status_code, edit.json()["code"]) == (401, "woocommerce_rest_cannot_edit")
    assert wrong_secret.status_code == 401
    assert wrong_secret.json() == {
        "code": "woocommerce_rest_authentication_error",
        "message": "Consumer secret is invalid.",
        "data": {"status": 401},
    }
    assert (unknown_key.status_code, unknown_key.json()["code"]) == (401, "woocommerce_rest_cannot_view")
    assert by_query.status_code == by_basic.status_code == 200
    assert woo.catalog.stock_quantity(woo.store.products[2].variants[0]) != 1  # the refused PUT changed nothing


# -- pagination and parameters -------------------------------------------------------------------


async def test_pagination_headers_and_links_walk_every_order_once(woo_client: httpx.AsyncClient) -> None:
    first = await woo_client.get(f"{API}/orders", params={"per_page": 70, "orderby": "id", "order": "asc"})
    assert first.headers["X-WP-Total"] == "300"
    assert first.headers["X-WP-TotalPages"] == "5"
    assert set(first.links) == {"next"}
    seen, response, pages = [], first, 0
    while True:
        pages += 1
        assert response.headers["X-WP-Total"] == "300"
        seen += [order["id"] for order in response.json()]
        if "next" not in response.links:
            break
        next_url = response.links["next"]["url"]
        assert next_url.startswith("https://shop.example/wp-json/wc/v3/orders?")
        assert "per_page=70" in next_url and "orderby=id" in next_url
        response = await woo_client.get(next_url)
        assert "prev" in response.links
    assert pages == 5
    assert seen == list(range(100_000, 100_300))
    assert response.links["prev"]["url"].endswith("page=4")
    beyond = await woo_client.get(f"{API}/orders", params={"per_page": 70, "page": 9})
    assert beyond.status_code == 200 and beyond.json() == []
    assert beyond.headers["X-WP-Total"] == "300"


async def test_default_order_is_newest_first(woo_client: httpx.AsyncClient) -> None:
    response = await woo_client.get(f"{API}/orders")
    assert [order["id"] for order in response.json()] == list(range(100_299, 100_289, -1))


async def test_invalid_parameters_answer_rest_invalid_param(woo_client: httpx.AsyncClient) -> None:
    too_many = await woo_client.get(f"{API}/orders", params={"per_page": 101})
    assert too_many.status_code == 400
    assert too_many.json() == {
        "code": "rest_invalid_param",
        "message": "Invalid parameter(s): per_page",
        "data": {
            "status": 400,
            "params": {"per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)"},
            "details": {
                "per_page": {
                    "code": "rest_out_of_bounds",
                    "data": None,
                    "message": "per_page must be between 1 (inclusive) and 100 (inclusive)",
                }
            },
        },
    }
    several = await woo_client.get(
        f"{API}/orders", params={"page": "0", "status": "shipped", "modified_after": "yesterday", "orderby": "total"}
    )
    assert several.status_code == 400
    assert set(several.json()["data"]["params"]) == {"page", "status", "modified_after", "orderby"}
    assert several.json()["data"]["params"]["modified_after"] == "Invalid date."
    include = await woo_client.get(f"{API}/orders", params={"orderby": "include"})
    assert include.json()["code"] == "rest_orderby_include_missing_include"
    products = await woo_client.get(f"{API}/products", params={"per_page": "lots"})
    assert products.json()["data"]["params"] == {"per_page": "per_page is not of type integer."}


async def test_unknown_ids_and_routes_answer_404(woo_client: httpx.AsyncClient) -> None:
    expected = {
        f"{API}/orders/5": "woocommerce_rest_shop_order_invalid_id",
        f"{API}/orders/5/refunds": "woocommerce_rest_invalid_order_id",
        f"{API}/products/5": "woocommerce_rest_product_invalid_id",
        f"{API}/products/1000/variations/40005": "woocommerce_rest_product_variation_invalid_id",
        f"{API}/customers/5": "woocommerce_rest_invalid_id",
        f"{API}/coupons": "rest_no_route",
    }
    for path, code in expected.items():
        response = await woo_client.get(path)
        assert (response.status_code, response.json()["code"]) == (404, code), path


# -- orders --------------------------------------------------------------------------------------


async def test_modified_after_returns_only_newer_orders_including_a_touched_one(woo: WooCommerceSandbox) -> None:
    async with connect(woo) as client:
        cutoff_order = (await client.get(f"{API}/orders/100250")).json()
        touched = await client.post("/_sandbox/orders/100010/touch", json={"status": "cancelled"})
        assert touched.status_code == 200 and touched.json()["status"] == "cancelled"
        gmt = await all_pages(
            client,
            f"{API}/orders",
            modified_after=cutoff_order["date_modified_gmt"],
            dates_are_gmt="true",
            orderby="modified",
            order="asc",
        )
        local = await all_pages(
            client, f"{API}/orders", modified_after=cutoff_order["date_modified"], orderby="modified", order="asc"
        )
        with_offset = await all_pages(
            client,
            f"{API}/orders",
            orderby="modified",
            order="asc",
            modified_after=cutoff_order["date_modified_gmt"] + "+00:00",
        )
    expected = [*range(100_251, 100_300), 100_010]
    assert [o["id"] for o in gmt] == [o["id"] for o in local] == [o["id"] for o in with_offset] == expected
    assert all(o["date_modified_gmt"] > cutoff_order["date_modified_gmt"] for o in gmt)
    assert gmt[-1]["status"] == "cancelled"
    assert woo.store.order_by_id(100_010).cancelled_at is not None


async def test_status_and_search_filters(woo: WooCommerceSandbox) -> None:
    async with connect(woo) as client:
        await client.post("/_sandbox/orders/100003/touch", json={"status": "refunded"})
        refunded = await all_pages(client, f"{API}/orders", status="refunded,cancelled")
        guests = await all_pages(client, f"{API}/orders", customer=0)
        searched = await all_pages(client, f"{API}/orders", search="guest.")
        bad_touch = await client.post("/_sandbox/orders/100003/touch", json={"status": "shipped"})
    generated = [woo.store.order(i) for i in range(300)]
    assert {o["id"] for o in refunded} == {o.id for o in generated if woo_status(o) in ("refunded", "cancelled")}
    assert 100_003 in {o["id"] for o in refunded}
    assert {o["id"] for o in guests} == {o.id for o in generated if o.customer_id is None}
    assert guests and {o["id"] for o in searched} == {o["id"] for o in guests}
    assert all(o["customer_id"] == 0 for o in guests)
    assert bad_touch.status_code == 400 and bad_touch.json()["code"] == "rest_invalid_param"


def total_of(items: list[dict[str, Any]], field: str) -> Decimal:
    return sum((Decimal(item[field]) for item in items), Decimal(0))


def assert_consistent(order: dict[str, Any], decimals: int) -> None:
    lines, amount = order["line_items"], {k: Decimal(v) for k, v in order.items() if k.endswith(("_total", "_tax"))}
    line_totals = total_of(lines, "total")
    shipping = amount["shipping_total"] + total_of(order["fee_lines"], "total")
    assert line_totals + shipping + amount["total_tax"] == Decimal(order["total"])
    assert total_of(lines, "subtotal") - amount["discount_total"] == line_totals
    assert total_of(order["coupon_lines"], "discount") == amount["discount_total"]
    assert total_of(lines, "total_tax") == amount["cart_tax"] == Decimal(order["tax_lines"][0]["tax_total"])
    assert amount["cart_tax"] + amount["shipping_tax"] == amount["total_tax"]
    for text in (order["total"], order["total_tax"], order["shipping_total"], *(line["total"] for line in lines)):
        assert len(text.partition(".")[2]) == decimals, text


async def test_order_totals_add_up_in_the_orders_own_currency() -> None:
    woo = make_sandbox(orders=1200)
    async with connect(woo) as client:
        orders = await all_pages(client, f"{API}/orders", orderby="id", order="asc", per_page=100)
    assert len(orders) == 1200
    currencies, couponed = set(), 0
    for order in orders:
        source = woo.store.order_by_id(order["id"])
        assert source is not None
        if source.malformed:
            continue
        assert order["currency"] == source.presentment_currency
        assert_consistent(order, source.presentment_decimals)
        meta = {m["key"]: m["value"] for m in order["meta_data"]}
        assert meta["_shop_currency"] == "USD" and Decimal(meta["_exchange_rate"]) == source.exchange_rate
        assert isinstance(order["number"], str) and re.fullmatch(
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", order["date_created"]
        )
        currencies.add(order["currency"])
        couponed += bool(order["coupon_lines"])
    assert {"USD", "JPY", "KWD"} <= currencies
    assert couponed > 10


async def test_malformed_orders_are_broken_deterministically_and_can_be_switched_off() -> None:
    woo = make_sandbox(orders=40, malformed_every=5)
    malformed_ids = [o.id for o in map(woo.store.order, range(40)) if o.malformed]
    async with connect(woo) as client:
        first = {o["id"]: o for o in await all_pages(client, f"{API}/orders")}
        again = {i: (await client.get(f"{API}/orders/{i}")).json() for i in malformed_ids}
        await client.post("/_sandbox/faults", json={"malformed": False})
        healthy = {i: (await client.get(f"{API}/orders/{i}")).json() for i in malformed_ids}

    def breakage(order: dict[str, Any]) -> str | None:
        line = order["line_items"][0]
        if not isinstance(line["quantity"], int):
            return "quantity"
        if line["total"] == "NaN":
            return "nan"
        if "date_modified_gmt" not in order:
            return "gmt"
        return "billing" if not isinstance(order["billing"], dict) else None

    kinds = [breakage(first[i]) for i in malformed_ids]
    assert None not in kinds and set(kinds) == {"quantity", "nan", "gmt", "billing"}
    assert all(first[i] == again[i] for i in malformed_ids)
    assert all(breakage(o) is None for i, o in first.items() if i not in malformed_ids)
    assert all(breakage(o) is None for o in healthy.values())


async def test_refunds_endpoint_matches_the_orders_refund_summary(
    woo: WooCommerceSandbox, woo_client: httpx.AsyncClient
) -> None:
    refunded = next(o for o in map(woo.store.order, range(300)) if o.refunds)
    response = await woo_client.get(f"{API}/orders/{refunded.id}/refunds")
    order = (await woo_client.get(f"{API}/orders/{refunded.id}")).json()
    assert response.status_code == 200 and response.headers["X-WP-Total"] == str(len(refunded.refunds))
    refund = response.json()[0]
    assert refund["id"] == refunded.refunds[0].id and refund["reason"] == "Customer return"
    assert Decimal(refund["amount"]) > 0
    assert order["refunds"] == [{"id": refund["id"], "reason": refund["reason"], "total": f"-{refund['amount']}"}]
    line = refund["line_items"][0]
    assert line["quantity"] < 0 and Decimal(line["total"]) < 0 and Decimal(line["total_tax"]) <= 0
    assert Decimal(line["total"]) + Decimal(line["total_tax"]) == -Decimal(refund["amount"])
    assert {"key": "_refunded_item_id", "value": str(refunded.lines[0].id)}.items() <= line["meta_data"][0].items()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", refund["date_created_gmt"])


async def test_touch_reflects_status_back_into_the_dataset(
    woo: WooCommerceSandbox, woo_client: httpx.AsyncClient
) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    response = await woo_client.post("/_sandbox/orders/100020/touch", json={"status": "completed"})
    order = woo.store.order_by_id(100_020)
    assert order is not None and response.json()["status"] == "completed" == woo_status(order)
    assert order.fulfillment_status == "fulfilled" and all(li.fulfilled_quantity == li.quantity for li in order.lines)
    assert datetime.fromisoformat(response.json()["date_modified_gmt"]).replace(tzinfo=UTC) >= before.replace(
        microsecond=0
    )
    assert response.json()["date_completed_gmt"] == response.json()["date_modified_gmt"]
    plain = await woo_client.post("/_sandbox/orders/100021/touch")
    assert plain.status_code == 200 and plain.json()["id"] == 100_021
    assert (await woo_client.post("/_sandbox/orders/99/touch")).status_code == 404


def test_order_finder_agrees_with_a_naive_scan() -> None:
    """Index arithmetic plus the overlay must give what filtering and sorting every order gives."""
    store = Store(seed=3, orders_count=250)
    rnd = random.Random(5)
    for n in range(20):
        order = store.order(rnd.randrange(250))
        at = (
            datetime.now(UTC) + timedelta(seconds=n)
            if n % 2
            else store.start + timedelta(minutes=rnd.randrange(250 * 7), seconds=rnd.randrange(60))
        )
        changes = status_changes(order, rnd.choice(["pending", "completed", "cancelled"]), at) if n % 3 == 0 else {}
        store.touch_order(order.id, at=at, **changes)
    woo = WooCommerceSandbox(store)
    everything = [store.order(i) for i in range(250)]

    def naive(f: OrderFilter) -> list[int]:
        found = [
            o
            for o in everything
            if f.dates.admits(o.created_at, o.updated_at)
            and o.id not in f.exclude
            and (not f.include or o.id in f.include)
            and (f.statuses is None or facets_of(o).status in f.statuses)
            and (not f.search or f.search.casefold() in haystack(o))
        ]
        key = (lambda o: (modified(o), o.id)) if f.orderby == "modified" else (lambda o: (o.id,))
        return [o.id for o in sorted(found, key=key, reverse=f.descending)]

    def moment() -> datetime | None:
        return to_second(store.start + timedelta(minutes=rnd.randrange(-10, 250 * 7 + 10), seconds=rnd.randrange(60)))

    for _ in range(400):
        f = OrderFilter(
            dates=DateRange(*(moment() if rnd.random() < 0.3 else None for _ in range(4))),
            statuses=frozenset({"completed", "processing"}) if rnd.random() < 0.2 else None,
            include=tuple(rnd.sample(range(100_000, 100_250), 40)) if rnd.random() < 0.15 else (),
            exclude=frozenset(rnd.sample(range(100_000, 100_250), 30)) if rnd.random() < 0.2 else frozenset(),
            search="müller" if rnd.random() < 0.05 else None,
            orderby=rnd.choice(["date", "id", "modified"]),
            descending=rnd.random() < 0.5,
        )
        start, count = rnd.randrange(60), rnd.choice([1, 10, 100])
        found, total = woo.finder.find(f, start, count)
        expected = naive(f)
        assert (total, [o.id for o in found]) == (len(expected), expected[start : start + count]), f


async def test_a_page_of_100_orders_from_100000_is_fast() -> None:
    woo = make_sandbox(orders=100_000)
    for index in range(0, 100_000, 1000):
        woo.store.touch_order(100_000 + index)
    async with connect(woo) as client:
        for params in (
            {},
            {"page": 700},
            {
                "orderby": "modified",
                "order": "asc",
                "dates_are_gmt": "true",
                "modified_after": "2024-09-01T00:00:00",
                "page": 40,
            },
        ):
            started = time.perf_counter()
            response = await client.get(f"{API}/orders", params={"per_page": 100, **params})
            elapsed = time.perf_counter() - started
            assert response.status_code == 200 and len(response.json()) == 100
            assert elapsed < 0.5, (params, elapsed)


# -- products, variations, customers, system status ----------------------------------------------


async def test_stock_update_via_put_is_visible_in_get(woo: WooCommerceSandbox, woo_client: httpx.AsyncClient) -> None:
    simple = await woo_client.get(f"{API}/products/1002")
    assert simple.json()["type"] == "simple" and simple.json()["manage_stock"] is True
    put = await woo_client.put(f"{API}/products/1002", json={"stock_quantity": 77, "regular_price": "19.50"})
    assert put.status_code == 200 and put.json()["stock_quantity"] == 77
    after = (await woo_client.get(f"{API}/products/1002")).json()
    assert (after["stock_quantity"], after["stock_status"], after["regular_price"]) == (77, "instock", "19.50")
    assert after["date_modified_gmt"] > simple.json()["date_modified_gmt"]
    assert woo.store.products[2].variants[0].stock[woo.store.locations[0].id][0] == 77

    product = (await woo_client.get(f"{API}/products/1000")).json()
    assert product["type"] == "variable" and len(product["variations"]) == 4
    variation_id = product["variations"][1]
    await woo_client.put(f"{API}/products/1000/variations/{variation_id}", json={"stock_quantity": 0})
    variation = (await woo_client.get(f"{API}/products/1000/variations/{variation_id}")).json()
    assert (variation["stock_quantity"], variation["stock_status"]) == (0, "outofstock")
    assert variation["attributes"] == [{"id": 0, "name": "Size", "slug": "size", "option": "M"}]
    assert (await woo_client.get(f"{API}/products/1000")).json()["date_modified_gmt"] > product["date_modified_gmt"]

    invalid = await woo_client.put(f"{API}/products/1002", json={"stock_quantity": "many"})
    assert invalid.status_code == 400 and invalid.json()["data"]["params"] == {
        "stock_quantity": "stock_quantity is not of type integer."
    }
    missing = await woo_client.put(f"{API}/products/999", json={"stock_quantity": 1})
    assert (missing.status_code, missing.json()["code"]) == (400, "woocommerce_rest_product_invalid_id")


async def test_batch_updates_products_and_variations(woo_client: httpx.AsyncClient) -> None:
    products = await woo_client.post(
        f"{API}/products/batch",
        json={
            "update": [
                {"id": 1002, "stock_quantity": 5},
                {"id": 1010, "manage_stock": False, "stock_status": "onbackorder"},
                {"id": 4242, "stock_quantity": 1},
            ]
        },
    )
    assert products.status_code == 200
    updated = products.json()["update"]
    assert updated[0]["stock_quantity"] == 5
    assert (updated[1]["manage_stock"], updated[1]["stock_quantity"], updated[1]["stock_status"]) == (
        False,
        None,
        "onbackorder",
    )
    assert updated[2] == {
        "id": 4242,
        "error": {"code": "woocommerce_rest_product_invalid_id", "message": "Invalid ID.", "data": {"status": 400}},
    }
    variations = (await woo_client.get(f"{API}/products/1000/variations")).json()
    batch = await woo_client.post(
        f"{API}/products/1000/variations/batch",
        json={"update": [{"id": v["id"], "stock_quantity": 9} for v in variations]},
    )
    assert [v["stock_quantity"] for v in batch.json()["update"]] == [9] * len(variations)
    listed = await woo_client.get(f"{API}/products/1000/variations")
    assert {v["stock_quantity"] for v in listed.json()} == {9}
    too_big = await woo_client.post(f"{API}/products/batch", json={"update": [{"id": 1002}] * 101})
    assert (too_big.status_code, too_big.json()["code"]) == (413, "woocommerce_rest_request_entity_too_large")


async def test_product_list_filters(woo: WooCommerceSandbox, woo_client: httpx.AsyncClient) -> None:
    everything = await all_pages(woo_client, f"{API}/products")
    drafts = await all_pages(woo_client, f"{API}/products", status="draft")
    simple = await all_pages(woo_client, f"{API}/products", type="simple")
    by_sku = await all_pages(woo_client, f"{API}/products", sku="MUG-003-STA")
    assert len(everything) == len(woo.store.products)
    assert {p["id"] for p in drafts} == {p.id for p in woo.store.products if p.status == "draft"}
    assert {p["status"] for p in everything} == {"publish", "draft", "private"}
    assert simple and all(p["type"] == "simple" and p["variations"] == [] for p in simple)
    assert [p["id"] for p in by_sku] == [1002]


async def test_customers_and_system_status(woo: WooCommerceSandbox, woo_client: httpx.AsyncClient) -> None:
    page = await woo_client.get(f"{API}/customers", params={"per_page": 50})
    assert page.headers["X-WP-Total"] == str(len(woo.store.customers))
    names = [f"{c['first_name']} {c['last_name']}".casefold() for c in page.json()]
    assert names == sorted(names)
    customer = (await woo_client.get(f"{API}/customers/5003")).json()
    assert customer["email"] == woo.store.customers[3].email and customer["role"] == "customer"
    assert set(customer["billing"]) >= {"first_name", "address_1", "postcode", "country", "email", "phone"}
    assert isinstance(customer["is_paying_customer"], bool)
    status = (await woo_client.get(f"{API}/system_status")).json()
    assert status["environment"]["version"].count(".") == 2
    assert status["settings"]["currency"] == "USD"


# -- throttle and faults -------------------------------------------------------------------------


async def test_host_rate_limit_answers_429_with_retry_after_and_counts() -> None:
    woo = make_sandbox()
    woo.injector.faults.rate_limits = True
    now = [0.0]
    woo.limiter = TokenBucket(clock=lambda: now[0])  # the defaults: 25/s, bursts of 50, on a frozen clock
    async with connect(woo) as client:
        statuses = [(await client.get(f"{API}/products/1002")).status_code for _ in range(53)]
        refused = await client.get(f"{API}/orders")
        now[0] += 1.0
        after_a_second = [(await client.get(f"{API}/products/1002")).status_code for _ in range(26)]
        await client.post("/_sandbox/faults", json={"rate_limits": False})
        unthrottled = [(await client.get(f"{API}/products/1002")).status_code for _ in range(10)]
    assert statuses == [200] * 50 + [429] * 3
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert after_a_second == [200] * 25 + [429]
    assert unthrottled == [200] * 10
    assert woo.injector.stats.throttled == woo.injector.stats.over_limit == 5


async def test_a_reset_rests_the_host_throttle_too() -> None:
    # The bucket outlived DELETE /_sandbox/faults: a test's first request after a reset could be
    # refused by an earlier test's burst, retried, and counted twice.
    woo = make_sandbox()
    woo.injector.faults.rate_limits = True
    now = [0.0]
    woo.limiter = TokenBucket(clock=lambda: now[0])
    async with connect(woo) as client:
        spent = [(await client.get(f"{API}/products/1002")).status_code for _ in range(51)]
        await client.delete("/_sandbox/faults")
        assert woo.injector.faults.rate_limits  # the reset put the defaults back: limits on
        after_reset = [(await client.get(f"{API}/products/1002")).status_code for _ in range(50)]
        over = await client.get(f"{API}/products/1002")
    assert spent[-1] == 429
    assert after_reset == [200] * 50
    assert over.status_code == 429


async def test_fault_injection_fail_next_and_throttle_next(
    woo: WooCommerceSandbox, woo_client: httpx.AsyncClient
) -> None:
    control = await woo_client.post("/_sandbox/faults", json={"fail_next": 2, "throttle_next": 1})
    assert control.json()["faults"]["fail_next"] == 2
    throttled = await woo_client.get(f"{API}/orders")
    failures = [await woo_client.get(f"{API}/orders") for _ in range(2)]
    report = (await woo_client.get("/_sandbox/faults")).json()  # the control endpoint is never faulted
    healthy = await woo_client.get(f"{API}/orders")
    assert throttled.status_code == 429 and "Retry-After" in throttled.headers
    assert [f.status_code for f in failures] == [503, 503]
    assert failures[0].json()["code"] == "internal_server_error"
    assert failures[0].json()["data"]["status"] == 503
    assert healthy.status_code == 200
    assert report["stats"]["injected_errors"] == 2
    assert woo.injector.stats.by_path[f"{API}/orders"] == 4
    reset = await woo_client.delete("/_sandbox/faults")
    assert reset.json()["stats"]["requests"] == 0


# -- the real server on a real socket ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(sandbox: WooCommerceSandbox) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(build_app({"woocommerce": sandbox}), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the sandbox server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


async def test_combined_server_over_a_real_socket() -> None:
    woo = make_sandbox(orders=120)
    with serving(woo) as base:
        creds = woo.credentials(f"{base}/woocommerce")
        auth = (creds["consumerKey"], creds["consumerSecret"])
        async with httpx.AsyncClient(auth=auth, timeout=10) as client:
            index = await client.get(f"{base}/")
            first = await client.get(f"{creds['apiBaseUrl']}{API}/orders", params={"per_page": 50})
            second = await client.get(first.links["next"]["url"])
            third = await client.get(second.links["next"]["url"])
            status = await client.get(f"{creds['apiBaseUrl']}{API}/system_status")
            refused = await client.get(f"{creds['apiBaseUrl']}{API}/orders", auth=None)
    assert index.json()["woocommerce"]["orders"] == 120
    assert first.status_code == 200 and first.headers["X-WP-TotalPages"] == "3"
    assert first.links["next"]["url"].startswith(f"{base}/woocommerce{API}/orders?")
    ids = [o["id"] for page in (first, second, third) for o in page.json()]
    assert sorted(ids, reverse=True) == ids and len(set(ids)) == 120
    assert "next" not in third.links
    assert status.json()["environment"]["home_url"] == f"{base}/woocommerce"
    assert refused.status_code == 401
