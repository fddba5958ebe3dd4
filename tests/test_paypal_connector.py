"""The PayPal connector against the PayPal sandbox on a real socket, driven directly (no engine):
the transactions stream read across 31-day windows and pages with its own resume tokens, a window
PayPal finds too large halved, the money it maps checked against what the sandbox generated,
recovery from 429s and 5xx, the credential check, record fetches and webhook verification by API.

Tokens: one obtained and reused for a whole read; with a stored integration (the shared TokenStore),
a token PayPal revoked early or one that ran out is refreshed exactly once however many requests
need it at the same moment, and refused client credentials flag the integration once, without
asking PayPal again and again.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from ledgerlink.canonical import payments as pay
from ledgerlink.connectors.framework.window import SyncWindow
from ledgerlink.connectors.loading import verify_credentials
from ledgerlink.connectors.paypal.connector import PayPalConnector
from ledgerlink.connectors.paypal.credentials import PayPalCredentials
from ledgerlink.connectors.registry import get_provider
from ledgerlink.errors import InvalidCredentials
from ledgerlink.integrations.connectors import connector_for
from ledgerlink.models import Event, Integration
from ledgerlink.runtime import Runtime
from ledgerlink.sandbox.paypal import PayPalSandbox
from ledgerlink.sandbox.paypal.history import fee_of
from ledgerlink.sync.loader import MAPPING_ERRORS
from ledgerlink.upstream.errors import UpstreamAuthFailed, UpstreamUnavailable
from ledgerlink.upstream.policy import RetryPolicy
from ledgerlink.upstream.tokens import ReauthorisationNeeded
from tests.conftest import Tenant
from tests.test_paypal_sandbox import START, make_sandbox, serving

pytestmark = pytest.mark.slow
QUICK = RetryPolicy(base_delay=0.05, max_delay=0.2)


@dataclass
class Live:
    sandbox: PayPalSandbox
    mount: str

    @property
    def credentials(self) -> PayPalCredentials:
        return PayPalCredentials(**self.sandbox.credentials(self.mount))

    @property
    def end(self) -> datetime:
        """The account's "now": an hour after the last thing that happened on it."""
        return self.sandbox.ledger.refreshed + timedelta(hours=1)

    def connector(self, **kwargs: Any) -> PayPalConnector:
        connector = PayPalConnector(self.credentials, **kwargs)
        connector.clock = lambda: self.end
        return connector

    def token_requests(self) -> int:
        by_path = self.sandbox.injector.stats.by_path
        return sum(n for path, n in by_path.items() if path.endswith("/v1/oauth2/token"))

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        return httpx.request(method, f"{self.mount}{path}", timeout=10, **kwargs).json()


@pytest.fixture(scope="module")
def shared() -> Iterator[Live]:
    sandbox = make_sandbox()
    with serving(sandbox) as mount:
        yield Live(sandbox, mount)


@pytest.fixture
def fresh_live() -> Iterator[Live]:
    """A sandbox of its own, for counting tokens from zero."""
    sandbox = make_sandbox()
    with serving(sandbox) as mount:
        yield Live(sandbox, mount)


@pytest.fixture(autouse=True)
def reset(shared: Live) -> Iterator[None]:
    shared.control("DELETE", "/_sandbox/faults")
    shared.control("DELETE", "/_sandbox/settings")
    shared.control("POST", "/_sandbox/faults", json={"rate_limits": False})
    yield
    shared.control("DELETE", "/_sandbox/faults")
    shared.control("DELETE", "/_sandbox/settings")
    shared.control("POST", "/_sandbox/faults", json={"rate_limits": False})


async def read_all(
    connector: PayPalConnector, window: SyncWindow, retry: RetryPolicy = QUICK, name: str = "balance_transactions"
) -> tuple[list[Any], list[dict[str, Any]]]:
    """Every raw record of a stream (by default the one keeping every transaction), page by page
    through the resume tokens; and the tokens the pages returned."""
    stream = connector.streams[name]
    records, tokens, token = [], [], None
    async with connector.client(retry) as client:
        while True:
            page = await stream.read_page(client, window, token)
            records += page.records
            if page.next_token is None:
                return records, tokens
            token = page.next_token
            tokens.append(token)


def ids_of(records: list[Any]) -> list[str]:
    return [r["transaction_info"]["transaction_id"] for r in records]


def everything(live: Live, page_size: int = 10) -> SyncWindow:
    return SyncWindow(since=START, until=live.end, page_size=page_size)


# -- reading ----------------------------------------------------------------------------------------


