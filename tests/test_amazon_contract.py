"""The Amazon sandbox and connector against Amazon's official SP-API models (ordersV0, financesV0,
fbaInventory, sellers): every answer the sandbox gives, and every request the connector sends with the
answer it got, validate with openapi-core.

The models are Swagger 2.0, which openapi-core does not read; each is converted here to OpenAPI 3.0,
mechanically and no further: definitions become components, a parameter's type becomes its schema,
a query array without a collectionFormat is comma-separated (Swagger's default `csv`: style form, not
exploded), a response schema becomes its application/json content. Only the operations served are kept.
Login with Amazon's token endpoint is not part of SP-API and has no model: its answers are checked by
the sandbox tests.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from openapi_core.validation.response.exceptions import InvalidData

from ledgerlink.connectors.amazon.connector import AmazonConnector
from ledgerlink.connectors.amazon.credentials import AmazonCredentials
from ledgerlink.connectors.framework.window import SyncWindow
from ledgerlink.sandbox.amazon import AmazonSandbox
from ledgerlink.sandbox.amazon.marketplaces import MARKETPLACES
from tests.conftest import SPECS_DIR
from tests.test_amazon_sandbox import EVERYTHING, connect, every_order, make_sandbox, serving

pytestmark = pytest.mark.slow

SP_API = "https://sellingpartnerapi-na.amazon.com"
# model -> the GET operations served from it
SERVED = {
    "ordersV0.json": ("/orders/v0/orders", "/orders/v0/orders/{orderId}", "/orders/v0/orders/{orderId}/orderItems"),
    "financesV0.json": (
        "/finances/v0/financialEvents",
        "/finances/v0/financialEventGroups",
        "/finances/v0/financialEventGroups/{eventGroupId}/financialEvents",
    ),
    "fbaInventory.json": ("/fba/inventory/v1/summaries",),
    "sellers.json": ("/sellers/v1/marketplaceParticipations",),
}
_SCHEMA_KEYS = ("type", "format", "items", "enum", "maximum", "minimum", "maxItems", "minItems", "maxLength",
                "minLength", "pattern", "default")  # fmt: skip


def _refs(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: (v.replace("#/definitions/", "#/components/schemas/") if k == "$ref" else _refs(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_refs(v) for v in node]
    return node


def _parameter(p: dict[str, Any]) -> dict[str, Any]:
    converted = {k: p[k] for k in ("name", "in", "required", "description") if k in p}
    converted["schema"] = {k: p[k] for k in _SCHEMA_KEYS if k in p}
    if p.get("type") == "array":
        fmt = p.get("collectionFormat", "csv")
        assert fmt in ("csv", "multi"), fmt
        converted["style"], converted["explode"] = "form", fmt == "multi"
    return converted


def _response(r: dict[str, Any]) -> dict[str, Any]:
    converted: dict[str, Any] = {"description": r.get("description", "")}
    if "schema" in r:
        converted["content"] = {"application/json": {"schema": r["schema"]}}
    if "headers" in r:
        converted["headers"] = {
            name: {"schema": {k: h[k] for k in _SCHEMA_KEYS if k in h}} for name, h in r["headers"].items()
        }
    return converted


def oas3(swagger: dict[str, Any], paths: tuple[str, ...]) -> dict[str, Any]:
    out_paths = {}
    for path in paths:
        operation = copy.deepcopy(swagger["paths"][path]["get"])
        operation["parameters"] = [_parameter(p) for p in operation.get("parameters", [])]
        operation["responses"] = {code: _response(r) for code, r in operation["responses"].items()}
        operation.pop("consumes", None), operation.pop("produces", None)
        out_paths[path] = {"get": operation}
    return _refs(
        {
            "openapi": "3.0.3",
            "info": swagger["info"],
            "servers": [{"url": SP_API}],
            "paths": out_paths,
            "components": {"schemas": swagger["definitions"]},
        }
    )


@dataclass(frozen=True)
class Models:
    by_path: tuple[tuple[re.Pattern[str], str, OpenAPI], ...]
    declared: dict[str, frozenset[str]]  # template -> its query parameters (openapi-core lets others by)

    def operation(self, path: str) -> tuple[str, OpenAPI]:
        for pattern, template, api in self.by_path:
            if pattern.fullmatch(path):
                return template, api
        raise AssertionError(f"no official operation GET {path}")

    def check_request(self, request: httpx.Request) -> str:
        path = _sp_path(request)
        template, api = self.operation(path)
        unknown = {name for name, _ in request.url.params.multi_items()} - self.declared[template]
        assert not unknown, f"GET {template} takes no parameter {sorted(unknown)}"
        api.validate_request(_mock_request(request, path))
        return template

    def check_response(self, response: httpx.Response) -> None:
        path = _sp_path(response.request)
        _, api = self.operation(path)
        mock_response = MockResponse(
            response.content,
            status_code=response.status_code,
            headers=dict(response.headers),
            content_type=response.headers["content-type"],
        )
        api.validate_response(_mock_request(response.request, path), mock_response)


def _sp_path(request: httpx.Request) -> str:
    return "/" + request.url.path.split("/amazon/", 1)[1]


def _mock_request(request: httpx.Request, path: str) -> MockRequest:
    headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
    return MockRequest(SP_API, "get", path, args=list(request.url.params.multi_items()), headers=headers)


@functools.cache
def models() -> Models:
    found, declared = [], {}
    for name, paths in SERVED.items():
        swagger = json.loads((SPECS_DIR / "amazon-sp-api" / name).read_text())
        api = OpenAPI.from_dict(oas3(swagger, paths))
        for template in paths:
            parameters = swagger["paths"][template]["get"].get("parameters", [])
            declared[template] = frozenset(p["name"] for p in parameters if p["in"] == "query")
            pattern = re.compile(re.sub(r"\\\{[A-Za-z]+\\\}", "[^/]+", re.escape(template)))
            found.append((pattern, template, api))
    # Most specific first: /orders/v0/orders/{orderId}/orderItems before /orders/v0/orders/{orderId}.
    return Models(tuple(sorted(found, key=lambda f: -len(f[1]))), declared)


class Recorder(httpx.AsyncBaseTransport):
    """Every exchange the connector has with the sandbox, kept for checking afterwards."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.exchanges: list[httpx.Response] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        await response.aread()
        self.exchanges.append(response)
        return response


