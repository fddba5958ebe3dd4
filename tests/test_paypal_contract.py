"""The PayPal sandbox and connector against PayPal's official OpenAPI descriptions (Transaction Search
v1, Disputes v1 and Webhooks Management v1): every answer the sandbox gives, and every request the
connector sends with the answer it got, validate with openapi-core.

Three readings of the descriptions are made explicit rather than left to fail:
- Transaction Search's server is `https://api-m.paypal.com/v1/reporting` while its paths already
  begin `/v1/reporting`: the server is taken as the host alone.
- The verify-webhook-signature request echoes the event as PayPal delivered it, but the `event`
  schema marks its fields readOnly, which forbids them in a request: the cut drops readOnly there.
- PayPal answers throttling with 429 `RATE_LIMIT_REACHED`, which Transaction Search's error schema
  (a oneOf of fixed names) does not list; a 429 is held to PayPal's generic error schema instead
  (the Webhooks description's `error`), and the test asserts that the search's own schema refuses it.
- The Disputes description does not pass OpenAPI 3.0's own checks: a parameter carries its `enum`
  beside its schema (`dispute_state`, whose values are comma-separated anyway), parameter defaults
  are prose ("Current date and time", "The first page of data") that their own patterns refuse, a
  tag and some enum values are listed twice. Those are cut (`_repair`); nothing else is.
The token endpoint (`/v1/oauth2/token`) is in no description: its requests are checked by hand.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from openapi_core.validation.response.exceptions import InvalidData

from ledgerlink.connectors.framework.window import SyncWindow
from ledgerlink.connectors.paypal.connector import PayPalConnector
from ledgerlink.connectors.paypal.credentials import PayPalCredentials
from ledgerlink.sandbox.paypal import PayPalSandbox
from tests.conftest import SPECS_DIR
from tests.test_paypal_sandbox import connect, make_sandbox, serving, span, stamp

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:Unsupported scheme type:UserWarning")]

HOST = "https://api-m.paypal.com"
SEARCH, VERIFY, TOKEN = "/v1/reporting/transactions", "/v1/notifications/verify-webhook-signature", "/v1/oauth2/token"
DISPUTES = "/v1/customer/disputes"


def _drop_read_only(node: Any) -> None:
    if isinstance(node, dict):
        node.pop("readOnly", None)
        for value in node.values():
            _drop_read_only(value)
    elif isinstance(node, list):
        for value in node:
            _drop_read_only(value)


@functools.cache
def reporting() -> OpenAPI:
    document = json.loads((SPECS_DIR / "paypal" / "reporting_transactions_v1.json").read_text())
    document["servers"] = [{"url": HOST}]
    return OpenAPI.from_dict(document)


@functools.cache
def notifications() -> OpenAPI:
    document = json.loads((SPECS_DIR / "paypal" / "notifications_webhooks_v1.json").read_text())
    document["servers"] = [{"url": HOST}]
    schemas = document["components"]["schemas"]
    for name in ("event", "link_description"):
        schemas[name] = copy.deepcopy(schemas[name])
        _drop_read_only(schemas[name])
    return OpenAPI.from_dict(document)


def _dedupe_enums(node: Any) -> None:
    if isinstance(node, dict):
        if isinstance(node.get("enum"), list):
            node["enum"] = list(dict.fromkeys(node["enum"]))
        for value in node.values():
            _dedupe_enums(value)
    elif isinstance(node, list):
        for value in node:
            _dedupe_enums(value)


def _repair(document: dict[str, Any]) -> None:
    for parameter in document["components"]["parameters"].values():
        parameter.pop("enum", None)
        if isinstance(parameter["schema"].get("default"), str):  # prose, not a value
            del parameter["schema"]["default"]
    document["tags"] = list({tag["name"]: tag for tag in document.get("tags", [])}.values())
    _dedupe_enums(document)


@functools.cache
def disputes() -> OpenAPI:
    document = json.loads((SPECS_DIR / "paypal" / "customer_disputes_v1.json").read_text())
    document["servers"] = [{"url": HOST}]
    _repair(document)
    return OpenAPI.from_dict(document)


def _path(request: httpx.Request) -> str:
    return "/v1/" + request.url.path.split("/v1/", 1)[1]


def _mock_request(request: httpx.Request) -> MockRequest:
    return MockRequest(
        HOST,
        request.method.lower(),
        _path(request),
        args=list(request.url.params.multi_items()),
        headers={k: v for k, v in request.headers.items() if k.lower() != "host"},
        data=request.content or None,
        content_type=request.headers.get("content-type", "application/json"),
    )


def _mock_response(response: httpx.Response) -> MockResponse:
    return MockResponse(
        response.content,
        status_code=response.status_code,
        headers=dict(response.headers),
        content_type=response.headers["content-type"],
    )


def spec_for(request: httpx.Request) -> OpenAPI:
    path = _path(request)
    if path.startswith(DISPUTES):
        return disputes()
    assert path in (SEARCH, VERIFY), f"no description covers {request.method} {path}"
    return reporting() if path == SEARCH else notifications()


def check_response(response: httpx.Response) -> None:
    request = response.request
    if response.status_code == 429:
        with pytest.raises(InvalidData):  # the gap in Transaction Search's description, kept in view
            reporting().validate_response(_mock_request(request), _mock_response(response))
        verify = httpx.Request("POST", f"{HOST}{VERIFY}", json={})
        notifications().validate_response(_mock_request(verify), _mock_response(response))
        return
    spec_for(request).validate_response(_mock_request(request), _mock_response(response))


def check_request(request: httpx.Request) -> None:
    spec_for(request).validate_request(_mock_request(request))


class Recorder(httpx.AsyncBaseTransport):
    """Every exchange the connector has with the sandbox, kept for checking afterwards."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.exchanges: list[httpx.Response] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        response = await self.inner.handle_async_request(request)
        await response.aread()
        self.exchanges.append(response)
        return response