async def test_the_stream_walks_31_day_windows_and_their_pages_and_reads_everything_once(shared):
    records, tokens = await read_all(shared.connector(), everything(shared))
    assert ids_of(records) == [t.id for t in shared.sandbox.ledger.transactions]
    windows = sorted({(t["from"], t["to"]) for t in tokens})
    assert len(windows) >= 4 and max(t["page"] for t in tokens) >= 3
    for (start, end), (following, _) in itertools.pairwise(windows):
        assert datetime.fromisoformat(end) - datetime.fromisoformat(start) <= timedelta(days=31)
        assert datetime.fromisoformat(following) - datetime.fromisoformat(end) == timedelta(seconds=1)
    # The first window starts three hours before `since` (PayPal lists transactions up to three hours late).
    assert windows[0][0] == (START - timedelta(hours=3)).isoformat()


async def test_a_read_resumes_from_any_token_and_a_window_without_since_reaches_three_years_back(shared):
    connector = shared.connector()
    records, tokens = await read_all(connector, everything(shared, page_size=25))
    stream = connector.streams["balance_transactions"]
    middle = tokens[len(tokens) // 2]
    rest, token = [], middle
    async with connector.client(QUICK) as client:
        while token is not None:
            page = await stream.read_page(client, everything(shared, page_size=25), token)
            rest += page.records
            token = page.next_token
    assert ids_of(rest) == ids_of(records)[-len(rest) :] and 0 < len(rest) < len(records)
    first = stream.first_token(SyncWindow(until=shared.end))
    assert first is not None
    assert datetime.fromisoformat(first["stop"]) - datetime.fromisoformat(first["from"]) == timedelta(days=3 * 365)
    assert stream.first_token(SyncWindow(since=shared.end + timedelta(days=1), until=shared.end)) is None


async def test_since_and_until_bound_the_read(shared):
    ledger = shared.sandbox.ledger.transactions
    since, until = ledger[40].initiated, ledger[90].initiated
    records, _ = await read_all(shared.connector(), SyncWindow(since=since, until=until, page_size=20))
    expected = [t.id for t in ledger if since - timedelta(hours=3) <= t.initiated <= until]
    assert ids_of(records) == expected


async def test_a_window_too_large_for_paypal_is_halved_until_it_is_not(shared):
    shared.control("POST", "/_sandbox/settings", json={"max_results": 15})
    records, tokens = await read_all(shared.connector(), everything(shared, page_size=50))
    assert ids_of(records) == [t.id for t in shared.sandbox.ledger.transactions]
    spans = [datetime.fromisoformat(t["to"]) - datetime.fromisoformat(t["from"]) for t in tokens]
    assert min(spans) < timedelta(days=8)


async def test_throttling_and_server_errors_are_waited_out(shared):
    shared.control("POST", "/_sandbox/faults", json={"throttle_next": 3, "fail_next": 3, "error_status": 503})
    connector = shared.connector()
    records, _ = await read_all(connector, everything(shared, page_size=100))
    assert ids_of(records) == [t.id for t in shared.sandbox.ledger.transactions]
    report = shared.control("GET", "/_sandbox/faults")
    assert report["stats"]["injected_errors"] == 3 and report["faults"]["throttle_next"] == 0


async def test_the_rate_limit_and_its_retry_after_are_obeyed(shared):
    shared.control("POST", "/_sandbox/faults", json={"rate_limits": True})
    shared.control("POST", "/_sandbox/settings", json={"per_second": 4})
    records, _ = await read_all(shared.connector(), everything(shared, page_size=20))
    assert ids_of(records) == [t.id for t in shared.sandbox.ledger.transactions]
    assert shared.control("GET", "/_sandbox/faults")["stats"]["throttled"] > 0


async def test_server_errors_that_never_stop_fail_the_read(shared):
    shared.control("POST", "/_sandbox/faults", json={"error_rate": 1.0, "error_status": 500})
    with pytest.raises(UpstreamUnavailable):
        await read_all(shared.connector(), everything(shared), RetryPolicy(attempts=3, base_delay=0.01))


# -- what the records mean ------------------------------------------------------------------------------


async def test_each_stream_keeps_its_kind_and_the_money_adds_up(shared):
    shared.control("POST", "/_sandbox/faults", json={"malformed": True})
    connector = shared.connector()
    facts = {t.id: t for t in shared.sandbox.ledger.transactions}
    broken = {t.id for t in facts.values() if t.malformed}
    mapped: dict[str, dict[str, Any]] = {}
    for name, stream in connector.streams.items():
        if name == "disputes":
            continue  # the Disputes API's, not transactions: test_paypal_disputes.py
        records, _ = await read_all(connector, everything(shared, page_size=100), name=name)
        mapped[name], failed = {}, set()
        for raw in records:
            try:
                mapped[name][stream.external_id(raw)] = stream.map(raw)
            except MAPPING_ERRORS:
                failed.add(stream.external_id(raw))
        assert failed == (broken if name in ("payments", "balance_transactions") else set()), name
    codes = {name: Counter(facts[i].event_code for i in found) for name, found in mapped.items()}
    assert set(codes["payments"]) == {"T0006"} and set(codes["refunds"]) == {"T1107"}
    assert set(mapped["balance_transactions"]) | broken == set(facts) and broken
    for external_id, payment in mapped["payments"].items():
        fact = facts[external_id]
        assert payment.amount == fact.amount and (payment.order.external_id or payment.order.number)
        if fact.status == "D":
            assert payment.status == "failed" and payment.settlement is None
        else:
            assert payment.settlement.fee == fee_of(fact.amount, fact.currency)
            assert payment.settlement.net == fact.amount - fee_of(fact.amount, fact.currency)
        assert (payment.refunded_amount == payment.amount) == (fact.status == "V")
    for external_id, refund in mapped["refunds"].items():
        fact = facts[external_id]
        assert refund.amount == -fact.amount > 0 and refund.payment_external_id == fact.reference_id
        assert refund.settlement.fee == -(fact.fee or 0) < 0  # PayPal gave part of its fee back
    kinds = {
        "T0006": "charge",
        "T1107": "refund",
        "T1201": "chargeback",
        "T0106": "fee",
        "T1202": "chargeback_reversal",
    }
    for external_id, entry in mapped["balance_transactions"].items():
        fact = facts[external_id]
        assert isinstance(entry, pay.BalanceEntry) and entry.kind == kinds[fact.event_code]
        assert entry.settlement.amount == fact.amount and entry.source_external_id == fact.reference_id
    currencies = {p.currency for p in mapped["payments"].values()}
    assert currencies >= {"USD", "EUR", "GBP", "JPY", "MYR"}
    yen = next(p for p in mapped["payments"].values() if p.currency == "JPY")
    assert yen.amount == facts[yen.external_id].amount  # whole yen: ISO minor units are yen too


# -- check, fetch, webhook verification ---------------------------------------------------------------


async def test_the_credential_check_is_a_token_and_a_days_search(shared):
    connector = shared.connector()
    before = shared.token_requests()
    async with connector.client() as client:
        found = await connector.check(client)
    assert found["environment"] == "sandbox" and found["transactionsLastDay"] >= 0
    assert shared.token_requests() == before + 1
    assert (await verify_credentials(get_provider("paypal"), shared.credentials))["environment"] == "sandbox"
    wrong = PayPalCredentials(**{**shared.sandbox.credentials(shared.mount), "clientSecret": "E" * 80})
    with pytest.raises(InvalidCredentials):
        await verify_credentials(get_provider("paypal"), wrong)


async def test_records_are_fetched_by_id_and_webhooks_verified_by_paypal(shared):
    connector = shared.connector()
    ledger = shared.sandbox.ledger.transactions
    refund = next(t for t in ledger if t.event_code == "T1107")
    async with connector.client(QUICK) as client:
        found = await connector.fetch_record(client, "balance_transactions", ledger[-1].id)
        assert found["transaction_info"]["transaction_id"] == ledger[-1].id
        assert await connector.fetch_record(client, "payments", "0" * 17) is None
        assert await connector.fetch_record(client, "payouts", ledger[-1].id) is None
        headers, body = shared.sandbox.signer.delivery(shared.sandbox.signer.event(refund))
        assert await connector.verify_webhook(client, headers, body)
        assert not await connector.verify_webhook(client, headers, body.replace(b'"S', b'"X', 1))
        assert not await connector.verify_webhook(client, {**headers, "PAYPAL-TRANSMISSION-ID": "other"}, body)


async def test_one_token_serves_a_whole_read(fresh_live):
    await read_all(fresh_live.connector(), everything(fresh_live, page_size=10))
    assert fresh_live.token_requests() == 1 and fresh_live.sandbox.issuer.issued == 1


async def test_a_revoked_token_is_replaced_once_and_a_second_refusal_is_final(fresh_live):
    connector = fresh_live.connector()
    stream = connector.streams["payments"]
    window = everything(fresh_live)
    async with connector.client(QUICK) as client:
        await stream.read_page(client, window, None)
        fresh_live.sandbox.configure(expire_tokens=True)
        pages = await asyncio.gather(*(stream.read_page(client, window, None) for _ in range(10)))
        assert all(page.records for page in pages) and fresh_live.sandbox.issuer.issued == 2
        fresh_live.sandbox.issuer.check = _refuse_everything  # type: ignore[method-assign]
        with pytest.raises(UpstreamAuthFailed):
            await stream.read_page(client, window, None)
    assert fresh_live.sandbox.issuer.issued == 3  # one more try with a new token, then the 401 stands


def _refuse_everything(authorization: str) -> None:
    from ledgerlink.sandbox.paypal.errors import unauthenticated

    raise unauthenticated()


# -- tokens shared through a stored integration ---------------------------------------------------------


async def _stored(client: httpx.AsyncClient, tenant: Tenant, live: Live) -> str:
    r = await client.post(
        "/v1/integrations/paypal/setup",
        headers=tenant.headers,
        json={"name": "paypal", "credentials": live.sandbox.credentials(live.mount)},
    )
    assert r.status_code == 201, r.text
    assert r.json()["data"]["status"] == "active"  # verified against the sandbox: a token and a search
    return str(r.json()["data"]["id"])


async def _connectors(runtime: Runtime, iid: str, live: Live, count: int) -> list[PayPalConnector]:
    """Connectors as separate jobs build them: each its own, sharing the integration's stored token."""
    async with runtime.sessions() as session:
        integration = await session.get(Integration, iid)
    made = []
    for _ in range(count):
        connector = connector_for(runtime, integration)
        assert isinstance(connector, PayPalConnector)
        connector.clock = lambda: live.end
        made.append(connector)
    return made


async def _fetch(connector: PayPalConnector, live: Live) -> int:
    async with connector.client(QUICK) as client:
        page = await connector.streams["payments"].read_page(client, everything(live), None)
    return len(page.records)


async def test_a_stored_token_revoked_early_is_refreshed_once_for_ten_concurrent_fetches(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime, fresh_live: Live
):
    iid = await _stored(client, tenant, fresh_live)
    setup_tokens = fresh_live.sandbox.issuer.issued
    connectors = await _connectors(runtime, iid, fresh_live, 10)
    assert await _fetch(connectors[0], fresh_live) > 0
    assert fresh_live.sandbox.issuer.issued == setup_tokens + 1  # stored, then reused
    await _fetch(connectors[1], fresh_live)
    (later,) = await _connectors(runtime, iid, fresh_live, 1)  # built from credentials holding the token
    await _fetch(later, fresh_live)
    assert fresh_live.sandbox.issuer.issued == setup_tokens + 1
    fresh_live.sandbox.configure(expire_tokens=True)  # the stored token still looks fresh
    counts = await asyncio.gather(*(_fetch(c, fresh_live) for c in connectors))
    assert all(counts) and fresh_live.sandbox.issuer.issued == setup_tokens + 2
    async with runtime.sessions() as session:
        stored = runtime.secrets.decrypt_json((await session.get(Integration, iid)).credentials_encrypted)
    assert stored["_accessToken"] in fresh_live.sandbox.issuer.tokens
    assert fresh_live.sandbox.issuer.tokens[stored["_accessToken"]] > fresh_live.sandbox.issuer.clock()


async def test_a_stored_token_that_ran_out_is_refreshed_once_for_ten_concurrent_fetches(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime, fresh_live: Live
):
    iid = await _stored(client, tenant, fresh_live)
    fresh_live.sandbox.configure(expires_in=61)  # the store refreshes a minute early: good for one second
    connectors = await _connectors(runtime, iid, fresh_live, 10)
    await _fetch(connectors[0], fresh_live)
    issued = fresh_live.sandbox.issuer.issued
    await asyncio.sleep(1.2)
    counts = await asyncio.gather(*(_fetch(c, fresh_live) for c in connectors))
    assert all(counts) and fresh_live.sandbox.issuer.issued == issued + 1


async def test_refused_client_credentials_flag_the_integration_once_and_are_not_asked_again(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime, fresh_live: Live
):
    iid = await _stored(client, tenant, fresh_live)
    connectors = await _connectors(runtime, iid, fresh_live, 10)
    await _fetch(connectors[0], fresh_live)
    fresh_live.sandbox.configure(rotate_secret=True, expire_tokens=True)  # the app's secret was rotated
    asked = fresh_live.token_requests()
    results = await asyncio.gather(*(_fetch(c, fresh_live) for c in connectors), return_exceptions=True)
    assert all(isinstance(r, ReauthorisationNeeded) for r in results)
    assert fresh_live.token_requests() == asked + 1  # one refusal, however many were waiting for it
    for connector in connectors[:3]:  # later jobs do not ask PayPal at all
        with pytest.raises(ReauthorisationNeeded):
            await _fetch(connector, fresh_live)
    assert fresh_live.token_requests() == asked + 1
    async with runtime.sessions() as session:
        integration = await session.get(Integration, iid)
        errors = (
            await session.execute(select(Event).where(Event.integration_id == iid, Event.type == "integration.error"))
        ).all()
    assert integration.status == "needs_reauth" and "invalid_client" in integration.last_error
    assert len(errors) == 1
