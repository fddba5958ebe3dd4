"""The Stripe sandbox and connector against Stripe's official OpenAPI description (spec3.yaml, API
version 2023-08-16): every answer the sandbox gives, and every request the connector sends with the
answer it got, validate with openapi-core.

spec3.yaml is 4 MB; it is read once per session and cut to the paths served here and the components
they reach. Two readings of it are made explicit rather than left to fail:
- Stripe writes `nullable: true` beside `anyOf` and `enum` (OAS 3.0.0's reading: null is allowed);
  openapi-schema-validator follows 3.0.3's clarification (nullable only with `type`, and an enum must
  list null). The cut adds the null alternative where the description says nullable.
- Stripe's nested query parameters (`created[gte]=…`, `expand[]=…`) are `style: deepObject` on a
  non-object schema, which openapi-core cannot deserialise. They are taken out of the operations and
  checked here instead: parsed from the brackets, cast by their schema and validated against it.
Every other query parameter must be one the operation declares (openapi-core lets unknown ones by).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import yaml
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from openapi_core.validation.response.exceptions import InvalidData
from openapi_schema_validator import OAS30Validator

from ledgerlink.connectors.framework.window import SyncWindow
from ledgerlink.connectors.stripe.connector import StripeConnector
from ledgerlink.connectors.stripe.credentials import StripeCredentials
from ledgerlink.sandbox.stripe import StripeSandbox
from tests.conftest import SPECS_DIR
from tests.test_stripe_sandbox import all_pages, connect, make_sandbox, serving

pytestmark = pytest.mark.slow

SERVED_PATHS = (
    "/v1/balance", "/v1/charges", "/v1/charges/{charge}", "/v1/payment_intents", "/v1/payment_intents/{intent}",
    "/v1/refunds", "/v1/refunds/{refund}", "/v1/disputes", "/v1/disputes/{dispute}", "/v1/balance_transactions",
    "/v1/balance_transactions/{id}", "/v1/payouts", "/v1/payouts/{payout}", "/v1/events", "/v1/events/{id}",
)  # fmt: skip
LISTS = ("/v1/charges", "/v1/payment_intents", "/v1/refunds", "/v1/disputes", "/v1/balance_transactions", "/v1/payouts")
EXPANSIONS = {
    "/v1/charges": ["data.balance_transaction", "data.payment_intent", "data.refunds"],
    "/v1/refunds": ["data.balance_transaction", "data.charge"],
    "/v1/balance_transactions": ["data.source"],
    "/v1/payment_intents": ["data.latest_charge"],
    "/v1/disputes": ["data.charge"],
    "/v1/payouts": ["data.balance_transaction"],
}
STRIPE = "https://api.stripe.com"
_BRACKETED = re.compile(r"([a-z_]+)\[([a-z_0-9]*)\]")


def _allow_null(node: Any) -> None:
    """Where Stripe says nullable, let null through the way openapi-schema-validator understands it."""
    if isinstance(node, dict):
        if node.get("nullable") is True:
            if "anyOf" in node and not any(alt.get("nullable") for alt in node["anyOf"]):
                node["anyOf"] = [*node["anyOf"], {"type": "string", "nullable": True, "enum": [None]}]
            if "enum" in node and None not in node["enum"]:
                node["enum"] = [*node["enum"], None]
        for value in node.values():
            _allow_null(value)
    elif isinstance(node, list):
        for value in node:
            _allow_null(value)


def _reached(node: Any, schemas: dict[str, Any], seen: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and (name := ref.rsplit("/", 1)[1]) not in seen:
            seen.add(name)
            _reached(schemas[name], schemas, seen)
        for key, value in node.items():
            if key != "$ref":
                _reached(value, schemas, seen)
    elif isinstance(node, list):
        for value in node:
            _reached(value, schemas, seen)


@dataclass(frozen=True)
class Operation:
    template: str
    pattern: re.Pattern[str]
    declared: frozenset[str]  # every query parameter it takes
    nested: dict[str, Any]  # deepObject parameter -> its schema


@dataclass(frozen=True)
class StripeSpec:
    api: OpenAPI
    operations: tuple[Operation, ...]
    components: dict[str, Any]  # the cut's, for validating objects on their own

    def operation(self, path: str) -> Operation:
        found = [op for op in self.operations if op.pattern.fullmatch(path)]
        assert found, f"the description has no GET {path}"
        return min(found, key=lambda op: op.template.count("{"))  # /v1/balance before /v1/balance/{…}

    def check_request(self, request: httpx.Request) -> None:
        path = _stripe_path(request)
        operation = self.operation(path)
        plain, nested = [], {}
        for key, value in request.url.params.multi_items():
            match = _BRACKETED.fullmatch(key)
            name = match.group(1) if match else key
            assert name in operation.declared, f"GET {operation.template} takes no parameter {key!r}"
            if match is None:
                plain.append((key, value))
                continue
            assert name in operation.nested, f"{name} is not a nested parameter of GET {operation.template}"
            sub = match.group(2)
            if sub == "" or sub.isdigit():
                nested.setdefault(name, []).append(value)
            else:
                nested.setdefault(name, {})[sub] = value
        for name, raw in nested.items():
            schema = operation.nested[name]
            value = _cast(schema, raw)
            OAS30Validator(schema).validate(value)
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        self.api.validate_request(MockRequest(STRIPE, request.method.lower(), path, args=plain, headers=headers))

    def check_response(self, response: httpx.Response) -> None:
        request = response.request
        path = _stripe_path(request)
        plain = [(k, v) for k, v in request.url.params.multi_items() if "[" not in k]
        mock_request = MockRequest(STRIPE, request.method.lower(), path, args=plain, headers=dict(request.headers))
        mock_response = MockResponse(
            response.content,
            status_code=response.status_code,
            headers=dict(response.headers),
            content_type=response.headers["content-type"],
        )
        self.api.validate_response(mock_request, mock_response)


def _stripe_path(request: httpx.Request) -> str:
    return "/v1" + request.url.path.split("/v1", 1)[1]


def _cast(schema: dict[str, Any], raw: Any) -> Any:
    """A bracketed parameter's strings as its schema types them (`{"gte": "5"}` -> `{"gte": 5}`)."""
    if "anyOf" in schema:
        for alternative in schema["anyOf"]:
            value = _cast(alternative, raw)
            if OAS30Validator(alternative).is_valid(value):
                return value
        return raw
    kind = schema.get("type")
    if kind == "object" and isinstance(raw, dict):
        properties = schema.get("properties", {})
        return {key: _cast(properties.get(key, {}), value) for key, value in raw.items()}
    if kind == "array" and isinstance(raw, list):
        return [_cast(schema.get("items", {}), value) for value in raw]
    if kind == "integer" and isinstance(raw, str) and re.fullmatch(r"-?\d+", raw):
        return int(raw)
    return raw


