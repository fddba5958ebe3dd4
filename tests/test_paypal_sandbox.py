"""The PayPal sandbox as an upstream: client credentials and bearer tokens (expiry, revocation,
rotation), Transaction Search's required dates, 31-day limit, pages and filters, its error bodies,
faults and rate limit, and money that adds up (fees on payments, part of the fee back on refunds,
chargebacks with their fee) in several currencies, yen without decimals.

Reached over ASGI as `ledgerlink sandbox` mounts it; `serving` puts it on a real socket for the
connector's tests.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AbstractContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from ledgerlink.canonical.money import to_minor
from ledgerlink.sandbox.dataset import Store
from ledgerlink.sandbox.faults import Faults
from ledgerlink.sandbox.paypal import PayPalSandbox
from ledgerlink.sandbox.paypal.history import fee_of
from ledgerlink.sandbox.paypal.search import MAX_RESULTS
from ledgerlink.sandbox.server import announcement, build_app
from tests.support.sandbox_server import serving_platform

MOUNT = "http://sandbox/paypal"
# Orders four hours apart: the account's 600 orders span 100 days, several 31-day search windows.
SEED, ORDERS, STEP, MALFORMED_EVERY = 7, 600, timedelta(hours=4), 97
START = datetime(2024, 1, 1, tzinfo=UTC)


def make_sandbox(orders: int = ORDERS, **options: Any) -> PayPalSandbox:
    """Rate limits off (tests that want them switch them on); malformed records served broken."""
    store = Store(seed=SEED, orders_count=orders, step=STEP, malformed_every=MALFORMED_EVERY)
    sandbox = PayPalSandbox(store, **options)
    sandbox.injector.faults.rate_limits = False
    return sandbox


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@asynccontextmanager
async def connect(sandbox: PayPalSandbox, *, token: bool = True) -> AsyncIterator[httpx.AsyncClient]:
    """A client on the mounted sandbox, holding a fresh bearer token unless told not to."""
    transport = httpx.ASGITransport(app=build_app({"paypal": sandbox}))
    async with httpx.AsyncClient(transport=transport, base_url=MOUNT) as client:
        if token:
            client.headers["Authorization"] = f"Bearer {await grant(client, sandbox)}"
        yield client


async def grant(client: httpx.AsyncClient, sandbox: PayPalSandbox) -> str:
    response = await client.post(
        "/v1/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(sandbox.issuer.client_id, sandbox.issuer.client_secret),
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def serving(sandbox: PayPalSandbox) -> AbstractContextManager[str]:
    """The sandbox server on a real loopback socket; yields the mount's URL."""
    return serving_platform("paypal", sandbox)


async def search_all(client: httpx.AsyncClient, start: datetime, end: datetime, **params: Any) -> list[dict[str, Any]]:
    """Every transaction from `start` to `end`, window by window, page by page."""
    found: list[dict[str, Any]] = []
    while start <= end:
        stop = min(start + timedelta(days=31) - timedelta(seconds=1), end)
        page = 1
        while True:
            query = {"start_date": stamp(start), "end_date": stamp(stop), "page_size": 100, "page": page, **params}
            response = await client.get("/v1/reporting/transactions", params=query)
            assert response.status_code == 200, response.text
            body = response.json()
            found += body.get("transaction_details", [])
            if page >= body["total_pages"]:
                break
            page += 1
        start = stop + timedelta(seconds=1)
    return found


@pytest.fixture(scope="module")
def paypal() -> PayPalSandbox:
    return make_sandbox()


@pytest.fixture
async def api(paypal: PayPalSandbox) -> AsyncIterator[httpx.AsyncClient]:
    """A client on the module's sandbox: rate limits off, records served whole (tests switch either on)."""
    paypal.injector.faults = Faults(rate_limits=False, malformed=False)
    async with connect(paypal) as client:
        yield client
    paypal.injector.faults = Faults(rate_limits=False, malformed=False)
    paypal.max_results = MAX_RESULTS


def span(paypal: PayPalSandbox) -> tuple[datetime, datetime]:
    return START, paypal.ledger.refreshed + timedelta(seconds=1)


# -- tokens -------------------------------------------------------------------------------------------