@pytest.fixture(scope="module")
def amazon() -> Iterator[AmazonSandbox]:
    sandbox = make_sandbox()
    sandbox.injector.faults.malformed = False  # a decimal comma is a string as the model says, yet not money
    yield sandbox


async def test_every_answer_of_the_sandbox_matches_the_official_models(amazon):
    spec = models()
    checked = 0
    us, de = MARKETPLACES[0].id, MARKETPLACES[3].id
    inventory = {"granularityType": "Marketplace", "granularityId": de, "marketplaceIds": de}
    async with connect(amazon) as api:

        async def check(path: str, status: int = 200, **params: Any) -> dict[str, Any]:
            nonlocal checked
            response = await api.get(path, params=params)
            assert response.status_code == status, response.text
            spec.check_response(response)
            spec.check_request(response.request)
            checked += 1
            return response.json()

        token = None
        while True:  # every order, then each in full with its items
            page = await check(
                "/orders/v0/orders", **EVERYTHING, MaxResultsPerPage=40, **({"NextToken": token} if token else {})
            )
            for order in page["payload"]["Orders"]:
                await check(f"/orders/v0/orders/{order['AmazonOrderId']}")
                await check(f"/orders/v0/orders/{order['AmazonOrderId']}/orderItems")
            if not (token := page["payload"].get("NextToken")):
                break
        created = {"CreatedAfter": "2024-01-02T00:00:00Z", "CreatedBefore": "2024-01-03T00:00:00Z"}
        await check(
            "/orders/v0/orders",
            MarketplaceIds=us,
            **created,
            OrderStatuses="Shipped,Canceled",
            FulfillmentChannels="AFN",
        )
        await amazon_settings(api, order_items_page_size=1)
        biggest = max(every_order(amazon), key=lambda o: len(o.items))
        items = await check(f"/orders/v0/orders/{biggest.id}/orderItems")
        await check(f"/orders/v0/orders/{biggest.id}/orderItems", NextToken=items["payload"]["NextToken"])
        token = None
        while True:
            window = {"PostedAfter": "2024-01-01T00:00:00Z", "PostedBefore": "2024-06-01T00:00:00Z"}
            page = await check(
                "/finances/v0/financialEvents",
                **window,
                MaxResultsPerPage=50,
                **({"NextToken": token} if token else {}),
            )
            if not (token := page["payload"].get("NextToken")):
                break
        token, groups = None, []
        while True:  # every settlement, and each one's events two a page
            window = {
                "FinancialEventGroupStartedAfter": "2023-12-01T00:00:00Z",
                "FinancialEventGroupStartedBefore": "2024-03-01T00:00:00Z",
                "MaxResultsPerPage": 4,
            }
            page = await check("/finances/v0/financialEventGroups", **window, **({"NextToken": token} if token else {}))
            groups += page["payload"]["FinancialEventGroupList"]
            for group in page["payload"]["FinancialEventGroupList"]:
                path = f"/finances/v0/financialEventGroups/{group['FinancialEventGroupId']}/financialEvents"
                events = await check(path, MaxResultsPerPage=2)
                await check(path, MaxResultsPerPage=2, NextToken=events["payload"]["NextToken"])
            if not (token := page["payload"].get("NextToken")):
                break
        assert len(groups) == len(amazon.groups) > 4
        token = None
        while True:
            page = await check(
                "/fba/inventory/v1/summaries", **inventory, details="true", **({"nextToken": token} if token else {})
            )
            if not (token := (page.get("pagination") or {}).get("nextToken")):
                break
        await check("/fba/inventory/v1/summaries", **inventory, sellerSkus="MUG-003-STA,NOT-005-A5")
        await check("/sellers/v1/marketplaceParticipations")
        # Refusals, each in the shape the model gives it.
        await check("/orders/v0/orders", 400, MarketplaceIds=us)
        await check("/orders/v0/orders/114-0000000-0000000", 404)
        await check("/finances/v0/financialEvents", 400, PostedBefore="2024-02-01T00:00:00Z")
        await check("/finances/v0/financialEventGroups", 400, FinancialEventGroupStartedAfter="2999-01-01T00:00:00Z")
        await check("/finances/v0/financialEventGroups/nosuchgroup/financialEvents", 404)
        await check("/fba/inventory/v1/summaries", 400, **{**inventory, "granularityId": us})
        await api.post("/_sandbox/faults", json={"throttle_next": 1, "fail_next": 1})
        await check("/orders/v0/orders", 429, **EVERYTHING)
        await check("/orders/v0/orders", 503, **EVERYTHING)
    async with connect(amazon, token=False) as anonymous:
        refused = await anonymous.get("/orders/v0/orders", params=EVERYTHING)
        assert refused.status_code == 403
        spec.check_response(refused)
    assert checked > 150


