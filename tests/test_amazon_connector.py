"""The Amazon connector against the Amazon sandbox on a real socket, driven directly (no engine): every
stream read to its end over several pages, what it maps checked against what the sandbox made; the
credential check; Login with Amazon tokens shared through the token store (refreshed once however many
jobs ask at once, a refusal recorded once and not asked again); SP-API's per-operation usage plans
spent through per-operation budgets in PostgreSQL without one 429; and recovery from 429s and 5xx.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from ledgerlink.canonical import payments as pay
from ledgerlink.canonical import records as rec
from ledgerlink.connectors.amazon.connector import AmazonConnector
from ledgerlink.connectors.amazon.credentials import AmazonCredentials
from ledgerlink.connectors.amazon.operations import PUBLISHED, AmazonPolicy, OperationBudgets, Plan
from ledgerlink.connectors.framework.window import SyncWindow
from ledgerlink.connectors.loading import verify_credentials
from ledgerlink.connectors.registry import get_provider
from ledgerlink.errors import ConfigurationError, InvalidCredentials
from ledgerlink.integrations.connectors import connector_for
from ledgerlink.integrations.service import decrypt_credentials
from ledgerlink.models import Event, Integration
from ledgerlink.ratelimit import Limit
from ledgerlink.runtime import Runtime
from ledgerlink.sandbox.amazon import AmazonSandbox
from ledgerlink.sandbox.amazon.marketplaces import MARKETPLACES
from ledgerlink.sync.loader import MAPPING_ERRORS
from ledgerlink.upstream.budget import Budget
from ledgerlink.upstream.policy import RetryPolicy
from ledgerlink.upstream.tokens import ReauthorisationNeeded
from tests.conftest import Tenant
from tests.sync_support import sync
from tests.test_amazon_sandbox import every_order, make_sandbox, serving

pytestmark = pytest.mark.slow
QUICK = RetryPolicy(base_delay=0.05, max_delay=0.2)
# Usage plans sped up (the published ones allow one getOrders a minute), the same in sandbox and connector.
FAST = {
    "getOrders": Plan(4, 3),
    "getOrder": Plan(20, 5),
    "getOrderItems": Plan(40, 6),
    "listFinancialEvents": Plan(10, 4),
    "listFinancialEventGroups": Plan(10, 4),
    "listFinancialEventsByGroupId": Plan(20, 5),
    "getInventorySummaries": Plan(10, 2),
    "getMarketplaceParticipations": Plan(5, 3),
}


@dataclass
class Live:
    sandbox: AmazonSandbox
    mount: str

    @property
    def credentials(self) -> AmazonCredentials:
        return AmazonCredentials(**self.sandbox.credentials(self.mount))

    def connector(self, **kwargs: Any) -> AmazonConnector:
        return AmazonConnector(self.credentials, **kwargs)

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        return httpx.request(method, f"{self.mount}{path}", timeout=10, **kwargs).json()

    def plans(self, plans: dict[str, Plan], headroom: int = 2) -> None:
        """The sandbox's usage plans: the connector's, with `headroom` more requests of burst. The
        sandbox runs in a thread of this process, on another clock: at these sped-up rates (tens of
        milliseconds between requests) a request held up on its way for as long would meet an empty
        bucket. At Amazon's rates (half a second and more between requests) that is noise."""
        changes = {op: {"rate": p.rate, "burst": p.burst + headroom} for op, p in plans.items()}
        self.control("POST", "/_sandbox/rate-limits", json=changes)


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    sandbox = make_sandbox()
    with serving(sandbox) as mount:
        yield Live(sandbox, mount)


@pytest.fixture(autouse=True)
def fresh(live: Live) -> Iterator[None]:
    for path in ("/_sandbox/faults", "/_sandbox/rate-limits", "/_sandbox/lwa"):
        live.control("DELETE", path)
    live.control("POST", "/_sandbox/faults", json={"rate_limits": False})
    yield


