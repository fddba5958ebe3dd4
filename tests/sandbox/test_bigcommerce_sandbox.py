"""The BigCommerce sandbox against BigCommerce's own OpenAPI descriptions, and its behaviour as an upstream.

Every response checked here is validated with openapi-core against the official description of its
endpoint (../shared/specs/bigcommerce/*.yml), the request too where the description admits it.
The sandbox is mounted as `ledgerlink sandbox` mounts it (server.build_app) and reached over ASGI.
"""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from openapi_core.validation.response.exceptions import InvalidData

from ledgerlink.connectors.bigcommerce.credentials import BigCommerceCredentials
from ledgerlink.sandbox.bigcommerce import BigCommerceSandbox
from ledgerlink.sandbox.bigcommerce.malformed import defect
from ledgerlink.sandbox.dataset import Order, Store
from ledgerlink.sandbox.server import build_app
from tests.conftest import SPECS_DIR

SPECS = SPECS_DIR / "bigcommerce"
MOUNT = "http://sandbox/bigcommerce"
ORDERS = 3000
SEED = 7
V2_ORDERS = "orders.v2.oas2.yml"


@functools.cache
def spec(name: str) -> OpenAPI:
    """An official description; problem+json bodies are JSON too (openapi-core needs telling)."""
    config = Config(extra_media_type_deserializers={"application/problem+json": json.loads})
    return OpenAPI.from_dict(yaml.safe_load((SPECS / name).read_text()), config=config)


def _mock_request(request: httpx.Request) -> MockRequest:
    """The request as sent to api.bigcommerce.com (the spec's server), not to the sandbox mount."""
    return MockRequest(
        "https://api.bigcommerce.com",
        request.method,
        request.url.path.removeprefix("/bigcommerce"),
        args=list(request.url.params.multi_items()),
        headers=dict(request.headers),
        data=request.content,
        content_type=request.headers.get("content-type", "application/json"),
    )


def assert_contract(spec_name: str, response: httpx.Response, request_too: bool = True) -> None:
    """Raises (with openapi-core's reasons) unless the response, and the request, match the description."""
    mock_request = _mock_request(response.request)
    mock_response = MockResponse(
        response.content,
        status_code=response.status_code,
        headers=dict(response.headers),
        content_type=response.headers["content-type"],
    )
    spec(spec_name).validate_response(mock_request, mock_response)
    if request_too:
        spec(spec_name).validate_request(mock_request)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class BC:
    """A sandbox, a client on its mount, and the store's API base path."""

    platform: BigCommerceSandbox
    client: httpx.AsyncClient
    clock: FakeClock

    @property
    def store(self) -> Store:
        return self.platform.store

    @property
    def creds(self) -> dict[str, Any]:
        return self.platform.credentials(MOUNT)

    @property
    def base(self) -> str:
        return f"{MOUNT}/stores/{self.creds['storeHash']}"

    @property
    def auth(self) -> dict[str, str]:
        return {"X-Auth-Token": self.creds["accessToken"], "Accept": "application/json"}

    async def get(self, path: str, **params: Any) -> httpx.Response:
        return await self.client.get(f"{self.base}{path}", params=params, headers=self.auth)

    async def send(self, method: str, path: str, body: Any) -> httpx.Response:
        return await self.client.request(method, f"{self.base}{path}", json=body, headers=self.auth)

    async def control(self, method: str, path: str, body: Any = None) -> httpx.Response:
        return await self.client.request(method, f"{MOUNT}{path}", json=body)


async def _open(store: Store, **options: Any) -> AsyncIterator[BC]:
    clock = FakeClock()
    platform = BigCommerceSandbox(store, clock=clock, **options)
    transport = httpx.ASGITransport(app=build_app({"bigcommerce": platform}))
    async with httpx.AsyncClient(transport=transport) as client:
        yield BC(platform, client, clock)


@pytest.fixture
async def bc() -> AsyncIterator[BC]:
    async for opened in _open(Store(seed=SEED, orders_count=ORDERS), quota=100_000):  # quota tests use their own
        yield opened


@pytest.fixture
async def small_quota() -> AsyncIterator[BC]:
    async for opened in _open(Store(seed=SEED, orders_count=50), quota=5, window_ms=30_000):
        yield opened


def first_index(store: Store, predicate: Callable[[Order], bool]) -> int:
    return next(i for i in range(store.orders_count) if predicate(store.order(i)))


def d(value: str) -> Decimal:
    return Decimal(value)


# --- identity and auth -------------------------------------------------------------------------------------------