@functools.cache
def stripe_spec() -> StripeSpec:
    """spec3.yaml, read once, cut to the served GETs and what they reach, readings made explicit."""
    document = yaml.load((SPECS_DIR / "stripe" / "spec3.yaml").read_text(), Loader=yaml.CSafeLoader)
    schemas = document["components"]["schemas"]
    paths, operations = {}, []
    for template in SERVED_PATHS:
        operation = dict(document["paths"][template]["get"])
        parameters = operation.get("parameters", [])
        operation.pop("requestBody", None)  # a GET's empty form body
        operation["parameters"] = [p for p in parameters if p.get("style") != "deepObject"]
        paths[template] = {"get": operation}
        operations.append(
            Operation(
                template,
                re.compile(re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(template))),
                frozenset(p["name"] for p in parameters if p["in"] == "query"),
                {p["name"]: p["schema"] for p in parameters if p.get("style") == "deepObject"},
            )
        )
    seen: set[str] = set()
    _reached(paths, schemas, seen)
    cut = {
        **document,
        "paths": paths,
        "components": {**document["components"], "schemas": {k: schemas[k] for k in seen}},
    }
    _allow_null(cut)
    return StripeSpec(OpenAPI.from_dict(cut), tuple(operations), cut["components"])


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
def stripe() -> Iterator[StripeSandbox]:
    sandbox = make_sandbox()
    sandbox.injector.faults.malformed = False  # broken charges are broken on purpose: not Stripe's shape
    yield sandbox


