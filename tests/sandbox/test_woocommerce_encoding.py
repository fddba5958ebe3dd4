"""How the sandbox builds and encodes what it serves cheaply: generated records, JSON, pages."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import FrozenInstanceError, fields, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from ledgerlink.sandbox.dataset import GENERATED_KEPT, Store
from ledgerlink.sandbox.woocommerce import WooCommerceSandbox
from ledgerlink.sandbox.woocommerce.wire import SITE_TZ, _wp_format, json_array, wc_date_pair, wp_json

API = "/wp-json/wc/v3"


@pytest.fixture
def woo() -> WooCommerceSandbox:
    sandbox = WooCommerceSandbox(Store(seed=11, orders_count=400))
    sandbox.injector.faults.rate_limits = False
    return sandbox


@pytest.fixture
async def client(woo: WooCommerceSandbox) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=woo.asgi())
    auth = (woo.consumer_key, woo.consumer_secret)
    async with httpx.AsyncClient(transport=transport, base_url="https://shop.example", auth=auth) as http:
        yield http


def test_generated_records_are_what_their_dataclasses_build() -> None:
    store = Store(seed=3, orders_count=300)
    for index in range(store.orders_count):
        order = store.order(index)
        records = [order, order.billing, *order.lines, *(t for line in order.lines for t in line.tax_lines)]
        for record in records:
            rebuilt = replace(record)  # through the dataclass's own __init__
            assert rebuilt == record and hash(rebuilt) == hash(record) and repr(rebuilt) == repr(record)
            assert set(vars(record)) == {f.name for f in fields(record)}
    with pytest.raises(FrozenInstanceError):
        order.note = "changed"  # type: ignore[misc]


def test_wp_json_takes_non_string_keys_as_json_dumps_does() -> None:
    content: dict[Any, Any] = {1: "a", "b": [Decimal("1.50"), Decimal("2.00")], None: {2.5: "ü"}}
    expected = json.dumps({1: "a", "b": [1.5, 2], None: {2.5: "ü"}}, ensure_ascii=False, separators=(",", ":")).encode()
    assert wp_json(content) == expected


def test_a_page_encoded_item_by_item_is_one_json_array() -> None:
    items = [{"id": n, "total": Decimal("1.10") * n, "name": "Zoë"} for n in range(4)]
    assert json_array(iter(items)) == wp_json(items)
    assert json_array(iter([])) == wp_json([]) == b"[]"


async def test_fields_filter_every_order_of_a_page_and_a_single_order(client: httpx.AsyncClient) -> None:
    page = await client.get(f"{API}/orders", params={"per_page": 5, "_fields": "id,total,line_items.id"})
    assert page.status_code == 200 and page.headers["content-type"] == "application/json"
    assert [set(order) for order in page.json()] == [{"id", "total", "line_items"}] * 5
    single = await client.get(f"{API}/orders/100004", params={"_fields": "id,status"})
    assert set(single.json()) == {"id", "status"}


async def test_a_renamed_product_shows_in_orders_served_after(client: httpx.AsyncClient) -> None:
    page = (await client.get(f"{API}/orders", params={"per_page": 50, "orderby": "id", "order": "asc"})).json()
    line = next(line for order in page for line in order["line_items"] if line["variation_id"])
    renamed = await client.put(f"{API}/products/{line['product_id']}", json={"name": "Renamed Thing"})
    assert renamed.status_code == 200
    again = (await client.get(f"{API}/orders", params={"per_page": 50, "orderby": "id", "order": "asc"})).json()
    names = {item["name"] for order in again for item in order["line_items"] if item["id"] == line["id"]}
    assert names == {f"Renamed Thing - {line['meta_data'][0]['value']}"}


async def test_a_kept_order_is_served_changed_once_touched(client: httpx.AsyncClient) -> None:
    before = (await client.get(f"{API}/orders/100007")).json()
    touched = await client.post("/_sandbox/orders/100007/touch", json={"status": "cancelled"})
    assert touched.status_code == 200
    after = (await client.get(f"{API}/orders/100007")).json()
    assert before["status"] != "cancelled" and after["status"] == "cancelled"
    assert after["date_modified_gmt"] > before["date_modified_gmt"]


def test_the_store_keeps_only_the_last_orders_it_generated() -> None:
    store = Store(seed=5, orders_count=2000)
    first = store.order(3)
    assert store.order(3) is first  # kept
    for index in range(100, 100 + GENERATED_KEPT):
        store.order(index)
    assert store.order(3) is not first and store.order(3) == first  # dropped, and generated the same


@pytest.mark.parametrize(
    "hour",
    [
        datetime(2024, 3, 10, 8, tzinfo=UTC),  # Chicago's clocks go forward: 02:00 CST is 03:00 CDT
        datetime(2024, 11, 3, 7, tzinfo=UTC),  # and back: 01:00 CDT again as 01:00 CST
        datetime(1883, 11, 18, 18, tzinfo=UTC),  # local mean time (-5:50:36) to CST: no whole-hour offset
        datetime(2024, 1, 1, tzinfo=UTC),
    ],
)
def test_dates_from_hour_prefixes_are_the_dates_converted_one_by_one(hour: datetime) -> None:
    """wc_date_pair formats a UTC date from its hour's prefixes: the same strings as converting it."""
    for seconds in range(-3 * 3600, 3 * 3600, 7):
        when = hour + timedelta(seconds=seconds, microseconds=seconds % 3 * 250_000)
        assert wc_date_pair(when) == (_wp_format(when.astimezone(SITE_TZ)), _wp_format(when))
