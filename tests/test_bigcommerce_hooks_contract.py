"""The BigCommerce sandbox's hooks against BigCommerce's webhooks.v3.yml: every `/v3/hooks` request and
response validated by openapi-core, each `/v2/hooks` document against the same `webhook_Full` schema,
and every callback the sandbox POSTs against the schema of its scope."""

from __future__ import annotations

import asyncio
import base64
import functools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import yaml
from openapi_schema_validator import OAS30Validator
from standardwebhooks.webhooks import Webhook as StandardWebhook

from ledgerlink.sandbox.bigcommerce import BigCommerceSandbox
from ledgerlink.sandbox.dataset import Store
from ledgerlink.sandbox.delivery import Dispatcher
from ledgerlink.sandbox.server import build_app
from tests.sandbox.test_bigcommerce_sandbox import MOUNT, SPECS, assert_contract

WEBHOOKS = "webhooks.v3.yml"
DESTINATION = "https://hooks.example.com/bigcommerce"


@functools.cache
def schemas() -> dict[str, Any]:
    return yaml.safe_load((SPECS / WEBHOOKS).read_text())["components"]["schemas"]


def resolved(node: Any) -> Any:
    """A schema with its `#/components/schemas/…` references written out (they do not recurse here)."""
    if isinstance(node, dict):
        if "$ref" in node:
            return resolved(schemas()[node["$ref"].rsplit("/", 1)[1]])
        return {key: resolved(value) for key, value in node.items()}
    if isinstance(node, list):
        return [resolved(item) for item in node]
    return node


def assert_schema(name: str, instance: Any) -> None:
    OAS30Validator(resolved(schemas()[name])).validate(instance)


@dataclass
class Hooks:
    platform: BigCommerceSandbox
    client: httpx.AsyncClient
    sent: list[httpx.Request] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"{MOUNT}/stores/{self.platform.identity.store_hash}"

    async def call(self, method: str, path: str, body: Any = None) -> httpx.Response:
        headers = {"X-Auth-Token": self.platform.identity.access_token, "Accept": "application/json"}
        return await self.client.request(method, f"{self.base}{path}", json=body, headers=headers)

    async def delivered(self, count: int) -> list[httpx.Request]:
        for _ in range(200):
            if len(self.sent) >= count:
                return self.sent
            await asyncio.sleep(0.01)
        raise AssertionError(f"{len(self.sent)} of {count} callbacks were sent")


@pytest.fixture
async def hooks() -> AsyncIterator[Hooks]:
    sent: list[httpx.Request] = []

    def destination(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200)

    dispatcher = Dispatcher(time_scale=0, transport=httpx.MockTransport(destination))
    platform = BigCommerceSandbox(Store(seed=7, orders_count=40, malformed_every=0), dispatcher=dispatcher)
    transport = httpx.ASGITransport(app=build_app({"bigcommerce": platform}))
    async with httpx.AsyncClient(transport=transport) as client:
        yield Hooks(platform, client, sent)
    await dispatcher.aclose()


async def test_v3_hooks_match_the_official_description(hooks: Hooks) -> None:
    body = {"scope": "store/order/*", "destination": DESTINATION, "is_active": True, "headers": {"X-Secret": "s"}}
    created = await hooks.call("POST", "/v3/hooks", body)
    assert created.status_code == 200, created.text
    assert_contract(WEBHOOKS, created)
    hook_id = created.json()["data"]["id"]
    await hooks.call("POST", "/v3/hooks", {"scope": "store/product/updated", "destination": DESTINATION})
    for response in (
        await hooks.call("GET", "/v3/hooks"),
        await hooks.call("GET", "/v3/hooks?is_active=true&scope=store/order/*&page=1&limit=1"),
        await hooks.call("GET", f"/v3/hooks/{hook_id}"),
        await hooks.call("PUT", f"/v3/hooks/{hook_id}", {"is_active": False, "headers": None}),
        await hooks.call("DELETE", f"/v3/hooks/{hook_id}"),
    ):
        assert response.status_code == 200, response.text
        assert_contract(WEBHOOKS, response)
    missing = await hooks.call("GET", f"/v3/hooks/{hook_id}")
    assert missing.status_code == 404 and missing.json()["title"] == f"Webhook with id [{hook_id}] not found"
    assert_contract(WEBHOOKS, missing)
    refused = await hooks.call("POST", "/v3/hooks", {"scope": "store/order/nope", "destination": "http://x.com:8080/"})
    assert refused.status_code == 422 and set(refused.json()["errors"]) == {"scope", "destination"}
    assert_contract(WEBHOOKS, refused)


async def test_v2_hooks_answer_the_bare_hook_document(hooks: Hooks) -> None:
    created = await hooks.call("POST", "/v2/hooks", {"scope": "store/order/created", "destination": DESTINATION})
    doc = created.json()
    assert created.status_code == 200 and doc["headers"] is None and doc["is_active"] is True
    assert doc["store_hash"] == hooks.platform.identity.store_hash
    assert_schema("webhook_Full", doc)
    listed = (await hooks.call("GET", "/v2/hooks")).json()
    assert listed == [doc]
    updated = (await hooks.call("PUT", f"/v2/hooks/{doc['id']}", {"destination": DESTINATION + "/v2"})).json()
    assert_schema("webhook_Full", updated)
    assert updated["destination"] == DESTINATION + "/v2" and updated["updated_at"] >= doc["updated_at"]
    missing = await hooks.call("GET", "/v2/hooks/1")
    assert missing.status_code == 404 and missing.json()[0]["status"] == 404  # v2 errors are a list


async def test_callbacks_match_their_scope_schema_and_verify(hooks: Hooks) -> None:
    for scope in ("store/order/*", "store/product/inventory/updated", "store/sku/inventory/updated"):
        await hooks.call("POST", "/v2/hooks", {"scope": scope, "destination": DESTINATION})
    order = hooks.platform.store.order_by_id(100_003)
    assert order is not None and order.cancelled_at is None
    touched = await hooks.client.post(f"{MOUNT}/_sandbox/orders/100003/touch", json={"cancelled_at": "2024-06-01"})
    assert touched.status_code == 200
    item = {"location_id": 7001, "variant_id": 40001, "quantity": 9}
    adjusted = await hooks.call("PUT", "/v3/inventory/adjustments/absolute", {"items": [item]})
    assert adjusted.status_code == 200, adjusted.text
    sent = await hooks.delivered(4)
    key = base64.b64encode(hooks.platform.identity.client_secret.encode()).decode()
    by_scope = {}
    for request in sent:
        payload = StandardWebhook(key).verify(request.content, dict(request.headers))
        assert set(payload) == {"store_id", "producer", "scope", "data", "hash", "created_at"}
        by_scope[payload["scope"]] = payload
        assert_schema(payload["scope"].replace("/", "_"), payload)
    assert set(by_scope) == {
        "store/order/updated",
        "store/order/statusUpdated",
        "store/product/inventory/updated",
        "store/sku/inventory/updated",
    }
    assert by_scope["store/order/statusUpdated"]["data"]["status"]["new_status_id"] == 5
    sku = by_scope["store/sku/inventory/updated"]["data"]
    assert sku["inventory"]["variant_id"] == 40001 and sku["inventory"]["method"] == "absolute"
    assert json.loads(sent[0].content)["producer"] == f"stores/{hooks.platform.identity.store_hash}"