def test_credentials_are_what_setup_accepts_and_deterministic() -> None:
    creds = BigCommerceSandbox(Store(seed=SEED, orders_count=1)).credentials(MOUNT)
    assert set(creds) == {"storeHash", "accessToken", "clientId", "clientSecret", "apiBaseUrl"}
    parsed = BigCommerceCredentials.model_validate(creds)
    assert parsed.storeHash == creds["storeHash"] and len(creds["storeHash"]) == 10
    assert str(parsed.apiBaseUrl).rstrip("/") == MOUNT
    assert creds == BigCommerceSandbox(Store(seed=SEED, orders_count=5)).credentials(MOUNT)
    other = BigCommerceSandbox(Store(seed=SEED + 1, orders_count=1)).credentials(MOUNT)
    assert other["storeHash"] != creds["storeHash"] and other["accessToken"] != creds["accessToken"]


@pytest.mark.parametrize("case", ["missing token", "wrong token", "wrong store hash"])
async def test_auth_refused_with_bigcommerce_error_body(bc: BC, case: str) -> None:
    url = f"{bc.base}/v2/orders"
    headers = {"X-Auth-Token": bc.creds["accessToken"]}
    if case == "missing token":
        headers = {}
    elif case == "wrong token":
        headers = {"X-Auth-Token": "x" * 31}
    else:
        url = f"{MOUNT}/stores/zzzzz99999/v2/orders"
    response = await bc.client.get(url, headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert body["status"] == 401 and body["title"] and body["type"].startswith("https://") and body["errors"] == {}
    assert bc.platform.injector.stats.requests == 1


# --- every endpoint against its description ----------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    spec: str
    method: str
    path: str
    params: dict[str, Any] | None = None
    body: Any = None
    status: int = 200
    request_too: bool = True


CONTRACT_CASES = [
    Case(V2_ORDERS, "GET", "/v2/orders", {"limit": 25, "page": 2}),
    Case(V2_ORDERS, "GET", "/v2/orders", {"min_date_modified": "Mon, 01 Jan 2024 10:00:00 +0000", "limit": 5}),
    Case(V2_ORDERS, "GET", "/v2/orders", {"status_id": 11, "min_id": 100100, "max_id": 100400}),
    Case(V2_ORDERS, "GET", "/v2/orders", {"sort": "date_modified", "max_date_created": "2024-01-02T00:00:00Z"}),
    Case(V2_ORDERS, "GET", "/v2/orders/count"),
    Case(V2_ORDERS, "GET", "/v2/orders/count", {"status_id": 2}),
    Case(V2_ORDERS, "GET", "/v2/orders/{order}"),
    Case(V2_ORDERS, "GET", "/v2/orders/{order}/products"),
    Case(V2_ORDERS, "GET", "/v2/orders/{order}/shipping_addresses"),
    Case(V2_ORDERS, "GET", "/v2/orders/{coupon_order}/coupons"),
    Case(V2_ORDERS, "GET", "/v2/orders/99", status=404),
    Case("orders.v3.yml", "GET", "/v3/orders/{refund_order}/payment_actions/refunds"),
    Case("orders.v3.yml", "GET", "/v3/orders/payment_actions/refunds", {"limit": 5, "page": 2}),
    Case("orders.v3.yml", "GET", "/v3/orders/payment_actions/refunds", {"created:min": "2024-01-05T00:00:00Z"}),
    Case("products_catalog.v3.yml", "GET", "/v3/catalog/products", {"include": "variants", "limit": 7, "page": 2}),
    Case("products_catalog.v3.yml", "GET", "/v3/catalog/products", {"is_visible": "true", "sort": "name"}),
    Case(
        "products_catalog.v3.yml", "GET", "/v3/catalog/products", {"id:in": "1000,1003", "include_fields": "name,sku"}
    ),
    Case("products_catalog.v3.yml", "GET", "/v3/catalog/products", {"date_modified:min": "2023-12-01T00:00:00Z"}),
    Case("products_catalog.v3.yml", "GET", "/v3/catalog/products", {"sku": "MUG-003-STA"}),
    Case("products_catalog.v3.yml", "GET", "/v3/catalog/products/1003", {"include": "variants"}),
    Case("products_catalog.v3.yml", "GET", "/v3/catalog/products/1", status=404),
    Case("product-variants_catalog.v3.yml", "GET", "/v3/catalog/products/1000/variants"),
    Case("product-variants_catalog.v3.yml", "GET", "/v3/catalog/products/1002/variants"),
    Case("product-variants_catalog.v3.yml", "GET", "/v3/catalog/products/1/variants", status=404),
    Case("customers.v3.yml", "GET", "/v3/customers", {"limit": 10, "include": "addresses,storecredit"}),
    Case("customers.v3.yml", "GET", "/v3/customers", {"id:in": "5001,5002", "email:in": "john.0@example.com"}),
    Case("customers.v3.yml", "GET", "/v3/customers", {"date_modified:min": "2023-11-01T00:00:00Z", "limit": 3}),
    Case("customers.v3.yml", "GET", "/v3/customers", {"date_modified:min": "last tuesday"}, status=422),
    Case("locations.v3.yml", "GET", "/v3/inventory/locations"),
    Case("locations.v3.yml", "GET", "/v3/inventory/locations", {"location_id:in": "7003"}),
    Case("inventory.v3.yml", "GET", "/v3/inventory/items", {"limit": 4}),
    Case("inventory.v3.yml", "GET", "/v3/inventory/items", {"variant_id:in": "40002", "location_id:in": "7001"}),
    Case(
        "inventory.v3.yml",
        "PUT",
        "/v3/inventory/adjustments/absolute",
        body={"reason": "Stocktake", "items": [{"location_id": 7001, "variant_id": 40001, "quantity": 12}]},
    ),
    Case(
        "inventory.v3.yml",
        "POST",
        "/v3/inventory/adjustments/relative",
        body={"items": [{"location_id": 7002, "sku": "T-S-001-M", "quantity": -1}]},
    ),
    Case(
        "inventory.v3.yml",
        "PUT",
        "/v3/inventory/adjustments/absolute",
        body={"items": [{"location_id": 9999, "variant_id": 40001, "quantity": 1}]},
        status=422,
    ),
    Case("store_information.v2.yml", "GET", "/v2/store"),
]


@pytest.mark.parametrize("case", CONTRACT_CASES, ids=lambda c: f"{c.method} {c.path} {c.params or ''}{c.status}")
async def test_responses_match_the_official_description(bc: BC, case: Case) -> None:
    ids = {
        "order": 100_000 + first_index(bc.store, lambda o: not o.malformed and len(o.lines) > 2),
        "coupon_order": 100_000 + first_index(bc.store, lambda o: not o.malformed and bool(o.discount_code)),
        "refund_order": 100_000 + first_index(bc.store, lambda o: not o.malformed and bool(o.refunds)),
    }
    path = case.path.format(**ids)
    if case.body is None:
        response = await bc.get(path, **(case.params or {}))
    else:
        response = await bc.send(case.method, path, case.body)
    assert response.status_code == case.status, response.text
    assert_contract(case.spec, response, case.request_too)


async def test_every_order_on_a_page_matches_the_description(bc: BC) -> None:
    """A few pages of orders and each one's products: currencies, refunds, cancellations, partial shipments."""
    seen_statuses: set[int] = set()
    for page in (1, 2, 3):
        response = await bc.get("/v2/orders", limit=100, page=page)
        assert_contract(V2_ORDERS, response)
        for doc in response.json():
            seen_statuses.add(doc["status_id"])
            if not bc.store.order_by_id(doc["id"]).malformed:  # type: ignore[union-attr]
                assert_contract(V2_ORDERS, await bc.get(f"/v2/orders/{doc['id']}/products"))
    assert {1, 2, 3, 4, 5, 11, 14} <= seen_statuses


# --- orders: pagination, filters, efficiency ---------------------------------------------------------------------


async def test_v2_pages_follow_each_other_and_an_empty_page_is_204(bc: BC) -> None:
    ids: list[int] = []
    page = 1
    while True:
        response = await bc.get("/v2/orders", limit=250, page=page, max_id=100_999)
        if response.status_code == 204:
            break
        assert response.status_code == 200
        ids += [doc["id"] for doc in response.json()]
        page += 1
    assert ids == list(range(100_000, 101_000))
    assert page == 5  # four full pages, then 204
    empty = await bc.get("/v2/orders", min_date_created="2030-01-01")
    assert empty.status_code == 204 and empty.content == b""
    assert "x-rate-limit-requests-left" in empty.headers


async def test_v2_limit_is_capped_at_250(bc: BC) -> None:
    response = await bc.get("/v2/orders", limit=1000)
    assert len(response.json()) == 250


def _expected_ids(store: Store, low: datetime, sort_desc: bool) -> list[int]:
    """Brute force: every order modified at or after `low`, by date_modified then id."""
    orders = [o for o in map(store.order, range(store.orders_count)) if o.updated_at.replace(microsecond=0) >= low]
    orders.sort(key=lambda o: (o.updated_at, o.id), reverse=sort_desc)
    return [o.id for o in orders]


async def _all_ids(bc: BC, **params: Any) -> list[int]:
    ids: list[int] = []
    for page in range(1, 1000):
        response = await bc.get("/v2/orders", page=page, limit=250, **params)
        if response.status_code == 204:
            return ids
        ids += [doc["id"] for doc in response.json()]
    raise AssertionError("never reached an empty page")


async def test_min_date_modified_includes_touched_orders_in_modification_order(bc: BC) -> None:
    low = bc.store.order(2000).updated_at
    early = await bc.control("POST", "/_sandbox/orders/100003/touch", {"note": "gift wrap please"})
    assert early.status_code == 200
    touched_at = parsedate_to_datetime(early.json()["date_modified"])
    assert touched_at > low and early.json()["customer_message"] == "gift wrap please"
    # a second order touched at a moment among the generated ones: it must slot in between them
    middle = bc.store.order(2500).updated_at + timedelta(seconds=1)
    await bc.control("POST", "/_sandbox/orders/100010/touch", {"at": middle.isoformat(), "note": "moved"})
    # an order inside the range touched to an earlier moment drops out of it
    await bc.control("POST", "/_sandbox/orders/102200/touch", {"at": "2023-06-01T00:00:00+00:00"})

    rfc = low.strftime("%a, %d %b %Y %H:%M:%S +0000")
    ascending = await _all_ids(bc, min_date_modified=rfc, sort="date_modified:asc")
    assert ascending == _expected_ids(bc.store, low, sort_desc=False)
    assert ascending[-1] == 100_003 and 100_010 in ascending and 102_200 not in ascending
    descending = await _all_ids(bc, min_date_modified=low.isoformat(), sort="date_modified:desc")
    assert descending == _expected_ids(bc.store, low, sort_desc=True)

    page = (await bc.get("/v2/orders", min_date_modified=rfc, sort="date_modified:asc", limit=50)).json()
    dates = [parsedate_to_datetime(doc["date_modified"]) for doc in page]
    assert dates == sorted(dates) and dates[0] >= low
    before = await _all_ids(bc, max_date_modified=rfc)
    assert 100_003 not in before and 102_200 in before and before == sorted(before)


async def test_an_incremental_page_generates_only_the_orders_it_shows() -> None:
    store = Store(seed=SEED, orders_count=100_000)
    generated: list[int] = []
    real_order = store.order

    def counting(index: int) -> Order:
        generated.append(index)
        return real_order(index)

    store.order = counting  # type: ignore[method-assign]
    async for bc in _open(store):
        since = store.start + store.step * 90_000
        response = await bc.get(
            "/v2/orders", min_date_modified=since.isoformat(), sort="date_modified:asc", limit=250, page=3
        )
        assert response.status_code == 200
        docs = response.json()
        assert [doc["id"] for doc in docs] == list(range(190_000 + 500, 190_000 + 750))
        assert len(generated) < 300, len(generated)  # the 250 shown and a few at the range's edge


async def test_filters_by_status_and_id_and_created(bc: BC) -> None:
    docs = (await bc.get("/v2/orders", status_id=5, limit=250)).json()
    expected = [o.id for o in map(bc.store.order, range(ORDERS)) if o.cancelled_at is not None][:250]
    assert [doc["id"] for doc in docs] == expected
    assert all(doc["status"] == "Cancelled" for doc in docs)
    created = bc.store.order_created_at(10)
    window = (
        await bc.get(
            "/v2/orders",
            min_date_created=created.isoformat(),
            max_date_created=(created + timedelta(minutes=14)).isoformat(),
        )
    ).json()
    assert [doc["id"] for doc in window] == [100_010, 100_011, 100_012]
    by_id = (await bc.get("/v2/orders", min_id=100_020, max_id=100_024, sort="id:desc")).json()
    assert [doc["id"] for doc in by_id] == [100_024, 100_023, 100_022, 100_021, 100_020]


async def test_count_agrees_with_the_listing(bc: BC) -> None:
    body = (await bc.get("/v2/orders/count")).json()
    assert body["count"] == ORDERS
    assert sum(s["count"] for s in body["statuses"]) == ORDERS
    refunded = next(s for s in body["statuses"] if s["id"] == 14)
    listed = await _all_ids(bc, status_id=14)
    assert refunded["count"] == len(listed) > 0


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "many"}, "limit"),
        ({"page": "0"}, "page"),
        ({"min_date_modified": "yesterday"}, "min_date_modified"),
        ({"sort": "total:asc"}, "sort"),
        ({"status_id": "99"}, "status_id"),
        ({"max_id": "1e3"}, "max_id"),
    ],
)
async def test_invalid_v2_query_answers_400_naming_the_field(bc: BC, params: dict[str, str], field: str) -> None:
    response = await bc.get("/v2/orders", **params)
    assert response.status_code == 400
    [error] = response.json()
    assert error["status"] == 400 and f"'{field}'" in error["message"]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v3/catalog/products", {"date_modified:min": "soon"}, "date_modified:min"),
        ("/v3/catalog/products", {"id:in": "1,x"}, "id:in"),
        ("/v3/catalog/products", {"sort": "colour"}, "sort"),
        ("/v3/inventory/items", {"variant_id:in": "a"}, "variant_id:in"),
    ],
)
async def test_invalid_v3_query_answers_422_naming_the_field(
    bc: BC, path: str, params: dict[str, str], field: str
) -> None:
    response = await bc.get(path, **params)
    assert response.status_code == 422
    body = response.json()
    assert body["status"] == 422 and field in body["title"] and field in body["errors"]


