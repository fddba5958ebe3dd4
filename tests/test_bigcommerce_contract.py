"""Every request the BigCommerce connector sends, on every stream and on inventory writes, validates
against BigCommerce's official OpenAPI descriptions (the responses are held to them by the sandbox's
own contract tests)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest
from openapi_core.testing import MockRequest

from ledgerlink.connectors.bigcommerce.connector import BigCommerceConnector
from ledgerlink.connectors.bigcommerce.credentials import BigCommerceCredentials
from ledgerlink.connectors.framework.connector import InventoryChange
from ledgerlink.connectors.framework.window import SyncWindow
from tests.sandbox.test_bigcommerce_sandbox import spec

pytestmark = pytest.mark.slow

# Which official description covers which path (relative to /stores/{hash}).
SPECS = [
    (r"^/v2/orders(/|$)", "orders.v2.oas2.yml"),
    (r"^/v3/orders/", "orders.v3.yml"),
    (r"^/v3/catalog/products/\d+/variants", "product-variants_catalog.v3.yml"),
    (r"^/v3/catalog/products", "products_catalog.v3.yml"),
    (r"^/v3/customers", "customers.v3.yml"),
    (r"^/v3/inventory/locations", "locations.v3.yml"),
    (r"^/v3/inventory/", "inventory.v3.yml"),
    (r"^/v2/store$", "store_information.v2.yml"),
    # BigCommerce describes its hooks API once, as v3; the v2 hooks seed 004 uses take the same bodies.
    (r"^/v[23]/hooks(/|$)", "webhooks.v3.yml"),
]
# orders.v2's `sort` enum lists bare fields while the same parameter's description asks for
# `field:asc|desc` (and the API honours it): there the direction is checked here, the field by the spec.
_SORT_DIRECTION = re.compile(r"^([a-z_]+):(asc|desc)$")


class Recorder(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        return await self.inner.handle_async_request(request)


def _as_sent_to_bigcommerce(request: httpx.Request, store_hash: str, bare_sort: bool) -> MockRequest:
    path = request.url.path.split(f"/stores/{store_hash}", 1)[1]
    path = re.sub(r"^/v2/hooks", "/v3/hooks", path)
    args = []
    for key, value in request.url.params.multi_items():
        if bare_sort and key == "sort" and (match := _SORT_DIRECTION.match(value)):
            value = match.group(1)
        args.append((key, value))
    return MockRequest(
        "https://api.bigcommerce.com",
        request.method,
        f"/stores/{store_hash}{path}",
        args=args,
        headers=dict(request.headers),
        data=request.content or None,
        content_type=request.headers.get("content-type", "application/json"),
    )


async def test_every_request_the_connector_sends_matches_the_official_description(sandbox):
    sandbox.reset("bigcommerce")
    sandbox.faults("bigcommerce", rate_limits=False)
    creds = BigCommerceCredentials(**sandbox.credentials("bigcommerce"))
    recorder = Recorder()
    connector = BigCommerceConnector(creds, transport=recorder)
    async with connector.client() as client:
        await connector.check(client)
        window = SyncWindow(page_size=50)
        for name, stream in connector.streams.items():
            page = await stream.read_page(client, window, None)
            assert page.records, name
        # Several statuses in a date window: one count, then a walk per status_id (orders.py).
        filtered = SyncWindow(
            since=datetime(2024, 1, 1, tzinfo=UTC),
            until=datetime(2030, 1, 1, tzinfo=UTC),
            filters={"orderStatus": ["refunded", "cancelled"]},
            page_size=250,
        )
        token = None
        while True:
            page = await connector.streams["orders"].read_page(client, filtered, token)
            token = page.next_token
            if token is None:
                break
        status_ids = {r.url.params.get("status_id") for r in recorder.requests if r.url.path.endswith("/v2/orders")}
        assert {"4", "5", "6"} <= status_ids
        assert any(r.url.path.endswith("/v2/orders/count") and r.url.params for r in recorder.requests)
        orders = await connector.streams["orders"].read_page(client, SyncWindow(page_size=250), None)
        refunded = next(o for o in orders.records if o.get("_refunds"))  # enrichment fetched refunds
        await connector.fetch_record(client, "orders", str(refunded["id"]))
        inventory = await connector.streams["inventory"].read_page(client, window, None)
        level = inventory.records[0]
        variant, location = str(level["identity"]["variant_id"]), str(level["location_id"])
        await connector.push_inventory(
            client,
            [
                InventoryChange("ANY", location, 40, "set", variant_external_id=variant),
                InventoryChange("ANY", location, -1, "adjust", variant_external_id=variant),
            ],
        )
        # The hooks the hub registers (seed 004's v2 hooks), listed and removed again.
        destination = "https://hub.example.com/direct/webhook/big-commerce/order/contract-test-token"
        created = [
            await connector.register_webhook(client, topic, destination, creds.clientSecret.get_secret_value())
            for topic in connector.webhook_topics()
        ]
        listed = {h.upstream_id: h for h in await connector.list_webhooks(client)}
        assert all(listed[i].destination == destination and listed[i].active for i in created)
        assert all([await connector.delete_webhook(client, i) for i in created])
        assert not await connector.delete_webhook(client, created[0])  # already gone: not an error
    sandbox.reset("bigcommerce")
    checked: dict[str, int] = {}
    for request in recorder.requests:
        path = request.url.path.split(f"/stores/{creds.storeHash}", 1)[1]
        name = next((file for pattern, file in SPECS if re.search(pattern, path)), None)
        assert name is not None, f"no description covers {request.method} {path}"
        spec(name).validate_request(_as_sent_to_bigcommerce(request, creds.storeHash, name == "orders.v2.oas2.yml"))
        checked[name] = checked.get(name, 0) + 1
    assert set(checked) >= {
        "orders.v2.oas2.yml",
        "orders.v3.yml",
        "products_catalog.v3.yml",
        "customers.v3.yml",
        "locations.v3.yml",
        "inventory.v3.yml",
        "store_information.v2.yml",
        "webhooks.v3.yml",
    }, checked