async def test_every_answer_of_the_sandbox_matches_the_official_description(stripe):
    spec = stripe_spec()
    checked = 0
    async with connect(stripe) as api:

        async def check(path: str, **params: Any) -> dict[str, Any]:
            nonlocal checked
            response = await api.get(path, params=params)
            spec.check_response(response)
            spec.check_request(response.request)
            checked += 1
            return response.json()

        for path in LISTS:
            for obj in await all_pages(api, path, **{"expand[]": EXPANSIONS[path]}):
                kind = path.rsplit("/", 1)[1]
                await check(
                    f"/v1/{kind}/{obj['id']}", **{"expand[]": [e.removeprefix("data.") for e in EXPANSIONS[path]]}
                )
            first = await check(path, limit=100)
            await check(path, limit=3, starting_after=first["data"][-1]["id"], **{"created[gte]": 1})
            await check(path, limit=3, ending_before=first["data"][-1]["id"])
        events = await check("/v1/events", limit=100, **{"types[]": ["charge.refunded", "payout.paid"]})
        after: str | None = None
        while True:  # every event: each carries a snapshot of its object
            page = await check("/v1/events", limit=100, **({"starting_after": after} if after else {}))
            if not page["has_more"]:
                break
            after = page["data"][-1]["id"]
        await check(f"/v1/events/{events['data'][0]['id']}")
        await check("/v1/balance")
        payout = stripe.world.payouts.items[0].id
        await check("/v1/balance_transactions", limit=100, payout=payout, type="charge", currency="usd")
        await check("/v1/payouts", status="paid", **{"arrival_date[lte]": stripe.world.now})
        for path, params in [
            ("/v1/charges/ch_nope", {}),
            ("/v1/charges", {"limit": 101}),
            ("/v1/charges", {"starting_after": "ch_nope"}),
            ("/v1/charges", {"expand[]": "data.customer"}),
        ]:
            response = await api.get(path, params=params)
            assert response.status_code in (400, 404)
            spec.check_response(response)
        await api.post("/_sandbox/faults", json={"throttle_next": 1, "fail_next": 1})
        for status in (429, 503):
            response = await api.get("/v1/charges")
            assert response.status_code == status
            spec.check_response(response)
    async with connect(stripe, key=None) as anonymous:
        refused = await anonymous.get("/v1/charges")
        assert refused.status_code == 401
        spec.check_response(refused)
    assert checked > 500


async def test_the_check_is_live_a_broken_charge_fails_it():
    sandbox = make_sandbox()  # malformed charges served broken: the amount as a decimal string
    async with connect(sandbox) as api:
        charges = await all_pages(api, "/v1/charges")
        broken = next(c for c in charges if isinstance(c["amount"], str))
        response = await api.get(f"/v1/charges/{broken['id']}")
    with pytest.raises(InvalidData):
        stripe_spec().check_response(response)


async def test_every_request_the_connector_sends_and_its_answer_match_the_description(stripe):
    spec = stripe_spec()
    recorder = Recorder()
    with serving(stripe) as mount:
        connector = StripeConnector(StripeCredentials(**stripe.credentials(mount)), transport=recorder)
        async with connector.client() as client:
            await connector.check(client)
            for name, stream in connector.streams.items():
                window = SyncWindow(page_size=100)
                token = None
                while True:
                    page = await stream.read_page(client, window, token)
                    token = page.next_token
                    if token is None:
                        break
                first = await stream.read_page(client, SyncWindow(page_size=5), None)
                await connector.fetch_record(client, name, stream.external_id(first.records[0]))
            since, until = stripe.world.charges.items[50].created, stripe.world.charges.items[10].created
            window = SyncWindow(since=_utc(since), until=_utc(until), page_size=10)
            await connector.streams["payments"].read_page(client, window, None)
            await connector.fetch_record(client, "payments", stripe.world.charges.items[0].intent_id)
    paths = set()
    for response in recorder.exchanges:
        assert response.status_code == 200, response.text
        spec.check_request(response.request)
        spec.check_response(response)
        paths.add(spec.operation(_stripe_path(response.request)).template)
    assert paths == set(SERVED_PATHS) - {"/v1/events", "/v1/events/{id}", "/v1/payment_intents"}


def _utc(stamp: int) -> datetime:
    return datetime.fromtimestamp(stamp, UTC)