async def test_unknown_ids_answer_404_in_each_versions_shape(bc: BC) -> None:
    v2 = await bc.get("/v2/orders/100000000")
    assert v2.status_code == 404 and v2.json() == [{"status": 404, "message": "The requested resource was not found."}]
    v3 = await bc.get("/v3/orders/5/payment_actions/refunds")
    assert v3.status_code == 404 and v3.json()["status"] == 404 and "errors" in v3.json()
    assert (await bc.get("/v2/no/such/thing")).status_code == 404


# --- order documents -----------------------------------------------------------------------------------------------


async def test_order_totals_are_consistent_and_match_the_dataset(bc: BC) -> None:
    checked = 0
    for doc in (await bc.get("/v2/orders", limit=120)).json():
        order = bc.store.order_by_id(doc["id"])
        assert order is not None
        if order.malformed:
            continue
        products = (await bc.get(f"/v2/orders/{doc['id']}/products")).json()
        for side in ("ex_tax", "inc_tax"):
            assert d(doc[f"subtotal_{side}"]) == sum(d(p[f"total_{side}"]) for p in products)
        assert d(doc["subtotal_tax"]) == sum(d(p["total_tax"]) for p in products)
        assert d(doc["subtotal_inc_tax"]) - d(doc["subtotal_ex_tax"]) == d(doc["subtotal_tax"])
        assert d(doc["shipping_cost_inc_tax"]) - d(doc["shipping_cost_ex_tax"]) == d(doc["shipping_cost_tax"])
        assert d(doc["total_inc_tax"]) == (
            d(doc["subtotal_inc_tax"])
            + d(doc["shipping_cost_inc_tax"])
            - d(doc["discount_amount"])
            - d(doc["coupon_discount"])
        )
        assert d(doc["total_inc_tax"]) - d(doc["total_ex_tax"]) == d(doc["total_tax"])
        assert d(doc["total_inc_tax"]) == order.total
        assert d(doc["discount_amount"]) == sum(sum(d(a["amount"]) for a in p["applied_discounts"]) for p in products)
        assert doc["items_total"] == sum(p["quantity"] for p in products)
        assert doc["is_tax_inclusive_pricing"] is order.taxes_included
        assert doc["default_currency_code"] == bc.store.currency == "USD"
        assert doc["currency_code"] == order.presentment_currency
        assert d(doc["currency_exchange_rate"]) == order.exchange_rate
        assert all(len(doc[k].split(".")[1]) == 4 for k in ("total_inc_tax", "subtotal_ex_tax", "refunded_amount"))
        checked += 1
    assert checked > 100