async def test_client_credentials_buy_a_bearer_token_and_bad_ones_are_refused_as_paypal_refuses_them(paypal):
    async with connect(paypal, token=False) as client:
        issued = await client.post(
            "/v1/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=(paypal.issuer.client_id, paypal.issuer.client_secret),
        )
        body = issued.json()
        assert body["token_type"] == "Bearer" and body["expires_in"] == 32400 and body["app_id"].startswith("APP-")
        assert "https://uri.paypal.com/services/reporting/search/read" in body["scope"].split()
        wrong = await client.post(
            "/v1/oauth2/token", data={"grant_type": "client_credentials"}, auth=(paypal.issuer.client_id, "E" * 80)
        )
        assert wrong.status_code == 401
        assert wrong.json() == {"error": "invalid_client", "error_description": "Client Authentication failed"}
        no_grant = await client.post("/v1/oauth2/token", auth=(paypal.issuer.client_id, paypal.issuer.client_secret))
        assert no_grant.status_code == 400 and no_grant.json()["error"] == "unsupported_grant_type"
        anonymous = await client.get("/v1/reporting/transactions")
        assert anonymous.status_code == 401 and anonymous.json()["name"] == "AUTHENTICATION_FAILURE"
        assert anonymous.headers["Paypal-Debug-Id"] == anonymous.json()["debug_id"]


async def test_tokens_expire_and_can_be_revoked_or_outlived_by_a_rotated_secret():
    now = [1000.0]
    sandbox = make_sandbox(clock=lambda: now[0])
    query = {"start_date": "2024-01-01T00:00:00Z", "end_date": "2024-01-02T00:00:00Z"}
    async with connect(sandbox) as client:
        assert (await client.get("/v1/reporting/transactions", params=query)).status_code == 200
        now[0] += 32_400  # PayPal's nine hours
        assert (await client.get("/v1/reporting/transactions", params=query)).status_code == 401
        sandbox.configure(expires_in=5)
        client.headers["Authorization"] = f"Bearer {await grant(client, sandbox)}"
        assert (await client.get("/v1/reporting/transactions", params=query)).status_code == 200
        sandbox.configure(expire_tokens=True)  # PayPal revoking every token early
        assert (await client.get("/v1/reporting/transactions", params=query)).status_code == 401
        old_secret = sandbox.issuer.client_secret
        sandbox.configure(rotate_secret=True)
        refused = await client.post(
            "/v1/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=(sandbox.issuer.client_id, old_secret),
        )
        assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
        settings = (await client.get("/_sandbox/settings")).json()
        assert settings["tokens_issued"] == 2 and settings["expires_in"] == 5 and settings["secret_generation"] == 1
        assert (await client.delete("/_sandbox/settings")).json()["expires_in"] == 32400


# -- the search -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field", "issue"),
    [
        ({}, "start_date", "MISSING_REQUIRED_PARAMETER"),
        ({"start_date": "2024-01-01T00:00:00Z"}, "end_date", "MISSING_REQUIRED_PARAMETER"),
        ({"start_date": "2024-01-01", "end_date": "2024-01-02T00:00:00Z"}, "start_date", "INVALID_PARAMETER_SYNTAX"),
        ({"start_date": "2024-01-01T00:00:00Z", "end_date": "2024-02-01T00:00:01Z"}, "end_date", "INVALID_DATE_RANGE"),
        ({"start_date": "2024-01-02T00:00:00Z", "end_date": "2024-01-01T00:00:00Z"}, "end_date", "INVALID_DATE_RANGE"),
        (
            {"start_date": "2024-01-01T00:00:00Z", "end_date": "2024-01-02T00:00:00Z", "page_size": 501},
            "page_size",
            "INVALID_PARAMETER_VALUE",
        ),
        (
            {"start_date": "2024-01-01T00:00:00Z", "end_date": "2024-01-02T00:00:00Z", "page": 0},
            "page",
            "INVALID_PARAMETER_VALUE",
        ),
        (
            {"start_date": "2024-01-01T00:00:00Z", "end_date": "2024-01-02T00:00:00Z", "fields": "everything"},
            "fields",
            "INVALID_PARAMETER_VALUE",
        ),
    ],
)
async def test_bad_searches_are_refused_with_the_field_and_issue(api, params, field, issue):
    response = await api.get("/v1/reporting/transactions", params=params)
    assert response.status_code == 400
    body = response.json()
    assert body["name"] == "INVALID_REQUEST" and body["details"][0]["field"] == field
    assert body["details"][0]["issue"] == issue and body["details"][0]["location"] == "query"


async def test_thirty_one_days_exactly_is_allowed_and_both_ends_are_inclusive(api, paypal):
    first = paypal.ledger.transactions[0]
    at = stamp(first.initiated)
    response = await api.get("/v1/reporting/transactions", params={"start_date": at, "end_date": at})
    assert [d["transaction_info"]["transaction_id"] for d in response.json()["transaction_details"]] == [first.id]
    month = {"start_date": "2024-01-01T00:00:00Z", "end_date": "2024-02-01T00:00:00Z"}
    assert (await api.get("/v1/reporting/transactions", params=month)).status_code == 200