async def read_stream(connector: AmazonConnector, name: str, window: SyncWindow) -> tuple[list[Any], int, Any]:
    """Every raw record of a stream through its resume tokens; the pages; the client's counters."""
    stream = connector.streams[name]
    records, token, pages = [], None, 0
    async with connector.client(QUICK) as client:
        while True:
            page = await stream.read_page(client, window, token)
            records += page.records
            pages += 1
            if (token := page.next_token) is None:
                return records, pages, client.stats


def map_all(connector: AmazonConnector, name: str, records: list[Any]) -> tuple[dict[str, Any], set[str]]:
    stream = connector.streams[name]
    mapped, failed = {}, set()
    for raw in records:
        try:
            mapped[stream.external_id(raw)] = stream.map(raw)
        except MAPPING_ERRORS:
            failed.add(stream.external_id(raw))
    return mapped, failed


async def test_the_credential_check_names_the_marketplaces(live):
    async with live.connector().client() as client:
        found = await live.connector().check(client)
    assert found["sellerId"] == live.sandbox.seller_id
    assert [m["currency"] for m in found["marketplaces"]] == [m.currency for m in MARKETPLACES]
    provider = get_provider("amazon")
    assert (await verify_credentials(provider, live.credentials))["marketplaces"]
    wrong = live.credentials.model_copy(
        update={"lwaClientSecret": live.credentials.lwaClientSecret.__class__("x" * 40)}
    )
    with pytest.raises(InvalidCredentials):
        await verify_credentials(provider, wrong)
    elsewhere = live.credentials.model_copy(update={"marketplaceIds": ["A13V1IB3VIYZZH"]})
    with pytest.raises(ConfigurationError, match="A13V1IB3VIYZZH"):
        await verify_credentials(provider, elsewhere)
    guarded = live.credentials.model_copy(update={"lwaEndpoint": "http://169.254.169.254/auth/o2/token"})
    with pytest.raises(ConfigurationError):  # an lwaEndpoint is held to the network policy like apiBaseUrl
        await verify_credentials(provider, guarded)