async def test_refunds_agree_with_the_orders_refunded_amount(bc: BC) -> None:
    index = first_index(bc.store, lambda o: not o.malformed and bool(o.refunds) and o.taxes_included)
    order = bc.store.order(index)
    doc = (await bc.get(f"/v2/orders/{order.id}")).json()
    refunds = (await bc.get(f"/v3/orders/{order.id}/payment_actions/refunds")).json(parse_float=Decimal)["data"]
    assert [r["id"] for r in refunds] == [r.id for r in order.refunds]
    assert d(doc["refunded_amount"]) == sum(r["total_amount"] for r in refunds) > 0
    assert doc["status_id"] in {4, 14}
    products = (await bc.get(f"/v2/orders/{order.id}/products")).json()
    refunded_line = next(p for p in products if p["id"] == refunds[0]["items"][0]["item_id"])
    assert refunded_line["quantity_refunded"] == refunds[0]["items"][0]["quantity"]

    everyone = (await bc.get("/v3/orders/payment_actions/refunds", limit=250)).json()
    expected = [r.id for o in map(bc.store.order, range(ORDERS)) for r in o.refunds]
    assert everyone["meta"]["pagination"]["total"] == len(expected)
    assert [r["id"] for r in everyone["data"]] == expected[:250]


@pytest.mark.parametrize(
    ("state", "status_id", "name"),
    [
        ({"cancelled": True}, 5, "Cancelled"),
        ({"financial_status": "refunded"}, 4, "Refunded"),
        ({"financial_status": "partially_refunded"}, 14, "Partially Refunded"),
        ({"financial_status": "pending"}, 1, "Pending"),
        ({"financial_status": "paid", "fulfillment_status": "unfulfilled"}, 11, "Awaiting Fulfillment"),
        ({"financial_status": "paid", "fulfillment_status": "partial"}, 3, "Partially Shipped"),
        ({"financial_status": "paid", "fulfillment_status": "fulfilled"}, 2, "Shipped"),
    ],
)
async def test_status_mapping(bc: BC, state: dict[str, Any], status_id: int, name: str) -> None:
    def fits(o: Order) -> bool:
        if state.get("cancelled"):
            return o.cancelled_at is not None
        return o.cancelled_at is None and all(getattr(o, k) == v for k, v in state.items())

    order = bc.store.order(first_index(bc.store, fits))
    doc = (await bc.get(f"/v2/orders/{order.id}")).json()
    assert (doc["status_id"], doc["status"], doc["custom_status"]) == (status_id, name, name)