async def test_pages_cover_a_window_once_in_initiation_order_and_an_empty_one_has_no_list(api, paypal):
    params = {"start_date": "2024-01-01T00:00:00Z", "end_date": "2024-01-31T23:59:59Z", "page_size": 7}
    first = (await api.get("/v1/reporting/transactions", params=params)).json()
    assert first["total_pages"] == -(-first["total_items"] // 7) and first["total_pages"] >= 3
    assert {link["rel"] for link in first["links"]} == {"self", "next", "last"}
    ids = []
    for page in range(1, first["total_pages"] + 1):
        body = (await api.get("/v1/reporting/transactions", params={**params, "page": page})).json()
        assert body["page"] == page and len(body["transaction_details"]) <= 7
        ids += [d["transaction_info"]["transaction_id"] for d in body["transaction_details"]]
    expected = [t for t in paypal.ledger.transactions if t.initiated < datetime(2024, 2, 1, tzinfo=UTC)]
    assert ids == [t.id for t in expected] and len(ids) == first["total_items"]
    beyond = (await api.get("/v1/reporting/transactions", params={**params, "page": first["total_pages"] + 1})).json()
    assert "transaction_details" not in beyond and beyond["total_items"] == first["total_items"]
    empty = {"start_date": "2023-01-01T00:00:00Z", "end_date": "2023-01-31T00:00:00Z"}
    body = (await api.get("/v1/reporting/transactions", params=empty)).json()
    assert "transaction_details" not in body and (body["total_items"], body["total_pages"]) == (0, 0)


async def test_filters_and_fields(api, paypal):
    start, end = "2024-01-01T00:00:00Z", "2024-01-31T23:59:59Z"
    base = {"start_date": start, "end_date": end, "page_size": 500}
    payments = (await api.get("/v1/reporting/transactions", params={**base, "transaction_type": "T0006"})).json()
    assert {d["transaction_info"]["transaction_event_code"] for d in payments["transaction_details"]} == {"T0006"}
    assert set(payments["transaction_details"][0]) == {"transaction_info"}  # the default fields
    one = payments["transaction_details"][3]["transaction_info"]["transaction_id"]
    params = {**base, "transaction_id": one, "fields": "all"}
    found = (await api.get("/v1/reporting/transactions", params=params)).json()
    assert [d["transaction_info"]["transaction_id"] for d in found["transaction_details"]] == [one]
    assert set(found["transaction_details"][0]) == {
        "transaction_info", "payer_info", "shipping_info", "cart_info", "store_info", "auction_info", "incentive_info",
    }  # fmt: skip
    pending = (await api.get("/v1/reporting/transactions", params={**base, "transaction_status": "P"})).json()
    assert all(d["transaction_info"]["transaction_status"] == "P" for d in pending.get("transaction_details", []))
    euros = (await api.get("/v1/reporting/transactions", params={**base, "transaction_currency": "EUR"})).json()
    codes = {d["transaction_info"]["transaction_amount"]["currency_code"] for d in euros["transaction_details"]}
    assert codes == {"EUR"}


async def test_a_result_set_over_the_limit_is_refused(api, paypal):
    paypal.configure(max_results=20)
    response = await api.get(
        "/v1/reporting/transactions", params={"start_date": "2024-01-01T00:00:00Z", "end_date": "2024-01-31T00:00:00Z"}
    )
    assert response.status_code == 400 and response.json()["details"][0]["issue"] == "RESULTSET_TOO_LARGE"


# -- the money ----------------------------------------------------------------------------------------


async def test_about_a_fifth_of_orders_pay_with_paypal_in_several_currencies_with_fees(api, paypal):
    details = await search_all(api, *span(paypal), fields="all")
    assert [d["transaction_info"]["transaction_id"] for d in details] == [t.id for t in paypal.ledger.transactions]
    payments = [d for d in details if d["transaction_info"]["transaction_event_code"] == "T0006"]
    assert 0.15 * ORDERS < len(payments) < 0.25 * ORDERS
    codes = Counter(d["transaction_info"]["transaction_event_code"] for d in details)
    assert codes["T1107"] > 0 and codes["T1201"] > 0 and codes["T0106"] == codes["T1201"] and codes["T1202"] > 0
    currencies = {d["transaction_info"]["transaction_amount"]["currency_code"] for d in payments}
    assert currencies >= {"USD", "EUR", "GBP", "JPY", "MYR"} and "KWD" not in currencies  # PayPal takes no dinars
    for detail in payments:
        info = detail["transaction_info"]
        gross = info["transaction_amount"]
        if gross["currency_code"] == "JPY":
            assert "." not in gross["value"]
        if info["transaction_status"] == "D":
            assert "fee_amount" not in info
            continue
        minor = to_minor(gross["value"], gross["currency_code"])
        assert to_minor(info["fee_amount"]["value"], gross["currency_code"]) == -fee_of(minor, gross["currency_code"])
        assert info.get("invoice_id") or info.get("custom_field")
        assert detail["payer_info"]["email_address"] and detail["cart_info"]["item_details"]


async def test_refunds_and_chargebacks_point_at_their_payment_and_never_exceed_it(api, paypal):
    details = await search_all(api, *span(paypal))
    by_id = {d["transaction_info"]["transaction_id"]: d["transaction_info"] for d in details}
    taken: Counter[str] = Counter()
    refunded: Counter[str] = Counter()
    for info in by_id.values():
        if info["transaction_event_code"] in ("T1107", "T1201"):
            payment = by_id[info["paypal_reference_id"]]
            assert info["paypal_reference_id_type"] == "TXN" and payment["transaction_status"] in ("S", "V")
            amount = -Decimal(info["transaction_amount"]["value"])
            assert amount > 0
            taken[payment["transaction_id"]] += amount
        if info["transaction_event_code"] == "T1107":
            assert Decimal(info["fee_amount"]["value"]) > 0  # part of the fee comes back
            refunded[info["paypal_reference_id"]] += -Decimal(info["transaction_amount"]["value"])
    for payment_id, total in taken.items():
        gross = Decimal(by_id[payment_id]["transaction_amount"]["value"])
        assert total <= gross
        assert (by_id[payment_id]["transaction_status"] == "V") == (refunded[payment_id] == gross)  # refunded in full


async def test_malformed_records_are_broken_while_the_faults_say_so(api, paypal):
    broken = next(t for t in paypal.ledger.transactions if t.malformed)
    params = {"start_date": stamp(broken.initiated), "end_date": stamp(broken.initiated), "transaction_id": broken.id}
    body = (await api.get("/v1/reporting/transactions", params=params)).json()
    assert "currency_code" in body["transaction_details"][0]["transaction_info"]["transaction_amount"]
    await api.post("/_sandbox/faults", json={"malformed": True})
    body = (await api.get("/v1/reporting/transactions", params=params)).json()
    assert "currency_code" not in body["transaction_details"][0]["transaction_info"]["transaction_amount"]


# -- faults and the rate ------------------------------------------------------------------------------


async def test_injected_faults_answer_as_paypal_does(api):
    params = {"start_date": "2024-01-01T00:00:00Z", "end_date": "2024-01-02T00:00:00Z"}
    await api.post("/_sandbox/faults", json={"throttle_next": 1, "fail_next": 1, "error_status": 500})
    throttled = await api.get("/v1/reporting/transactions", params=params)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "1"
    assert throttled.json()["name"] == "RATE_LIMIT_REACHED"
    failed = await api.get("/v1/reporting/transactions", params=params)
    assert failed.status_code == 500 and failed.json()["name"] == "INTERNAL_SERVER_ERROR"
    assert (await api.get("/v1/reporting/transactions", params=params)).status_code == 200
    missing = await api.get("/v1/payments/captures/X")
    assert missing.status_code == 404 and missing.json()["name"] == "RESOURCE_NOT_FOUND"


async def test_the_rate_limit_answers_429_with_retry_after():
    sandbox = make_sandbox()
    sandbox.injector.faults.rate_limits = True
    sandbox.configure(per_second=3)
    params = {"start_date": "2024-01-01T00:00:00Z", "end_date": "2024-01-02T00:00:00Z"}
    async with connect(sandbox) as client:
        statuses = [(await client.get("/v1/reporting/transactions", params=params)) for _ in range(5)]
    # The token request spent one of the three.
    assert [r.status_code for r in statuses] == [200, 200, 429, 429, 429]
    assert statuses[-1].headers["Retry-After"] == "1" and sandbox.injector.stats.throttled == 3


def test_the_server_announces_paypal_credentials_for_setup():
    sandbox = make_sandbox()
    announced = announcement({"paypal": sandbox}, "http://127.0.0.1:8900")["paypal"]
    credentials = announced["credentials"]
    assert credentials["apiBaseUrl"] == "http://127.0.0.1:8900/paypal" and credentials["environment"] == "sandbox"
    assert credentials["clientId"] == sandbox.issuer.client_id and len(credentials["webhookId"]) == 17