async def amazon_settings(api: httpx.AsyncClient, **settings: int) -> None:
    assert (await api.post("/_sandbox/settings", json=settings)).status_code == 200


async def test_the_check_is_live_a_malformed_answer_fails_it():
    sandbox = make_sandbox()
    async with connect(sandbox) as api:
        response = await api.get("/orders/v0/orders", params={**EVERYTHING, "MaxResultsPerPage": 1})
    body = response.json()
    body["payload"]["Orders"][0]["OrderTotal"] = {"CurrencyCode": "USD", "Amount": 12.5}  # a number, not a string
    broken = httpx.Response(200, json=body, request=response.request)
    with pytest.raises(InvalidData):
        models().check_response(broken)


async def test_every_request_the_connector_sends_and_its_answer_match_the_models(amazon):
    spec = models()
    recorder = Recorder()
    with serving(amazon) as mount:
        connector = AmazonConnector(AmazonCredentials(**amazon.credentials(mount)), transport=recorder)
        async with connector.client() as client:
            await connector.check(client)
            for stream in connector.streams.values():
                token = None
                while True:
                    page = await stream.read_page(client, SyncWindow(page_size=60), token)
                    if (token := page.next_token) is None:
                        break
            first = every_order(amazon)[0]
            await connector.fetch_record(client, "orders", first.id)
            window = SyncWindow(
                since=first.updated_at,
                until=every_order(amazon)[40].updated_at,
                filters={"orderStatus": ["Shipped", "Delivered"]},
            )
            await connector.streams["orders"].read_page(client, window, None)
    templates = set()
    for response in recorder.exchanges:
        if response.request.url.path.endswith("/auth/o2/token"):
            continue  # Login with Amazon: not an SP-API operation
        assert response.status_code == 200, response.text
        templates.add(spec.check_request(response.request))
        spec.check_response(response)
    assert templates == {t for paths in SERVED.values() for t in paths}