async def test_touch_changes_status_and_shipped_items(bc: BC) -> None:
    index = first_index(
        bc.store,
        lambda o: (
            o.fulfillment_status == "unfulfilled"
            and o.financial_status == "paid"
            and o.cancelled_at is None
            and not o.malformed
        ),
    )
    order_id = 100_000 + index
    before = (await bc.get(f"/v2/orders/{order_id}")).json()
    assert before["status_id"] == 11 and before["items_shipped"] == 0
    touched = await bc.control("POST", f"/_sandbox/orders/{order_id}/touch", {"fulfillment_status": "fulfilled"})
    assert touched.json()["status_id"] == 2 and touched.json()["items_shipped"] == before["items_total"]
    assert touched.json()["date_modified"] != before["date_modified"]
    assert (await bc.get(f"/v2/orders/{order_id}")).json() == touched.json()
    refused = await bc.control("POST", f"/_sandbox/orders/{order_id}/touch", {"total": "0"})
    assert refused.status_code == 400
    missing = await bc.control("POST", "/_sandbox/orders/99/touch", {})
    assert missing.status_code == 404


async def test_links_point_at_the_sandbox_and_lead_to_the_sub_resources(bc: BC) -> None:
    doc = (await bc.get("/v2/orders/100001")).json()
    for name in ("products", "shipping_addresses", "coupons"):
        link = doc[name]
        assert link["url"] == f"{bc.base}/v2{link['resource']}"
        response = await bc.client.get(link["url"], headers=bc.auth)
        assert response.status_code in {200, 204}
    address = (await bc.client.get(doc["shipping_addresses"]["url"], headers=bc.auth)).json()[0]
    assert address["order_id"] == 100_001 and doc["billing_address"]["zip"] == address["zip"]