@pytest.fixture(scope="module")
def paypal() -> Iterator[PayPalSandbox]:
    sandbox = make_sandbox()
    sandbox.injector.faults.malformed = False  # broken records are broken on purpose: not PayPal's shape
    yield sandbox


def _verify_body(sandbox: PayPalSandbox, headers: dict[str, str], body: bytes, **changes: Any) -> dict[str, Any]:
    return {
        "auth_algo": headers["PAYPAL-AUTH-ALGO"],
        "cert_url": headers["PAYPAL-CERT-URL"],
        "transmission_id": headers["PAYPAL-TRANSMISSION-ID"],
        "transmission_sig": headers["PAYPAL-TRANSMISSION-SIG"],
        "transmission_time": headers["PAYPAL-TRANSMISSION-TIME"],
        "webhook_id": sandbox.signer.webhook_id,
        "webhook_event": json.loads(body),
        **changes,
    }


async def test_every_answer_of_the_sandbox_matches_the_official_description(paypal):
    checked = 0
    async with connect(paypal) as api:

        async def check(method: str, path: str, *, well_formed: bool = True, **kwargs: Any) -> httpx.Response:
            nonlocal checked
            response = await api.request(method, path, **kwargs)
            check_response(response)
            if well_formed:
                check_request(response.request)
            checked += 1
            return response

        start, end = span(paypal)
        seen: list[str] = []
        while start <= end:  # every transaction, in full, page by page
            stop = min(start + timedelta(days=31) - timedelta(seconds=1), end)
            page = 1
            while True:
                params = {"start_date": stamp(start), "end_date": stamp(stop), "fields": "all", "page_size": 20}
                body = (await check("GET", SEARCH, params={**params, "page": page})).json()
                seen += [d["transaction_info"]["transaction_id"] for d in body.get("transaction_details", [])]
                if page >= body["total_pages"]:
                    break
                page += 1
            start = stop + timedelta(seconds=1)
        january = {"start_date": "2024-01-01T00:00:00Z", "end_date": "2024-01-31T23:59:59Z"}
        for extra in (
            {},
            {"fields": "transaction_info,payer_info"},
            {"transaction_type": "T1107", "fields": "all"},
            {"transaction_status": "D", "fields": "cart_info"},
            {"transaction_currency": "JPY", "balance_affecting_records_only": "N"},
            {"page": 99},
        ):
            await check("GET", SEARCH, params={**january, **extra})
        await check("GET", SEARCH, params={"start_date": "2023-01-01T00:00:00Z", "end_date": "2023-01-02T00:00:00Z"})
        for bad in (
            {},
            {**january, "end_date": "2024-03-01T00:00:00Z"},
            {**january, "page_size": 0},
            {**january, "fields": "nope"},
        ):
            assert (await check("GET", SEARCH, params=bad, well_formed=False)).status_code == 400
        paypal.configure(max_results=5)
        assert (await check("GET", SEARCH, params=january)).status_code == 400
        paypal.max_results = 10_000
        await api.post("/_sandbox/faults", json={"throttle_next": 1, "fail_next": 2, "error_status": 503})
        for status in (429, 503, 503):
            assert (await check("GET", SEARCH, params=january)).status_code == status
        await api.post("/_sandbox/faults", json={"fail_next": 1, "error_status": 500})
        assert (await check("GET", SEARCH, params=january)).status_code == 500

        listed: list[str] = []
        params: dict[str, Any] = {"page_size": 2}
        while True:  # every dispute, summary and detail, page by page
            body = (await check("GET", DISPUTES, params=params)).json()
            for item in body.get("items", []):
                listed.append(item["dispute_id"])
                await check("GET", f"{DISPUTES}/{item['dispute_id']}")
            following = [link["href"] for link in body["links"] if link["rel"] == "next"]
            if not following:
                break
            params = dict(httpx.URL(following[0]).params)
        assert listed == [d.id for d in paypal.ledger.disputes] and len(listed) > 2
        paid = paypal.ledger.disputes[0].payment.id
        for extra in (
            {"disputed_transaction_id": paid},
            {"update_time_after": "2024-03-01T00:00:00.000Z", "update_time_before": "2024-04-01T00:00:00Z"},
            {"start_time": "2024-02-01T00:00:00Z", "dispute_state": "RESOLVED"},
        ):
            await check("GET", DISPUTES, params=extra)
        for bad in ({"page_size": 51}, {"next_page_token": "bm9wZQ=="}, {"update_time_after": "yesterday"}):
            assert (await check("GET", DISPUTES, params=bad, well_formed=False)).status_code == 400
        assert (await check("GET", f"{DISPUTES}/PP-D-0")).status_code == 404

        txn = next(t for t in paypal.ledger.transactions if t.event_code == "T1107")
        headers, body = paypal.signer.delivery(paypal.signer.event(txn))
        good = await check("POST", VERIFY, json=_verify_body(paypal, headers, body))
        assert good.json() == {"verification_status": "SUCCESS"}
        forged = json.loads(body)
        forged["resource"]["amount"]["value"] = "0.01"
        tampered = await check("POST", VERIFY, json=_verify_body(paypal, headers, body, webhook_event=forged))
        assert tampered.json() == {"verification_status": "FAILURE"}
        other = await check("POST", VERIFY, json=_verify_body(paypal, headers, body, webhook_id="1JE4291016473214C"))
        assert other.json() == {"verification_status": "FAILURE"}
        incomplete = _verify_body(paypal, headers, body)
        del incomplete["transmission_sig"]
        response = await api.post(VERIFY, json=incomplete)
        assert response.status_code == 400
        check_response(response)
    async with connect(paypal, token=False) as anonymous:
        for method, path in (("GET", SEARCH), ("POST", VERIFY), ("GET", DISPUTES)):
            refused = await anonymous.request(method, path)
            assert refused.status_code == 401
            check_response(refused)
    assert seen == [t.id for t in paypal.ledger.transactions] and checked > 20


