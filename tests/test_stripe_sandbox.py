"""The Stripe sandbox as an upstream: Stripe's list envelope and cursor paging, filters, expansion,
auth, its per-second read limit and injected faults, and money that adds up (fees, refunds, disputes,
payouts) in several currencies, zero-decimal JPY and converted MYR/KWD among them.

Reached over ASGI as `ledgerlink sandbox` mounts it (server.build_app); `serving` puts it on a real
socket for the connector's tests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractContextManager, asynccontextmanager
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pytest

from ledgerlink.canonical.money import exponent
from ledgerlink.connectors.stripe.credentials import StripeCredentials
from ledgerlink.sandbox.dataset import CURRENCIES, Store
from ledgerlink.sandbox.faults import Faults
from ledgerlink.sandbox.server import announcement, build_app
from ledgerlink.sandbox.stripe import StripeSandbox
from tests.support.sandbox_server import serving_platform

MOUNT = "http://sandbox/stripe"
SEED, ORDERS, MALFORMED_EVERY = 7, 600, 97
USD_PER = {code.lower(): 1 / rate for code, rate, _ in CURRENCIES}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_sandbox(orders: int = ORDERS, **options: Any) -> StripeSandbox:
    """Rate limits off (tests that want them switch them on); malformed charges served broken."""
    sandbox = StripeSandbox(Store(seed=SEED, orders_count=orders, malformed_every=MALFORMED_EVERY), **options)
    sandbox.injector.faults.rate_limits = False
    return sandbox


@asynccontextmanager
async def connect(sandbox: StripeSandbox, key: str | None = "secret") -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {sandbox.secret_key if key == 'secret' else key}"} if key else {}
    transport = httpx.ASGITransport(app=build_app({"stripe": sandbox}))
    async with httpx.AsyncClient(transport=transport, base_url=MOUNT, headers=headers) as client:
        yield client


def serving(sandbox: StripeSandbox) -> AbstractContextManager[str]:
    """The sandbox server on a real loopback socket; yields the mount's URL."""
    return serving_platform("stripe", sandbox)


async def all_pages(client: httpx.AsyncClient, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every object of a list, following `starting_after`, checking the envelope on the way."""
    found: list[dict[str, Any]] = []
    while True:
        response = await client.get(path, params={"limit": 100, **params})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["object"] == "list" and body["url"] == path
        found += body["data"]
        if not body["has_more"]:
            return found
        params["starting_after"] = body["data"][-1]["id"]


@pytest.fixture(scope="module")
def stripe() -> StripeSandbox:
    return make_sandbox()


@pytest.fixture
async def api(stripe: StripeSandbox) -> AsyncIterator[httpx.AsyncClient]:
    """A client on the module's sandbox, whose faults start (and end) switched off."""
    stripe.injector.faults = Faults(rate_limits=False)
    async with connect(stripe) as client:
        yield client
    stripe.injector.faults = Faults(rate_limits=False)


def stripe_fee(amount: int) -> int:
    return int((Decimal(amount) * Decimal("0.029")).quantize(Decimal(1), rounding=ROUND_HALF_UP)) + 30


# -- the list envelope and paging ------------------------------------------------------------------


async def test_cursor_paging_walks_every_charge_newest_first_and_back(api, stripe):
    pages, params = [], {"limit": 37}
    while True:
        body = (await api.get("/v1/charges", params=params)).json()
        pages.append(body)
        if not body["has_more"]:
            break
        params["starting_after"] = body["data"][-1]["id"]
    charges = [c for page in pages for c in page["data"]]
    assert len(pages) > 3 and all(len(p["data"]) == 37 for p in pages[:-1])
    assert [c["id"] for c in charges] == [c.id for c in stripe.world.charges.items]
    assert len({c["id"] for c in charges}) == len(charges)
    assert [c["created"] for c in charges] == sorted((c["created"] for c in charges), reverse=True)

    # ending_before from the third page's first charge is the second page again, has_more towards newer
    back = (await api.get("/v1/charges", params={"limit": 37, "ending_before": pages[2]["data"][0]["id"]})).json()
    assert back["data"] == pages[1]["data"] and back["has_more"] is True
    first = (await api.get("/v1/charges", params={"limit": 37, "ending_before": pages[1]["data"][0]["id"]})).json()
    assert first["data"] == pages[0]["data"] and first["has_more"] is False


async def test_limit_defaults_to_ten_and_is_bounded(api):
    assert len((await api.get("/v1/refunds")).json()["data"]) == 10
    for bad in ("0", "101", "ten"):
        response = await api.get("/v1/refunds", params={"limit": bad})
        assert response.status_code == 400
        assert response.json()["error"]["type"] == "invalid_request_error"
        assert response.json()["error"]["param"] == "limit"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"starting_after": "ch_doesnotexist"}, "resource_missing"),
        ({"starting_after": "x", "ending_before": "y"}, None),
        ({"created[after]": "1"}, None),
        ({"sort": "created"}, "parameter_unknown"),
        ({"created[gte]": "soon"}, "parameter_invalid_integer"),
    ],
)
async def test_bad_list_parameters_are_refused_as_stripe_refuses_them(api, params, code):
    response = await api.get("/v1/charges", params=params)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["message"]
    assert error.get("code") == code