async def test_malformed_orders_come_out_broken_until_switched_off(bc: BC) -> None:
    broken = [o for o in map(bc.store.order, range(ORDERS)) if o.malformed]
    assert len(broken) >= 3
    assert {defect(o) for o in broken} >= {"blank_date_modified", "total_not_a_number", "null_quantity"}
    for order in broken:
        doc = (await bc.get(f"/v2/orders/{order.id}")).json()
        products = (await bc.get(f"/v2/orders/{order.id}/products")).json()
        kind = defect(order)
        if kind == "blank_date_modified":
            assert doc["date_modified"] == ""
        elif kind == "total_not_a_number":
            assert doc["total_inc_tax"] == "N/A"
        elif kind == "null_quantity":
            assert products[0]["quantity"] is None
            with pytest.raises(InvalidData):
                assert_contract(V2_ORDERS, await bc.get(f"/v2/orders/{order.id}/products"))
        else:
            assert products[0]["price_inc_tax"] == "N/A"
        again = (await bc.get(f"/v2/orders/{order.id}")).json()
        assert again == doc  # the same defect every time
    await bc.control("POST", "/_sandbox/faults", {"malformed": False})
    for order in broken:
        response = await bc.get(f"/v2/orders/{order.id}/products")
        assert_contract(V2_ORDERS, response)
        doc = (await bc.get(f"/v2/orders/{order.id}")).json()
        assert doc["date_modified"] and d(doc["total_inc_tax"]) == order.total


# --- catalog, customers, inventory ---------------------------------------------------------------------------------


async def test_v3_pagination_links_walk_every_customer(bc: BC) -> None:
    seen: list[int] = []
    query = "?include=addresses&limit=120"
    pages = 0
    while query:
        response = await bc.client.get(f"{bc.base}/v3/customers{query}", headers=bc.auth)
        assert_contract("customers.v3.yml", response)
        body = response.json()
        pagination = body["meta"]["pagination"]
        assert pagination["total"] == len(bc.store.customers) and pagination["per_page"] == 120
        assert pagination["count"] == len(body["data"])
        assert all("addresses" in c for c in body["data"])  # the link kept the filter
        seen += [c["id"] for c in body["data"]]
        pages += 1
        assert pagination["current_page"] == pages and pagination["total_pages"] == 5
        query = pagination["links"].get("next", "")
        assert ("previous" in pagination["links"]) == (pages > 1)
    assert seen == [c.id for c in bc.store.customers]