async def test_the_check_is_live_a_broken_record_fails_it():
    sandbox = make_sandbox()  # malformed records served broken: an amount without its currency
    async with connect(sandbox) as api:
        broken = next(t for t in sandbox.ledger.transactions if t.malformed)
        at = stamp(broken.initiated)
        response = await api.get(SEARCH, params={"start_date": at, "end_date": at, "transaction_id": broken.id})
    with pytest.raises(InvalidData):
        reporting().validate_response(_mock_request(response.request), _mock_response(response))


async def test_every_request_the_connector_sends_and_its_answer_match_the_description(paypal):
    recorder = Recorder()
    with serving(paypal) as mount:
        connector = PayPalConnector(PayPalCredentials(**paypal.credentials(mount)), transport=recorder)
        async with connector.client() as client:
            await connector.check(client)
            start, end = span(paypal)
            for stream in connector.streams.values():
                token = None
                while True:
                    page = await stream.read_page(client, SyncWindow(since=start, until=end, page_size=100), token)
                    if (token := page.next_token) is None:
                        break
            await connector.fetch_record(client, "payments", "0" * 17)
            assert await connector.fetch_record(client, "disputes", paypal.ledger.disputes[0].id)
            headers, body = paypal.signer.delivery(paypal.signer.event(paypal.ledger.transactions[0]))
            assert await connector.verify_webhook(client, headers, body)
    tokens = [r for r in recorder.exchanges if _path(r.request) == TOKEN]
    assert len(tokens) == 1  # one token, reused by every request
    request = tokens[0].request
    assert request.headers["authorization"].startswith("Basic ")
    assert request.content == b"grant_type=client_credentials"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    paths = set()
    for response in recorder.exchanges:
        if _path(response.request) == TOKEN:
            continue
        assert response.status_code == 200, response.text
        assert response.request.headers["authorization"] == f"Bearer {tokens[0].json()['access_token']}"
        check_request(response.request)
        check_response(response)
        paths.add(_path(response.request).rstrip("0123456789").removesuffix("/PP-D-"))
    assert paths == {SEARCH, VERIFY, DISPUTES}