async def test_orders_read_over_several_pages_with_every_item(live):
    live.control("POST", "/_sandbox/settings", json={"order_items_page_size": 2})
    try:
        records, pages, stats = await read_stream(live.connector(), "orders", SyncWindow(page_size=25))
    finally:
        live.control("POST", "/_sandbox/settings", json={"order_items_page_size": 100})
    expected = {o.id: o for o in every_order(live.sandbox)}
    assert pages == -(-len(expected) // 25) and pages >= 7
    assert sorted(r["AmazonOrderId"] for r in records) == sorted(expected)
    for raw in records:
        assert [i["OrderItemId"] for i in raw["_items"]] == [
            i.order_item_id for i in expected[raw["AmazonOrderId"]].items
        ]
    mapped, failed = map_all(live.connector(), "orders", records)
    broken = {o.id for o in expected.values() if o.source.malformed and o.status != "Pending"}
    assert failed == broken and broken  # the decimal comma, and nothing else
    for order_id, order in mapped.items():
        source = expected[order_id]
        assert isinstance(order, rec.Order)
        assert order.currency == order.presentment_currency == source.marketplace.currency
        assert order.taxes_included == source.marketplace.tax_included
        if source.status != "Pending":
            assert order.total == int(source.total.scaleb(source.marketplace.decimals))
        assert len(order.lines) == len(source.items)
    assert stats.requests == pages + sum(-(-len(o.items) // 2) for o in expected.values()) + 0


async def test_orders_window_filters_and_fetch(live):
    orders = every_order(live.sandbox)
    since, until = orders[20].updated_at, orders[60].updated_at
    window = SyncWindow(since=since, until=until, filters={"orderStatus": ["Shipped", "Delivered"]}, page_size=100)
    records, _, _ = await read_stream(live.connector(), "orders", window)
    assert {r["AmazonOrderId"] for r in records} == {
        o.id for o in orders if since <= o.updated_at <= until and o.status == "Shipped"
    }
    connector = live.connector()
    async with connector.client(QUICK) as client:
        one = await connector.fetch_record(client, "orders", orders[5].id)
        gone = await connector.fetch_record(client, "orders", "114-0000000-0000000")
        other = await connector.fetch_record(client, "fees", "anything")
    assert one["AmazonOrderId"] == orders[5].id and len(one["_items"]) == len(orders[5].items)
    assert gone is None and other is None
    with pytest.raises(ConfigurationError, match="not an Amazon order status"):
        await read_stream(live.connector(), "orders", SyncWindow(filters={"orderStatus": ["teleported"]}))


async def test_fees_inventory_and_locations(live):
    connector = live.connector()
    fees, _, _ = await read_stream(connector, "fees", SyncWindow(page_size=40))
    mapped, failed = map_all(connector, "fees", fees)
    # Dated events by their date; service fees (undated) from the closed settlement they were billed in.
    settled_fees = [e for g in live.sandbox.groups if g.closed for e in g.events if e.list == "ServiceFeeEventList"]
    dated = [e for e in live.sandbox.events if e.list != "ServiceFeeEventList"]
    assert settled_fees and not failed and len(mapped) == len(dated) + len(settled_fees)
    entries = list(mapped.values())
    service = [e for e in entries if e.upstream_type == "ServiceFeeEvent"]
    assert sorted(e.settlement.net for e in service) == sorted(  # USD: cents
        sum(int(Decimal(str(f["FeeAmount"]["CurrencyAmount"])).scaleb(2)) for f in e.body["FeeList"])
        for e in settled_fees
    )
    assert all(isinstance(e, pay.BalanceEntry) and e.kind == "fee" for e in entries)
    shipments = [e for e in entries if e.upstream_type == "ShipmentEvent"]
    refunds = [e for e in entries if e.upstream_type == "RefundEvent"]
    assert shipments and refunds
    assert all(e.settlement.amount < 0 and e.source_external_id for e in shipments)
    assert all(e.settlement.amount > 0 for e in refunds)  # the commission given back, less what Amazon keeps
    assert all(sum(f.amount for f in e.settlement.fee_lines) == -e.settlement.net for e in entries)
    assert {e.settlement.currency for e in entries} == {m.currency for m in MARKETPLACES}
    again, _, _ = await read_stream(connector, "fees", SyncWindow(page_size=100))
    assert sorted(map_all(connector, "fees", again)[0]) == sorted(mapped)  # keys are stable

    levels, pages, _ = await read_stream(connector, "inventory", SyncWindow())
    assert pages >= len(MARKETPLACES) * 2
    mapped_levels, failed_levels = map_all(connector, "inventory", levels)
    assert not failed_levels and len(mapped_levels) == len(MARKETPLACES) * len(live.sandbox.store.variants)
    assert all(lv.on_hand >= lv.reserved >= 0 for lv in mapped_levels.values())
    locations, _, _ = await read_stream(connector, "locations", SyncWindow())
    assert {lv.location_external_id for lv in mapped_levels.values()} == {loc["id"] for loc in locations}


async def test_per_operation_budgets_keep_under_every_plan_without_a_429(live, runtime: Runtime):
    live.plans(FAST)
    live.control("POST", "/_sandbox/faults", json={"rate_limits": True})
    bucket = f"upstream:test-{secrets.token_hex(6)}"
    orders = every_order(live.sandbox)
    window = SyncWindow(since=orders[len(orders) // 2].updated_at, page_size=20)

    async def job() -> Any:  # two jobs of one integration: one budget per operation, shared
        connector = live.connector(budget=Budget(runtime.bookkeeping, bucket, AmazonConnector.default_limit))
        connector.plans = FAST
        return await read_stream(connector, "orders", window)

    (first, pages, stats_a), (second, _, stats_b) = await asyncio.gather(job(), job())
    report = live.control("GET", "/_sandbox/rate-limits")
    assert len(first) == len(second) == len(orders) - len(orders) // 2 and pages >= 4
    assert report["throttled"] == {} and live.control("GET", "/_sandbox/faults")["stats"]["throttled"] == 0
    assert report["calls"]["getOrderItems"] == 2 * len(first)
    assert stats_a.rate_limited == stats_b.rate_limited == 0
    assert stats_a.waited_seconds + stats_b.waited_seconds > 1  # the budgets held requests back
    live.plans(FAST)  # full buckets again: the same read without a budget runs into the plans at once
    unbudgeted = live.connector()
    _, _, stats = await read_stream(unbudgeted, "orders", window)
    assert stats.rate_limited > 0


def test_a_rate_limit_setting_replaces_every_plan_and_null_spends_none():
    shared = Budget(None, "upstream:x", AmazonConnector.default_limit)  # type: ignore[arg-type]
    published = OperationBudgets(shared, PUBLISHED, AmazonConnector.default_limit)
    orders = published("GET", "/orders/v0/orders")
    items = published("GET", "/orders/v0/orders/114-1-2/orderItems")
    assert orders is not None and items is not None
    assert (orders.bucket, items.bucket) == ("upstream:x:getOrders", "upstream:x:getOrderItems")
    assert orders.limit.interval == pytest.approx(1 / (0.0167 * 0.9)) and orders.limit.burst == 19
    assert published("GET", "/orders/v0/orders") is orders
    raised = Limit(rate=5, period=1, burst=10)
    override = OperationBudgets(Budget(None, "upstream:x", raised), PUBLISHED, AmazonConnector.default_limit)  # type: ignore[arg-type]
    assert override("GET", "/finances/v0/financialEvents").limit == raised  # type: ignore[union-attr]
    assert OperationBudgets(None, PUBLISHED, AmazonConnector.default_limit)("GET", "/orders/v0/orders") is None
    answer = httpx.Response(429, headers={"x-amzn-RateLimit-Limit": "0.5"})
    assert AmazonPolicy().wait_for(answer, None) == 2.0
    assert AmazonPolicy().wait_for(httpx.Response(429), None) is None


async def test_429s_and_5xx_are_waited_out_and_retried(live):
    live.plans({op: Plan(50, 10) for op in FAST}, headroom=0)  # a 429 says its plan: a 50th of a second's wait
    live.control("POST", "/_sandbox/faults", json={"throttle_next": 2, "fail_next": 2})
    records, _, stats = await read_stream(live.connector(), "orders", SyncWindow(page_size=50))
    assert sorted(r["AmazonOrderId"] for r in records) == sorted(o.id for o in every_order(live.sandbox))
    assert stats.rate_limited == 2 and stats.retries == 2
    assert live.control("GET", "/_sandbox/faults")["stats"]["injected_errors"] == 2


async def _stored_integration(client: httpx.AsyncClient, tenant: Tenant, live: Live) -> str:
    r = await client.post(
        "/v1/integrations/amazon/setup",
        headers=tenant.headers,
        json={"name": f"amazon {secrets.token_hex(3)}", "credentials": live.sandbox.credentials(live.mount)},
    )
    assert r.status_code == 201, r.text
    assert r.json()["data"]["status"] == "active"
    return str(r.json()["data"]["id"])


async def _connector(runtime: Runtime, integration_id: str) -> AmazonConnector:
    async with runtime.sessions() as session:
        integration = await session.get(Integration, integration_id)
        connector = connector_for(runtime, integration)
    assert isinstance(connector, AmazonConnector)
    return connector


async def test_the_access_token_is_refreshed_once_however_many_jobs_ask(client, tenant, runtime, live, monkeypatch):
    monkeypatch.setattr(AmazonConnector, "plans", FAST)  # the integration's budgets, at the sped-up plans
    iid = await _stored_integration(client, tenant, live)
    live.control("DELETE", "/_sandbox/lwa")  # forget the token the setup's check was given

    async def job() -> int:
        connector = await _connector(runtime, iid)  # each with its own token store, as separate jobs have
        stream = connector.streams["orders"]
        async with connector.client(QUICK) as upstream:
            pages = await asyncio.gather(*(stream.read_page(upstream, SyncWindow(page_size=5), None) for _ in range(3)))
        return sum(len(p.records) for p in pages)

    assert await asyncio.gather(*(job() for _ in range(6))) == [15] * 6
    assert live.control("GET", "/_sandbox/lwa")["grants"] == 1
    async with runtime.sessions() as session:
        integration = await session.get(Integration, iid)
        stored = runtime.secrets.decrypt_json(integration.credentials_encrypted)
        assert stored["_accessToken"].startswith("Atza|") and stored["refreshToken"] == live.sandbox.lwa.refresh_token
        assert decrypt_credentials(runtime.secrets, integration).sellerId  # the saved token leaves them readable
    assert await job() == 15 and live.control("GET", "/_sandbox/lwa")["grants"] == 1  # the saved token, reused


async def test_a_refused_refresh_flags_the_integration_once_and_is_not_asked_again(
    client, tenant, runtime, live, monkeypatch
):
    monkeypatch.setattr(AmazonConnector, "plans", FAST)
    iid = await _stored_integration(client, tenant, live)
    live.control("POST", "/_sandbox/lwa", json={"revoked": True})
    for _ in range(3):
        connector = await _connector(runtime, iid)
        with pytest.raises(ReauthorisationNeeded, match="invalid_grant"):
            await read_stream(connector, "orders", SyncWindow(page_size=5))
    assert live.control("GET", "/_sandbox/lwa")["refused"] == 1
    async with runtime.sessions() as session:
        integration = await session.get(Integration, iid)
        errors = (
            await session.execute(select(Event).where(Event.integration_id == iid, Event.type == "integration.error"))
        ).all()
    assert integration.status == "needs_reauth" and "authorise the SP-API app again" in integration.last_error
    assert len(errors) == 1


async def test_login_with_amazon_5xx_is_retried(live):
    live.control("POST", "/_sandbox/lwa", json={"fail_next": 2})
    connector = live.connector()
    async with connector.client(QUICK) as client:
        assert (await connector.check(client))["sellerId"]
    assert live.control("GET", "/_sandbox/lwa")["grants"] == 1


async def test_a_token_refused_before_its_time_is_replaced_once(client, tenant, runtime, live, monkeypatch):
    monkeypatch.setattr(AmazonConnector, "plans", FAST)
    iid = await _stored_integration(client, tenant, live)
    first = await _connector(runtime, iid)
    assert len((await read_stream(first, "orders", SyncWindow(page_size=100)))[0]) == len(every_order(live.sandbox))
    grants = live.control("GET", "/_sandbox/lwa")["grants"]
    live.sandbox.lwa.tokens.clear()  # every token Amazon issued is revoked (the app's role changed, say)

    async def job() -> int:
        connector = await _connector(runtime, iid)
        async with connector.client(QUICK) as upstream:
            page = await connector.streams["orders"].read_page(upstream, SyncWindow(page_size=3), None)
        return len(page.records)

    assert await asyncio.gather(*(job() for _ in range(4))) == [3] * 4
    assert live.control("GET", "/_sandbox/lwa")["grants"] == grants + 1


async def test_a_sync_run_with_a_revoked_refresh_token_fails_with_auth_failed(
    client, tenant, runtime, live, monkeypatch
):
    monkeypatch.setattr(AmazonConnector, "plans", FAST)
    iid = await _stored_integration(client, tenant, live)
    live.control("POST", "/_sandbox/lwa", json={"revoked": True})
    run = await sync(client, runtime, tenant.headers, iid, "orders")
    assert run["state"] == "failed" and run["errorCode"] == "AUTH_FAILED", run
    assert "authorise the SP-API app again" in run["errorMessage"]
    assert live.control("GET", "/_sandbox/lwa")["refused"] == 1
    # Flagged once, by the token store: the run's end neither relabels it nor says it again, so the
    # scheduler leaves it alone until someone reconnects it (no refresh loop).
    integration = (await client.get(f"/v1/integrations/{iid}", headers=tenant.headers)).json()["data"]
    assert integration["status"] == "needs_reauth", integration
    errors = (await client.get("/v1/events?type=integration.error", headers=tenant.headers)).json()["data"]
    assert [e["integrationId"] for e in errors] == [iid]
    again = await sync(client, runtime, tenant.headers, iid, "orders")
    assert again["errorCode"] == "AUTH_FAILED" and live.control("GET", "/_sandbox/lwa")["refused"] == 1