async def test_products_pagination_and_variants(bc: BC) -> None:
    first = (await bc.get("/v3/catalog/products", limit=15, include="variants")).json(parse_float=Decimal)
    meta = first["meta"]["pagination"]
    assert (meta["total"], meta["count"], meta["total_pages"]) == (len(bc.store.products), 15, 3)
    assert meta["links"]["next"] == "?include=variants&page=2&limit=15"
    last = (await bc.get("/v3/catalog/products", limit=15, page=3)).json()
    assert last["meta"]["pagination"]["count"] == len(bc.store.products) - 30
    assert "next" not in last["meta"]["pagination"]["links"]
    product = first["data"][0]
    source = bc.store.products[0]
    assert [v["sku"] for v in product["variants"]] == [v.sku for v in source.variants]
    assert product["inventory_level"] == sum(v["inventory_level"] for v in product["variants"])
    assert product["price"] == source.variants[0].price


async def test_inventory_adjustments_show_in_items_and_bump_the_product(bc: BC) -> None:
    variant = bc.store.products[2].variants[0]
    before = (await bc.get("/v3/inventory/items", **{"variant_id:in": str(variant.id)})).json()["data"][0]
    reserved = next(loc["settings"]["safety_stock"] for loc in before["locations"] if loc["location_id"] == 7002)
    stamp = datetime.now(UTC).replace(microsecond=0)

    put = await bc.send(
        "PUT",
        "/v3/inventory/adjustments/absolute",
        {"items": [{"location_id": 7002, "variant_id": variant.id, "quantity": 40}]},
    )
    assert put.status_code == 200 and put.json()["transaction_id"]
    post = await bc.send(
        "POST",
        "/v3/inventory/adjustments/relative",
        {
            "items": [
                {"location_id": 7002, "sku": variant.sku, "quantity": -3},
                {"location_id": 7002, "sku": variant.sku, "quantity": -2},
            ]
        },
    )
    assert post.status_code == 200

    after = await bc.get("/v3/inventory/items", **{"variant_id:in": str(variant.id)})
    assert_contract("inventory.v3.yml", after)
    location = next(loc for loc in after.json()["data"][0]["locations"] if loc["location_id"] == 7002)
    assert location["total_inventory_onhand"] == 35 and location["available_to_sell"] == 35 - reserved
    assert variant.stock[7002][0] == 35

    modified = (await bc.get("/v3/catalog/products", **{"date_modified:min": stamp.isoformat()})).json()["data"]
    assert [p["id"] for p in modified] == [variant.product_id]

    refused = await bc.send(
        "POST",
        "/v3/inventory/adjustments/relative",
        {
            "items": [
                {"location_id": 7002, "variant_id": variant.id, "quantity": 5},
                {"location_id": 7002, "variant_id": 1, "quantity": 5},
            ]
        },
    )
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    assert "items.1" in refused.json()["errors"]
    assert variant.stock[7002][0] == 35  # nothing applied: the request is all or nothing
    negative = await bc.send(
        "POST",
        "/v3/inventory/adjustments/relative",
        {"items": [{"location_id": 7002, "variant_id": variant.id, "quantity": -36}]},
    )
    assert negative.status_code == 422


async def test_customers_filters(bc: BC) -> None:
    emails = [bc.store.customers[3].email.upper(), bc.store.customers[9].email]
    body = (await bc.get("/v3/customers", **{"email:in": ",".join(emails)})).json()
    assert [c["id"] for c in body["data"]] == [bc.store.customers[3].id, bc.store.customers[9].id]
    since = bc.store.customers[400].updated_at
    recent = (await bc.get("/v3/customers", **{"date_modified:min": since.isoformat(), "limit": 250})).json()
    assert all(datetime.fromisoformat(c["date_modified"]) >= since for c in recent["data"])
    assert recent["meta"]["pagination"]["total"] == sum(c.updated_at >= since for c in bc.store.customers)


# --- rate limits and faults ----------------------------------------------------------------------------------------


