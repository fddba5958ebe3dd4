"""The Stripe connector against the Stripe sandbox on a real socket, driven directly (no engine):
every stream read to its end over several pages with its own `read_page` and resume tokens, the money
it maps checked against what the sandbox generated, creation windows, record fetches, the credential
check, and recovery from Stripe's 429s and 5xx (and no retry where Stripe says not to).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from ledgerlink.canonical import payments as pay
from ledgerlink.connectors.framework.window import SyncWindow
from ledgerlink.connectors.loading import connector_class, verify_credentials
from ledgerlink.connectors.registry import get_provider
from ledgerlink.connectors.stripe.connector import StripeConnector
from ledgerlink.connectors.stripe.credentials import StripeCredentials
from ledgerlink.connectors.stripe.policy import StripePolicy
from ledgerlink.errors import InvalidCredentials
from ledgerlink.sandbox.stripe import StripeSandbox
from ledgerlink.sync.loader import MAPPING_ERRORS
from ledgerlink.upstream.errors import UpstreamRejected
from ledgerlink.upstream.policy import Action, RetryPolicy
from tests.test_stripe_sandbox import make_sandbox, serving, stripe_fee

pytestmark = pytest.mark.slow
# A page size per stream that makes every stream several pages long.
PAGE_SIZES = {"payments": 50, "refunds": 10, "disputes": 3, "balance_transactions": 50, "payouts": 4}
QUICK = RetryPolicy(base_delay=0.05, max_delay=0.2)


@dataclass
class Live:
    sandbox: StripeSandbox
    mount: str

    @property
    def credentials(self) -> StripeCredentials:
        return StripeCredentials(**self.sandbox.credentials(self.mount))

    def connector(self, **kwargs: Any) -> StripeConnector:
        return StripeConnector(self.credentials, **kwargs)

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        return httpx.request(method, f"{self.mount}{path}", timeout=10, **kwargs).json()


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    sandbox = make_sandbox()
    with serving(sandbox) as mount:
        yield Live(sandbox, mount)


@pytest.fixture(autouse=True)
def fresh(live: Live) -> Iterator[None]:
    live.control("DELETE", "/_sandbox/faults")
    live.control("POST", "/_sandbox/faults", json={"rate_limits": False})
    yield
    live.control("DELETE", "/_sandbox/faults")
    live.control("DELETE", "/_sandbox/rate-limit")
    live.control("POST", "/_sandbox/faults", json={"rate_limits": False})


async def read_stream(connector: StripeConnector, name: str, window: SyncWindow) -> tuple[list[Any], int]:
    """Every raw record of a stream, page by page through its resume tokens; and how many pages."""
    stream = connector.streams[name]
    records, token, pages = [], None, 0
    async with connector.client(QUICK) as client:
        while True:
            page = await stream.read_page(client, window, token)
            records += page.records
            pages += 1
            if page.next_token is None:
                return records, pages
            token = page.next_token


def map_all(connector: StripeConnector, name: str, records: list[Any]) -> tuple[dict[str, Any], set[str]]:
    stream = connector.streams[name]
    mapped, failed = {}, set()
    for raw in records:
        try:
            mapped[stream.external_id(raw)] = stream.map(raw)
        except MAPPING_ERRORS:
            failed.add(stream.external_id(raw))
    return mapped, failed


def world_ids(sandbox: StripeSandbox, name: str) -> list[str]:
    kind = {"payments": "charge", "refunds": "refund", "disputes": "dispute", "payouts": "payout"}
    return [fact.id for fact in sandbox.world.collection(kind.get(name, "balance_transaction")).items]


async def test_the_credential_check_reads_the_balance(live):
    async with live.connector().client() as client:
        assert await live.connector().check(client) == {"livemode": False, "currencies": ["EUR", "GBP", "JPY", "USD"]}
    assert (await verify_credentials(get_provider("stripe"), live.credentials))["livemode"] is False
    wrong = StripeCredentials(secretKey="sk_test_" + "x" * 30, apiBaseUrl=live.mount)
    with pytest.raises(InvalidCredentials):
        await verify_credentials(get_provider("stripe"), wrong)


@pytest.mark.parametrize("name", StripeConnector.stream_names)
async def test_every_stream_reads_to_its_end_over_several_pages(live, name):
    connector = live.connector()
    records, pages = await read_stream(connector, name, SyncWindow(page_size=PAGE_SIZES[name]))
    ids = [connector.streams[name].external_id(r) for r in records]
    assert ids == world_ids(live.sandbox, name) and pages >= 3
    mapped, failed = map_all(connector, name, records)
    broken = {c.id for c in live.sandbox.world.charges.items if c.malformed} if name == "payments" else set()
    assert failed == broken and len(mapped) == len(ids) - len(broken)


async def test_payments_carry_their_balance_transactions_fee_and_net(live):
    connector, world = live.connector(), live.sandbox.world
    mapped, _ = map_all(connector, "payments", (await read_stream(connector, "payments", SyncWindow()))[0])
    settled = [p for p in mapped.values() if p.settlement is not None]
    assert {p.currency for p in settled} >= {"USD", "EUR", "JPY", "KWD", "MYR"}
    for payment in mapped.values():
        charge = world.charges.get(payment.external_id)
        assert charge is not None and payment.amount == charge.amount  # ISO minor units: Stripe's for these
        txn = world.balance_transactions.get(charge.balance_transaction_id or "")
        if txn is None:
            assert payment.settlement is None and payment.status in ("failed", "cancelled")
            continue
        assert payment.status == "succeeded"
        assert (payment.settlement.amount, payment.settlement.fee, payment.settlement.net) == (
            txn.amount,
            txn.fee,
            txn.net,
        )
        assert payment.settlement.currency == txn.currency.upper()
        if payment.currency in ("MYR", "KWD"):
            assert payment.settlement.currency == "USD" and payment.settlement.exchange_rate is not None
        if charge.metadata:
            assert payment.order == pay.OrderReference(
                source=charge.metadata["source"],
                external_id=charge.metadata["order_id"],
                number=charge.metadata["order_number"],
            )
        else:
            assert payment.order is not None and payment.order.number == charge.description.removeprefix("Order #")
    yen = [p for p in settled if p.currency == "JPY"]
    assert yen and all(p.settlement.fee == stripe_fee(p.amount) for p in yen)  # 2.9 % + ¥30: whole yen


async def test_payouts_come_with_what_they_paid_out_and_reconcile(live):
    connector = live.connector()
    mapped, failed = map_all(
        connector, "payouts", (await read_stream(connector, "payouts", SyncWindow(page_size=5)))[0]
    )
    assert not failed and mapped
    for payout in mapped.values():
        fact = live.sandbox.world.payouts.get(payout.external_id)
        assert fact is not None and [i.external_id for i in payout.items] == sorted(
            fact.contents, key=lambda t: live.sandbox.world.balance_transactions.position[t]
        )
        assert payout.unreconciled() == 0 and payout.settlement_external_id in {i.external_id for i in payout.items}
    entries, _ = map_all(
        connector, "balance_transactions", (await read_stream(connector, "balance_transactions", SyncWindow()))[0]
    )
    kinds = {e.kind for e in entries.values()}
    assert kinds >= {"charge", "refund", "chargeback", "fee", "payout"}
    fees = sum(e.settlement.fee for e in entries.values() if e.settlement.currency == "USD")
    assert fees == sum(t.fee for t in live.sandbox.world.balance_transactions.items if t.currency == "usd")


async def test_a_window_bounds_creation_and_a_run_resumes_from_its_token(live):
    charges = live.sandbox.world.charges.items
    since, until = charges[200].created, charges[20].created
    window = SyncWindow(
        since=datetime.fromtimestamp(since, UTC), until=datetime.fromtimestamp(until, UTC), page_size=30
    )
    records, pages = await read_stream(live.connector(), "payments", window)
    assert [r["id"] for r in records] == [c.id for c in charges if since <= c.created <= until] and pages > 3

    stream = live.connector().streams["payments"]
    async with live.connector().client() as first:
        page_one = await stream.read_page(first, window, None)
    async with live.connector().client() as second:  # another worker, picking the run up
        page_two = await live.connector().streams["payments"].read_page(second, window, page_one.next_token)
    assert [r["id"] for r in page_one.records + page_two.records] == [r["id"] for r in records[:60]]


async def test_fetching_one_record_of_each_stream(live):
    connector, world = live.connector(), live.sandbox.world
    charge = next(c for c in world.charges.items if c.balance_transaction_id)
    async with connector.client() as client:
        fetched = await connector.fetch_record(client, "payments", charge.id)
        by_intent = await connector.fetch_record(client, "payments", charge.intent_id)
        refund = await connector.fetch_record(client, "refunds", world.refunds.items[0].id)
        dispute = await connector.fetch_record(client, "disputes", world.disputes.items[0].id)
        txn = await connector.fetch_record(client, "balance_transactions", world.balance_transactions.items[0].id)
        payout = await connector.fetch_record(client, "payouts", world.payouts.items[0].id)
        gone = await connector.fetch_record(client, "payments", "ch_gone")
        unknown_stream = await connector.fetch_record(client, "orders", charge.id)
    assert fetched == by_intent and fetched["balance_transaction"]["id"] == charge.balance_transaction_id
    assert connector.streams["payments"].map(fetched).settlement is not None
    assert connector.streams["refunds"].map(refund).settlement is not None
    assert connector.streams["disputes"].map(dispute).payment_external_id == world.disputes.items[0].charge_id
    assert connector.streams["balance_transactions"].map(txn).external_id == world.balance_transactions.items[0].id
    assert connector.streams["payouts"].map(payout).unreconciled() == 0
    assert gone is None and unknown_stream is None


async def test_429s_and_5xx_are_waited_out_and_retried(live):
    live.control("POST", "/_sandbox/faults", json={"throttle_next": 2, "fail_next": 2})
    connector = live.connector()
    stream = connector.streams["refunds"]
    records, token = [], None
    async with connector.client(QUICK) as client:
        while True:
            page = await stream.read_page(client, SyncWindow(page_size=10), token)
            records += page.records
            if (token := page.next_token) is None:
                break
        stats = client.stats
    assert [r["id"] for r in records] == world_ids(live.sandbox, "refunds")
    assert stats.rate_limited == 2 and stats.retries == 2
    assert stats.waited_seconds >= 2  # global-rate: a second each, as the limiter's window says
    assert live.control("GET", "/_sandbox/faults")["stats"]["injected_errors"] == 2


async def test_the_test_mode_read_limit_is_waited_out(live):
    live.control("POST", "/_sandbox/rate-limit", json={"read_per_second": 8})
    live.control("POST", "/_sandbox/faults", json={"rate_limits": True})
    records, pages = await read_stream(live.connector(), "balance_transactions", SyncWindow(page_size=25))
    throttled = live.control("GET", "/_sandbox/faults")["stats"]["throttled"]
    assert [r["id"] for r in records] == world_ids(live.sandbox, "balance_transactions")
    assert pages > 8 and throttled >= 1


def _answer(status: int, **headers: str) -> httpx.Response:
    return httpx.Response(status, headers=headers, json={"error": {"type": "api_error", "message": "x"}})


@pytest.mark.parametrize(
    ("response", "action", "wait"),
    [
        (_answer(503), Action.RETRY, None),
        (_answer(503, **{"Stripe-Should-Retry": "false"}), Action.FAIL, None),
        (_answer(409, **{"Stripe-Should-Retry": "true"}), Action.RETRY, None),
        (_answer(409), Action.FAIL, None),
        (_answer(429, **{"Stripe-Rate-Limited-Reason": "global-rate"}), Action.RATE_LIMITED, 1.0),
        (_answer(429, **{"Stripe-Rate-Limited-Reason": "endpoint-concurrency"}), Action.RATE_LIMITED, None),
        (_answer(429, **{"Retry-After": "3", "Stripe-Rate-Limited-Reason": "global-rate"}), Action.RATE_LIMITED, 3.0),
        (_answer(429, **{"Stripe-Should-Retry": "false"}), Action.FAIL, None),
        (_answer(401, **{"Stripe-Should-Retry": "true"}), Action.FAIL_AUTH, None),
    ],
)
def test_the_policy_follows_stripes_advice(response, action, wait):
    policy = StripePolicy()
    assert policy.classify(response, None) is action
    if action is Action.RATE_LIMITED:
        assert policy.wait_for(response, None) == wait


async def test_a_5xx_stripe_says_not_to_retry_fails_at_once():
    calls = []

    def upstream(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return _answer(500, **{"Stripe-Should-Retry": "false"})

    creds = StripeCredentials(secretKey="sk_test_" + "a" * 24, apiBaseUrl="http://127.0.0.1:9/stripe")
    connector = StripeConnector(creds, transport=httpx.MockTransport(upstream))
    async with connector.client(QUICK) as client:
        with pytest.raises(UpstreamRejected):
            await connector.streams["payments"].read_page(client, SyncWindow(), None)
    assert len(calls) == 1
    assert calls[0].headers["Stripe-Version"] == "2023-08-16"
    assert calls[0].headers["Authorization"] == "Bearer sk_test_" + "a" * 24


def test_the_catalog_lists_stripe_as_a_working_payment_sync():
    provider = get_provider("stripe")
    assert connector_class(provider) is StripeConnector
    assert provider.catalog_entry()["status"] == "active" and provider.features == ("payment_sync",)