async def test_created_filters_bound_every_list(api, stripe):
    items = stripe.world.balance_transactions.items
    low, high = items[len(items) * 3 // 4].created, items[len(items) // 4].created
    listed = await all_pages(api, "/v1/balance_transactions", **{"created[gte]": low, "created[lte]": high})
    expected = [t.id for t in items if low <= t.created <= high]
    assert [t["id"] for t in listed] == expected and len(expected) > 100
    exclusive = await all_pages(api, "/v1/balance_transactions", **{"created[gt]": low, "created[lt]": high})
    assert {t["id"] for t in exclusive} == {t.id for t in items if low < t.created < high}
    exact = (await api.get("/v1/balance_transactions", params={"created": high})).json()["data"]
    assert exact and all(t["created"] == high for t in exact)


async def test_filters_by_relation_and_type(api, stripe):
    refund = stripe.world.refunds.items[0]
    assert [r["id"] for r in (await api.get("/v1/refunds", params={"charge": refund.charge_id})).json()["data"]] == [
        refund.id
    ]
    fees = await all_pages(api, "/v1/balance_transactions", type="stripe_fee")
    assert fees and all(t["type"] == "stripe_fee" and t["amount"] < 0 for t in fees)
    jpy = await all_pages(api, "/v1/balance_transactions", currency="JPY")
    assert jpy and all(t["currency"] == "jpy" for t in jpy)
    refunded = await all_pages(api, "/v1/events", type="charge.refund*")
    both = await all_pages(api, "/v1/events", **{"types[]": ["charge.refunded", "refund.created"]})
    assert refunded and {e["type"] for e in refunded} == {"charge.refunded"}
    assert len(both) == 2 * len(refunded)


# -- objects and money -----------------------------------------------------------------------------


async def test_charges_name_their_order_and_settle_with_stripe_fees(api, stripe):
    charges = await all_pages(api, "/v1/charges", **{"expand[]": "data.balance_transaction"})
    captured = [c for c in charges if c["captured"] and isinstance(c["amount"], int)]
    assert {c["currency"] for c in captured} >= {"usd", "eur", "jpy", "kwd", "myr"}
    for charge in captured:
        txn = charge["balance_transaction"]
        assert txn["source"] == charge["id"] and txn["type"] == "charge"
        if charge["currency"] in ("usd", "eur", "gbp", "jpy"):  # settles in its own currency
            assert (txn["amount"], txn["currency"], txn["exchange_rate"]) == (
                charge["amount"],
                charge["currency"],
                None,
            )
        else:  # converted to USD at the stated rate
            major = Decimal(charge["amount"]).scaleb(-exponent(charge["currency"]))
            assert txn["currency"] == "usd" and Decimal(str(txn["exchange_rate"])) > 0
            assert abs(txn["amount"] - major * Decimal(str(txn["exchange_rate"])) * 100) <= 1
        assert txn["fee"] == stripe_fee(txn["amount"]) == sum(d["amount"] for d in txn["fee_details"])
        assert txn["net"] == txn["amount"] - txn["fee"]
    named = [c for c in charges if c["metadata"]]
    assert len(named) > len(charges) * 0.8
    for charge in named:
        order = stripe.store.order_by_id(int(charge["metadata"]["order_id"]))
        assert order is not None and charge["metadata"]["order_number"] == str(order.number)
        assert charge["metadata"]["source"] in ("shopify", "woocommerce", "bigcommerce")
        assert charge["description"] == f"Order #{order.number}"
        if order.presentment_currency != "KWD" and not order.malformed:  # KWD is charged in tens of fils
            total = order.presentment(order.total).scaleb(exponent(order.presentment_currency))
            assert charge["amount"] == int(total)


async def test_zero_decimal_yen_are_whole_yen(api):
    charges = await all_pages(api, "/v1/charges", **{"expand[]": "data.balance_transaction"})
    yen = [c for c in charges if c["currency"] == "jpy" and c["captured"]]
    assert yen
    for charge in yen:
        order_total = charge["amount"]  # yen, not hundredths of a yen
        assert charge["balance_transaction"]["fee"] == stripe_fee(order_total)
        assert 100 < order_total < 10_000_000


async def test_failed_released_and_refunded_charges(api):
    charges = {c["id"]: c for c in await all_pages(api, "/v1/charges")}
    failed = [c for c in charges.values() if c["status"] == "failed"]
    released = [c for c in charges.values() if not c["captured"] and c["status"] == "succeeded"]
    assert failed and all(not c["paid"] and c["balance_transaction"] is None and c["failure_code"] for c in failed)
    assert released and all(c["refunded"] and c["amount_refunded"] == c["amount"] for c in released)
    refunds = await all_pages(api, "/v1/refunds", **{"expand[]": "data.balance_transaction"})
    by_charge: dict[str, int] = {}
    for refund in refunds:
        by_charge[refund["charge"]] = by_charge.get(refund["charge"], 0) + refund["amount"]
        assert refund["balance_transaction"]["amount"] < 0 and refund["balance_transaction"]["fee"] == 0
    assert any(total < charges[c]["amount"] for c, total in by_charge.items())  # partial refunds
    for charge_id, total in by_charge.items():
        assert charges[charge_id]["amount_refunded"] == total


async def test_disputes_withdraw_with_a_fee_and_reinstate_when_won(api):
    disputes = await all_pages(api, "/v1/disputes")
    assert {d["status"] for d in disputes} >= {"won", "lost"}
    for dispute in disputes:
        movements = dispute["balance_transactions"]
        if dispute["status"] == "warning_closed":
            assert movements == []
            continue
        withdrawal = movements[0]
        assert withdrawal["reporting_category"] == "dispute" and withdrawal["amount"] < 0 < withdrawal["fee"]
        assert len(movements) == (2 if dispute["status"] == "won" else 1)
        charge = (await api.get(f"/v1/charges/{dispute['charge']}")).json()
        assert charge["disputed"] is True


async def test_payouts_pay_out_exactly_what_they_contain(api, stripe):
    payouts = await all_pages(api, "/v1/payouts")
    assert len(payouts) == len(stripe.world.payouts.items) and {p["currency"] for p in payouts} >= {"usd", "jpy"}
    for payout in payouts:
        contents = await all_pages(api, "/v1/balance_transactions", payout=payout["id"])
        own = [t for t in contents if t["id"] == payout["balance_transaction"]]
        assert own and own[0]["type"] == "payout" and own[0]["amount"] == -payout["amount"]
        assert sum(t["net"] for t in contents if t["type"] != "payout") == payout["amount"]
        assert all(t["currency"] == payout["currency"] for t in contents)
    missing = await api.get("/v1/balance_transactions", params={"payout": "po_nope"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "resource_missing"


async def test_events_snapshot_objects_as_they_were(api, stripe):
    events = await all_pages(api, "/v1/events", type="charge.refunded")
    assert events
    for event in events:
        charge = event["data"]["object"]
        refunds = [r for r in stripe.world.refunds_of[charge["id"]] if r.created <= event["created"]]
        assert charge["amount_refunded"] == sum(r.amount for r in refunds)
        assert event["data"]["previous_attributes"]["amount_refunded"] < charge["amount_refunded"]
        assert event["api_version"] == "2023-08-16" and event["request"]["id"].startswith("req_")
    succeeded = await all_pages(api, "/v1/events", type="charge.succeeded")
    assert all(e["data"]["object"]["amount_refunded"] == 0 for e in succeeded if e["data"]["object"]["captured"])


async def test_retrieve_expand_and_missing_objects(api, stripe):
    charge = next(c for c in stripe.world.charges.items if stripe.world.refunds_of.get(c.id))
    body = (await api.get(f"/v1/charges/{charge.id}", params={"expand[0]": "refunds"})).json()
    assert body["refunds"]["object"] == "list" and body["refunds"]["data"][0]["charge"] == charge.id
    plain = (await api.get(f"/v1/charges/{charge.id}")).json()
    assert "refunds" not in plain and isinstance(plain["balance_transaction"], str)
    nested = (
        await api.get(
            f"/v1/refunds/{body['refunds']['data'][0]['id']}", params={"expand[]": "charge.balance_transaction"}
        )
    ).json()
    assert nested["charge"]["balance_transaction"]["object"] == "balance_transaction"
    missing = await api.get("/v1/charges/ch_nope")
    assert missing.status_code == 404 and missing.json()["error"] == {
        "message": "No such charge: 'ch_nope'",
        "type": "invalid_request_error",
        "code": "resource_missing",
        "doc_url": "https://stripe.com/docs/error-codes#resource-missing",
        "param": "id",
    }
    refused = await api.get("/v1/charges", params={"expand[]": "data.customer"})
    assert refused.status_code == 400 and "cannot be expanded" in refused.json()["error"]["message"]
    unknown = await api.get("/v1/customers")
    assert unknown.status_code == 404 and "Unrecognized request URL" in unknown.json()["error"]["message"]


async def test_balance_is_what_the_transactions_leave(api, stripe):
    body = (await api.get("/v1/balance")).json()
    entries = stripe.world.balance_transactions.items
    for part in ("available", "pending"):
        for amount in body[part]:
            expected = sum(
                t.net
                for t in entries
                if t.currency == amount["currency"] and (t.available_on <= stripe.world.now) == (part == "available")
            )
            assert amount["amount"] == expected


# -- auth, rate limit, faults ------------------------------------------------------------------------


async def test_the_secret_key_is_required(stripe):
    async with connect(stripe, key=None) as anonymous:
        response = await anonymous.get("/v1/charges")
    assert response.status_code == 401 and response.headers["www-authenticate"] == 'Basic realm="Stripe"'
    assert response.json()["error"]["type"] == "invalid_request_error"
    async with connect(stripe, key="sk_test_0123456789abcdefWRONG") as wrong:
        response = await wrong.get("/v1/charges")
    assert response.status_code == 401
    assert response.json()["error"]["message"].startswith("Invalid API Key provided: sk_test_")
    assert "WRONG" not in response.json()["error"]["message"][:-4]
    async with connect(stripe, key=None) as basic:
        response = await basic.get("/v1/charges", auth=(stripe.secret_key, ""))
    assert response.status_code == 200 and response.headers["request-id"].startswith("req_")


async def test_reads_beyond_the_test_mode_limit_get_stripes_429():
    clock = FakeClock()
    sandbox = make_sandbox(orders=60, clock=clock)
    sandbox.injector.faults.rate_limits = True
    async with connect(sandbox) as api:
        answers = [await api.get("/v1/balance") for _ in range(26)]
        assert [r.status_code for r in answers] == [200] * 25 + [429]
        throttled = answers[-1]
        assert throttled.json()["error"]["code"] == "rate_limit"
        assert throttled.headers["stripe-should-retry"] == "true"
        assert throttled.headers["stripe-rate-limited-reason"] == "global-rate"
        clock.now += 1  # a second later the bucket has refilled
        assert (await api.get("/v1/balance")).status_code == 200
        assert (await api.post("/_sandbox/rate-limit", json={"mode": "live"})).json() == {
            "mode": "live",
            "read_per_second": 100,
        }
        assert [(await api.get("/v1/balance")).status_code for _ in range(101)].count(429) == 1
        assert (await api.post("/_sandbox/rate-limit", json={"read_per_second": 0})).status_code == 400
        assert (await api.delete("/_sandbox/rate-limit")).json()["read_per_second"] == 25
    assert sandbox.injector.stats.throttled == 2


async def test_injected_faults_answer_the_way_stripe_does(api):
    await api.post("/_sandbox/faults", json={"throttle_next": 1, "fail_next": 1})
    throttled, failed, fine = [await api.get("/v1/payouts") for _ in range(3)]
    report = (await api.get("/_sandbox/faults")).json()
    assert throttled.status_code == 429 and throttled.json()["error"]["code"] == "rate_limit"
    assert failed.status_code == 503 and failed.json()["error"]["type"] == "api_error"
    assert failed.headers["stripe-should-retry"] == "true"
    assert fine.status_code == 200
    assert report["stats"]["injected_errors"] == 1


async def test_malformed_charges_are_broken_only_while_the_fault_is_on(api, stripe):
    broken = {c.id for c in stripe.world.charges.items if c.malformed}
    served = {c["id"]: c["amount"] for c in await all_pages(api, "/v1/charges")}
    assert broken == {i for i, amount in served.items() if isinstance(amount, str)}
    assert len(broken) == sum(1 for c in stripe.world.charges.items if c.malformed) > 0
    await api.post("/_sandbox/faults", json={"malformed": False})
    assert all(isinstance(c["amount"], int) for c in await all_pages(api, "/v1/charges"))


def test_the_sandbox_server_announces_setup_ready_credentials():
    sandbox = make_sandbox(orders=10)
    creds = announcement({"stripe": sandbox}, "http://127.0.0.1:8900")["stripe"]["credentials"]
    parsed = StripeCredentials(**creds)
    assert parsed.secretKey.get_secret_value().startswith("sk_test_")
    assert parsed.webhookEndpointSecret is not None and str(parsed.apiBaseUrl) == "http://127.0.0.1:8900/stripe"
    assert make_sandbox(orders=10).secret_key == sandbox.secret_key  # the same seed, the same key