async def test_quota_counts_down_then_429_until_the_window_resets(small_quota: BC) -> None:
    bc = small_quota
    served = []
    for n in range(5):
        bc.clock.now += 1
        response = await bc.get("/v2/store")
        assert response.status_code == 200
        served.append(response)
        assert response.headers["X-Rate-Limit-Requests-Left"] == str(4 - n)
        assert response.headers["X-Rate-Limit-Requests-Quota"] == "5"
        assert response.headers["X-Rate-Limit-Time-Window-Ms"] == "30000"
        assert response.headers["X-Rate-Limit-Time-Reset-Ms"] == str(30_000 - n * 1000)
    over = await bc.get("/v2/orders")
    assert over.status_code == 429
    assert over.headers["X-Rate-Limit-Requests-Left"] == "0"
    assert int(over.headers["X-Rate-Limit-Time-Reset-Ms"]) == 26_000
    assert over.json()["status"] == 429
    stats = bc.platform.injector.stats
    assert (stats.over_limit, stats.throttled) == (1, 1)
    assert len(served) == 5  # zero requests served over the quota

    bc.clock.now += 26.0
    again = await bc.get("/v2/store")
    assert again.status_code == 200 and again.headers["X-Rate-Limit-Requests-Left"] == "4"
    assert again.headers["X-Rate-Limit-Time-Reset-Ms"] == "30000"


async def test_default_quota_is_150_per_30_seconds() -> None:
    async for bc in _open(Store(seed=SEED, orders_count=10)):
        response = await bc.get("/v2/store")
        assert response.headers["X-Rate-Limit-Requests-Quota"] == "150"
        assert response.headers["X-Rate-Limit-Requests-Left"] == "149"
        assert response.headers["X-Rate-Limit-Time-Window-Ms"] == "30000"


async def test_the_quota_is_changed_and_restored_by_its_control(small_quota: BC) -> None:
    bc = small_quota
    assert (await bc.control("GET", "/_sandbox/rate-limit")).json() == {"quota": 5, "window_ms": 30_000}
    for _ in range(5):
        await bc.get("/v2/store")
    assert (await bc.get("/v2/store")).status_code == 429
    changed = await bc.control("POST", "/_sandbox/rate-limit", {"quota": 3, "window_ms": 2_000})
    assert changed.status_code == 200 and changed.json() == {"quota": 3, "window_ms": 2_000}
    served = [await bc.get("/v2/store") for _ in range(4)]  # a fresh window under the new numbers
    assert [r.status_code for r in served] == [200, 200, 200, 429]
    assert served[0].headers["X-Rate-Limit-Requests-Quota"] == "3"
    assert served[0].headers["X-Rate-Limit-Time-Window-Ms"] == "2000"
    assert served[2].headers["X-Rate-Limit-Requests-Left"] == "0"
    bc.clock.now += 2.0
    assert (await bc.get("/v2/store")).status_code == 200
    for bad in ({"quota": 0}, {"window_ms": "fast"}, {"quota": True}, [1, 2]):
        assert (await bc.control("POST", "/_sandbox/rate-limit", bad)).status_code == 400
    assert (await bc.control("GET", "/_sandbox/rate-limit")).json() == {"quota": 3, "window_ms": 2_000}
    restored = await bc.control("DELETE", "/_sandbox/rate-limit")
    assert restored.json() == {"quota": 5, "window_ms": 30_000}
    assert (await bc.get("/v2/store")).headers["X-Rate-Limit-Requests-Left"] == "4"


async def test_quota_is_not_enforced_when_rate_limits_are_off(small_quota: BC) -> None:
    await small_quota.control("POST", "/_sandbox/faults", {"rate_limits": False})
    statuses = [(await small_quota.get("/v2/store")).status_code for _ in range(8)]
    assert statuses == [200] * 8
    assert small_quota.platform.injector.stats.throttled == 0


async def test_fail_next_and_throttle_next_are_injected(bc: BC) -> None:
    report = (await bc.control("POST", "/_sandbox/faults", {"fail_next": 2})).json()
    assert report["faults"]["fail_next"] == 2
    first = await bc.get("/v2/orders/100001")
    assert first.status_code == 503 and first.json() == [{"status": 503, "message": "Service Unavailable"}]
    second = await bc.get("/v3/catalog/products")
    assert second.status_code == 503 and second.json()["status"] == 503
    assert (await bc.get("/v2/orders/100001")).status_code == 200
    await bc.control("POST", "/_sandbox/faults", {"throttle_next": 1})
    throttled = await bc.get("/v2/orders/100001")
    assert throttled.status_code == 429 and throttled.headers["X-Rate-Limit-Requests-Left"] == "0"
    report = (await bc.control("GET", "/_sandbox/faults")).json()
    assert report["stats"]["injected_errors"] == 2 and report["stats"]["requests"] == 4
    reset = (await bc.control("DELETE", "/_sandbox/faults")).json()
    assert reset["stats"]["requests"] == 0
    assert (await bc.get("/v2/orders/100001")).status_code == 200
