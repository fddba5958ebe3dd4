"""Stripe payments through the sync engine, against the Stripe sandbox over real sockets: seed 000's
sync-payments and its exact counters, every payment stream past several pages, idempotent re-syncs,
incremental runs, 429/5xx recovery, the newest-first cursor rule (a failed run skips nothing next
time), a run resumed after its worker died, and links between charges, refunds, disputes, balance
entries, payouts and the orders the charges name."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from ledgerlink.connectors.registry import get_provider
from ledgerlink.models import BalanceEntry, Event, ExternalRef, Payment, PayoutItem, StreamCursor, SyncRun
from ledgerlink.sandbox.dataset import Store
from ledgerlink.sandbox.stripe import StripeSandbox
from ledgerlink.sandbox.stripe.world import World
from ledgerlink.sync import payment_runs
from ledgerlink.sync.engine import execute_run
from ledgerlink.sync.schedule import scheduled_streams
from tests.conftest import ROOT, SANDBOX_MALFORMED_EVERY, SANDBOX_ORDERS, TEST_DATA_DIR, Sandbox, make_tenant
from tests.sync_support import retry_failed, setup_store, start, sync

pytestmark = pytest.mark.slow
PROVIDER = "stripe"
SEED = 7  # the shared sandbox's: the Stripe account pays for the very orders the stores serve
STREAMS = ("payments", "refunds", "disputes", "balance_transactions", "payouts")
ROOMY_BIGCOMMERCE = {"quota": 10_000, "window_ms": 1_000}
SEED_COUNTERS = (
    "paymentsProcessed",
    "paymentsCreated",
    "paymentsUpdated",
    "refundsProcessed",
    "chargebacksProcessed",
    "feesRecorded",
    "totalAmount",
    "totalFees",
)


@pytest.fixture(scope="module")
def stripe_sandbox() -> Iterator[Sandbox]:
    """`ledgerlink sandbox --providers stripe` in its own process (rate limits on: 25 reads/s)."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ledgerlink",
            "sandbox",
            "--port",
            "0",
            "--orders",
            str(SANDBOX_ORDERS),
            "--seed",
            str(SEED),
            "--providers",
            PROVIDER,
            "--malformed-every",
            str(SANDBOX_MALFORMED_EVERY),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=(TEST_DATA_DIR / "sandbox-stripe.log").open("w"),
        text=True,
        env={**os.environ},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise RuntimeError("the Stripe sandbox did not start")
    stores = json.loads(line)
    yield Sandbox(stores[PROVIDER]["credentials"]["apiBaseUrl"].rsplit("/", 1)[0], stores)
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def world() -> World:
    """The sandbox account's own facts, built the same way the sandbox process builds them."""
    return StripeSandbox(Store(seed=SEED, orders_count=SANDBOX_ORDERS, malformed_every=SANDBOX_MALFORMED_EVERY)).world


@pytest.fixture
async def stripe(client, runtime, stripe_sandbox):
    stripe_sandbox.reset(PROVIDER)
    tenant = await make_tenant(runtime)
    integration_id = await setup_store(client, tenant.headers, PROVIDER, stripe_sandbox.credentials(PROVIDER))
    yield tenant, integration_id
    stripe_sandbox.reset(PROVIDER)


async def sync_payments(client, runtime, headers: dict[str, str], integration_id: str, **body: Any) -> dict[str, Any]:
    """POST sync-payments, execute its runs here (as workers would), return the request's view."""
    r = await client.post(
        "/v1/integrations/stripe/sync-payments", headers=headers, json={"integrationId": integration_id, **body}
    )
    assert r.status_code == 202, r.text
    started = r.json()["data"]
    for member in started["runs"]:
        await execute_run(runtime, member["syncId"])
    r = await client.get(f"/v1/sync-runs/{started['syncId']}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]


# --- what the sandbox says the counters must be --------------------------------------------------


def loaded_charges(world: World) -> list[Any]:
    return [c for c in world.charges.items if not c.malformed]  # malformed ones are item errors


def expected_totals(world: World) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """({currency: [payments, captured minor]}, {balance currency: [fees, fee minor]})."""
    amounts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    fees: dict[str, list[int]] = defaultdict(lambda: [0, 0])

    def fee(txn_id: str | None, amount: int | None = None) -> None:
        txn = world.balance_transactions.get(txn_id) if txn_id else None
        if txn is not None and (amount if amount is not None else txn.fee):
            fees[txn.currency.upper()][0] += 1
            fees[txn.currency.upper()][1] += amount if amount is not None else txn.fee

    for charge in loaded_charges(world):
        amounts[charge.currency.upper()][0] += 1
        amounts[charge.currency.upper()][1] += charge.amount if charge.captured else 0
        fee(charge.balance_transaction_id)
    for refund in world.refunds.items:
        fee(refund.balance_transaction_id)
    for dispute in world.disputes.items:
        for txn_id in dispute.balance_transaction_ids:
            fee(txn_id)
    for txn in world.balance_transactions.items:
        if txn.type == "stripe_fee":
            fee(txn.id, -txn.net)
    return dict(amounts), dict(fees)


def by_currency(listing: list[dict[str, Any]], noun: str) -> dict[str, list[int]]:
    return {row["currency"]: [row[noun], row["amountMinor"]] for row in listing}


def _iso(unix: int) -> str:
    return datetime.fromtimestamp(unix, UTC).isoformat()


async def count(runtime, model: Any, *where: Any) -> int:
    async with runtime.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(model).where(*where))).scalar_one())


# --- tests ---------------------------------------------------------------------------------------


async def test_sync_payments_counts_exactly_what_the_account_holds(client, runtime, stripe_sandbox, stripe, world):
    tenant, iid = stripe
    body = {
        "credentials": None,
        "dateRange": None,
        "includeRefunds": True,
        "includeChargebacks": True,
        "includeFees": True,
        "batchSize": 5,  # every stream several pages long
    }
    r = await client.post(
        "/v1/integrations/stripe/sync-payments", headers=tenant.headers, json={"integrationId": iid, **body}
    )
    assert r.status_code == 202, r.text
    started = r.json()["data"]
    assert started["syncId"].startswith("sync_") and started["status"] == "processing"
    assert {k: started[k] for k in SEED_COUNTERS} == dict.fromkeys(SEED_COUNTERS, 0)
    assert [m["stream"] for m in started["runs"]] == list(STREAMS)
    for member in started["runs"]:
        await execute_run(runtime, member["syncId"])
    done = (await client.get(f"/v1/sync-runs/{started['syncId']}", headers=tenant.headers)).json()["data"]

    charges, loaded = world.charges.items, loaded_charges(world)
    amounts, fees = expected_totals(world)
    assert done["status"] == "completed_with_errors", done  # the sandbox's malformed charges
    assert done["paymentsProcessed"] == len(charges)
    assert done["paymentsCreated"] == len(loaded) and done["paymentsUpdated"] == 0
    assert done["paymentsFailed"] == len(charges) - len(loaded) > 0
    assert done["refundsProcessed"] == len(world.refunds.items) > 0
    assert done["chargebacksProcessed"] == len(world.disputes.items) > 0
    assert done["feesRecorded"] == sum(n for n, _ in fees.values()) > len(loaded) // 2
    assert by_currency(done["totalAmountByCurrency"], "payments") == amounts
    assert by_currency(done["totalFeesByCurrency"], "fees") == fees
    assert len(amounts) > 1 and done["totalAmount"] is None  # several currencies are never added up
    runs = {m["stream"]: m for m in done["runs"]}
    assert runs["payments"]["pages"] >= len(charges) // 5
    assert runs["balance_transactions"]["created"] == len(world.balance_transactions.items)
    assert runs["payouts"]["created"] == len(world.payouts.items)
    for stream in ("refunds", "disputes", "balance_transactions", "payouts"):
        assert runs[stream]["state"] == "succeeded" and runs[stream]["pages"] >= 2, runs[stream]
    # Any run of the request shows the request's counters; the lead also its state.
    member = (await client.get(f"/v1/sync-runs/{runs['refunds']['syncId']}", headers=tenant.headers)).json()["data"]
    assert member["paymentsCreated"] == done["paymentsCreated"] and member["state"] == "succeeded"
    listed = (await client.get(f"/v1/sync-runs?integrationId={iid}", headers=tenant.headers)).json()["data"]
    assert {r["syncId"]: r["feesRecorded"] for r in listed} == {
        m["syncId"]: done["feesRecorded"] for m in runs.values()
    }

    # What was stored, and linked.
    w = Payment.workspace_id == tenant.workspace_id
    assert await count(runtime, Payment, w, Payment.kind == "charge") == len(loaded)
    assert await count(runtime, Payment, w, Payment.kind == "refund") == len(world.refunds.items)
    assert await count(runtime, Payment, w, Payment.kind == "chargeback") == len(world.disputes.items)
    assert await count(runtime, Payment, w, Payment.kind == "payout") == len(world.payouts.items)
    loaded_ids = {c.id for c in loaded}
    refunds_of_loaded = sum(r.charge_id in loaded_ids for r in world.refunds.items)
    assert await count(runtime, Payment, w, Payment.kind == "refund", Payment.parent_id.is_not(None)) == (
        refunds_of_loaded
    )
    paid_out = {txn for p in world.payouts.items for txn in p.contents}
    settled = {c.balance_transaction_id for c in loaded if c.balance_transaction_id in paid_out}
    assert await count(runtime, Payment, w, Payment.kind == "charge", Payment.payout_id.is_not(None)) == len(settled)
    b = BalanceEntry.workspace_id == tenant.workspace_id
    assert await count(runtime, BalanceEntry, b) == len(world.balance_transactions.items)
    assert await count(runtime, BalanceEntry, b, BalanceEntry.payout_id.is_not(None)) == len(paid_out)
    with_source = [t for t in world.balance_transactions.items if t.source_id]
    linkable = [t for t in with_source if t.source_id not in {c.id for c in charges} - loaded_ids]
    assert await count(runtime, BalanceEntry, b, BalanceEntry.payment_id.is_not(None)) == len(linkable)
    async with runtime.sessions() as session:
        items = (
            await session.execute(select(PayoutItem).where(PayoutItem.workspace_id == tenant.workspace_id))
        ).scalars()
        nets: dict[str, int] = Counter()
        for item in items:
            nets[item.payout_id] += 0 if item.kind == "payout" else item.net
        payouts = (await session.execute(select(Payment).where(w, Payment.kind == "payout"))).scalars().all()
        assert payouts and all(nets[p.id] == p.amount for p in payouts)  # each payout is its items' net
        assert all(p.attributes["unreconciledMinor"] == 0 for p in payouts)
        settled_rows = (
            (await session.execute(select(Payment).where(w, Payment.settlement_amount.is_not(None)))).scalars().all()
        )
        assert all(p.settlement_net == p.settlement_amount - p.settlement_fee for p in settled_rows)
        assert {p.kind for p in settled_rows} == {"charge", "refund", "chargeback", "payout"}
    created = (await client.get("/v1/events?type=payment.created&limit=1", headers=tenant.headers)).json()
    assert created["pagination"]["total"] == len(loaded)
    assert created["data"][0]["data"]["kind"] == "charge"

    # The merchant fixes the broken charges upstream: retry-failed fetches and loads each of them.
    assert done["runs"][0]["failed"] and done["recentErrors"][0]["paymentId"].startswith("ch_")
    stripe_sandbox.faults(PROVIDER, malformed=False)
    retry = await retry_failed(client, runtime, tenant.headers, iid, started["syncId"])
    assert retry["paymentsCreated"] == len(charges) - len(loaded) and retry["paymentsFailed"] == 0
    assert retry["totalAmountByCurrency"] and retry["feesRecorded"] >= 1


async def test_resync_creates_nothing_and_incremental_reads_only_the_lookback(client, runtime, stripe, world):
    tenant, iid = stripe
    first = await sync_payments(client, runtime, tenant.headers, iid, batchSize=100)
    again = await sync_payments(client, runtime, tenant.headers, iid, batchSize=100, syncType="full")
    assert again["paymentsCreated"] == 0 and again["paymentsUpdated"] == 0
    assert again["paymentsProcessed"] == first["paymentsProcessed"]
    assert all(m["created"] == 0 and m["updated"] == 0 for m in again["runs"]), again["runs"]
    assert again["totalAmountByCurrency"] == first["totalAmountByCurrency"]  # processed, so counted again
    assert await count(runtime, Payment, Payment.workspace_id == tenant.workspace_id) == sum(
        m["created"] for m in first["runs"] if m["stream"] != "balance_transactions"
    )
    events = await count(runtime, Event, Event.workspace_id == tenant.workspace_id, Event.type == "payment.created")
    assert events == first["paymentsCreated"]

    # Each stream's cursor is its newest record: the next incremental run reads only the lookback.
    async with runtime.sessions() as session:
        cursors = {
            c.stream: c.cursor_at
            for c in (await session.execute(select(StreamCursor).where(StreamCursor.integration_id == iid))).scalars()
        }
    assert set(cursors) == set(STREAMS)
    assert int(cursors["payments"].timestamp()) == world.charges.items[0].created
    incremental = await sync_payments(client, runtime, tenant.headers, iid)
    assert {m["stream"]: m["state"] for m in incremental["runs"]} == dict.fromkeys(STREAMS, "succeeded")
    assert incremental["syncType"] == "incremental"
    assert 0 < incremental["paymentsProcessed"] < 20 and incremental["paymentsCreated"] == 0


async def test_a_date_range_bounds_every_stream_and_moves_no_cursor(client, runtime, stripe, world):
    tenant, iid = stripe
    newest = world.charges.items[0].created
    start_at, end_at = newest - 6 * 3600, newest - 3600
    window = {"from": _iso(start_at), "to": _iso(end_at)}
    done = await sync_payments(client, runtime, tenant.headers, iid, dateRange=window, includeFees=False)
    inside = [c for c in world.charges.items if start_at <= c.created <= end_at]
    assert done["paymentsProcessed"] == len(inside) > 0
    assert [m["stream"] for m in done["runs"]] == ["payments", "refunds", "disputes", "payouts"]
    assert await count(runtime, StreamCursor, StreamCursor.integration_id == iid) == 0


async def test_429_and_5xx_are_recovered(client, runtime, stripe_sandbox, stripe, world):
    tenant, iid = stripe
    stripe_sandbox.faults(PROVIDER, throttle_next=2, fail_next=3)
    done = await sync_payments(client, runtime, tenant.headers, iid, batchSize=50, includeFees=False)
    stats = stripe_sandbox.control(PROVIDER)["stats"]
    assert stats["injected_errors"] >= 3 and stats["over_limit"] == 0, stats
    assert done["paymentsCreated"] == len(loaded_charges(world))
    assert {m["stream"]: m["state"] for m in done["runs"]} == {
        "payments": "completed_with_errors",
        "refunds": "succeeded",
        "disputes": "succeeded",
        "payouts": "succeeded",
    }


async def _wait_for_pages(runtime, run_id: str, pages: int) -> None:
    for _ in range(300):
        async with runtime.sessions() as session:
            run = await session.get(SyncRun, run_id)
        if run is not None and run.pages >= pages:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"run {run_id} did not reach {pages} pages")


async def test_a_failed_newest_first_run_moves_no_cursor_and_the_next_run_skips_nothing(
    client, runtime, stripe_sandbox, stripe, world
):
    tenant, iid = stripe
    stripe_sandbox.faults(PROVIDER, latency_ms=150)
    run_id = (await start(client, tenant.headers, iid, "payments", batchSize=20))["syncId"]
    running = asyncio.create_task(execute_run(runtime, run_id))
    await _wait_for_pages(runtime, run_id, 2)
    stripe_sandbox.faults(PROVIDER, error_rate=1.0, error_status=400)  # refused: no retry helps
    assert await running == "failed"
    async with runtime.sessions() as session:
        failed = await session.get(SyncRun, run_id)
        assert failed.pages >= 2 and failed.high_water is not None  # the newest records are stored …
        cursor = await session.get(StreamCursor, (iid, "payments"))
    assert cursor is None  # … yet the cursor did not move past the older ones never read

    stripe_sandbox.reset(PROVIDER)
    after = await sync(client, runtime, tenant.headers, iid, "payments", batchSize=100)
    assert after["syncType"] == "full"  # no cursor: everything again
    assert after["paymentsCreated"] + failed.created == len(loaded_charges(world))
    stored = await count(runtime, Payment, Payment.workspace_id == tenant.workspace_id, Payment.kind == "charge")
    assert stored == len(loaded_charges(world))
    async with runtime.sessions() as session:
        cursor = await session.get(StreamCursor, (iid, "payments"))
    assert int(cursor.cursor_at.timestamp()) == world.charges.items[0].created


async def test_a_run_resumed_after_its_worker_died_counts_every_record_once(
    client, runtime, stripe_sandbox, stripe, world
):
    tenant, iid = stripe
    started = (
        await client.post(
            "/v1/integrations/stripe/sync-payments",
            headers=tenant.headers,
            json={"integrationId": iid, "batchSize": 20, "includeRefunds": False, "includeChargebacks": False},
        )
    ).json()["data"]
    runs = {m["stream"]: m["syncId"] for m in started["runs"]}
    stripe_sandbox.faults(PROVIDER, latency_ms=150)
    worker = asyncio.create_task(execute_run(runtime, runs["payments"]))
    await _wait_for_pages(runtime, runs["payments"], 3)
    worker.cancel()  # the worker dies between pages (or in one: its transaction is rolled back)
    with pytest.raises(asyncio.CancelledError):
        await worker
    async with runtime.sessions() as session:
        killed = await session.get(SyncRun, runs["payments"])
    assert killed.status == "running" and killed.token is not None
    stripe_sandbox.faults(PROVIDER, latency_ms=0)
    for run_id in runs.values():
        assert await execute_run(runtime, run_id) == "succeeded"
    done = (await client.get(f"/v1/sync-runs/{started['syncId']}", headers=tenant.headers)).json()["data"]
    amounts, fees = expected_totals(world)
    assert done["paymentsProcessed"] == len(world.charges.items)
    assert done["paymentsCreated"] == len(loaded_charges(world))
    assert by_currency(done["totalAmountByCurrency"], "payments") == amounts
    charge_fees = sum(n for n, _ in fees.values()) - sum(
        1 for d in world.disputes.items for t in d.balance_transaction_ids if world.balance_transactions.get(t).fee
    )
    assert done["feesRecorded"] == charge_fees  # charges' fees and the Radar bill; no disputes synced
    async with runtime.sessions() as session:
        assert (await session.get(SyncRun, runs["payments"])).attempts == 2


async def test_payments_link_to_the_orders_their_charges_name(client, runtime, sandbox, stripe, world):
    tenant, iid = stripe
    woo = await setup_store(client, tenant.headers, "woocommerce", sandbox.credentials("woocommerce"))
    # BigCommerce's budget (150 requests per 30 s) is not what this test is about: off here and there.
    big = await setup_store(client, tenant.headers, "bigcommerce", sandbox.credentials("bigcommerce"), rateLimit=None)
    await sync(client, runtime, tenant.headers, woo, "orders", batchSize=100)
    done = await sync_payments(client, runtime, tenant.headers, iid, includeFees=False, includePayouts=False)
    assert done["paymentsCreated"] == len(loaded_charges(world))

    async def links() -> dict[str, str | None]:
        async with runtime.sessions() as session:
            rows = await session.execute(
                select(Payment.external_id, Payment.order_id).where(
                    Payment.integration_id == iid, Payment.kind == "charge"
                )
            )
            return dict(rows.all())

    async def orders_of(integration_id: str) -> dict[str, str]:
        async with runtime.sessions() as session:
            rows = await session.execute(
                select(ExternalRef.external_id, ExternalRef.canonical_id).where(
                    ExternalRef.integration_id == integration_id, ExternalRef.resource_type == "order"
                )
            )
            return dict(rows.all())

    woo_orders = await orders_of(woo)
    linked = await links()
    by_source = defaultdict(list)
    for charge in loaded_charges(world):
        by_source[charge.metadata.get("source")].append(charge)
    for charge in by_source["woocommerce"]:
        assert linked[charge.id] == woo_orders.get(charge.metadata["order_id"]), charge.id
    assert sum(linked[c.id] is not None for c in by_source["woocommerce"]) > len(by_source["woocommerce"]) * 0.9
    assert all(linked[c.id] is None for c in by_source["shopify"] + by_source["bigcommerce"])  # not synced
    # Charges naming their order only in the description ("Order #1001") match its number.
    assert any(linked[c.id] is not None for c in by_source[None])

    # BigCommerce's orders synced afterwards: the payments waiting for them are linked then.
    sandbox.control("bigcommerce", "POST", "/_sandbox/rate-limit", json=ROOMY_BIGCOMMERCE)
    try:
        await sync(client, runtime, tenant.headers, big, "orders", batchSize=100)
    finally:
        sandbox.control("bigcommerce", "DELETE", "/_sandbox/rate-limit")
    big_orders, linked = await orders_of(big), await links()
    for charge in by_source["bigcommerce"]:
        assert linked[charge.id] == big_orders.get(charge.metadata["order_id"]), charge.id
    assert all(linked[c.id] is None for c in by_source["shopify"])
    async with runtime.sessions() as session:
        refunds = (
            await session.execute(
                select(Payment.order_id, Payment.parent_id).where(
                    Payment.integration_id == iid, Payment.kind == "refund"
                )
            )
        ).all()
        order_of_charge = dict(
            (await session.execute(select(Payment.id, Payment.order_id).where(Payment.integration_id == iid))).all()
        )
    assert refunds and all(r.order_id == order_of_charge.get(r.parent_id) for r in refunds if r.parent_id)
    assert any(r.order_id for r in refunds)


async def test_requests_that_cannot_start(client, runtime, sandbox, stripe):
    tenant, iid = stripe
    first = await client.post(
        "/v1/integrations/stripe/sync-payments", headers=tenant.headers, json={"integrationId": iid}
    )
    assert first.status_code == 202
    again = await client.post(
        "/v1/integrations/stripe/sync-payments", headers=tenant.headers, json={"integrationId": iid}
    )
    assert again.status_code == 409 and again.json()["error"]["details"]["stream"] == "payments"
    woo = await setup_store(client, tenant.headers, "woocommerce", sandbox.credentials("woocommerce"))
    wrong = await client.post(
        "/v1/integrations/stripe/sync-payments", headers=tenant.headers, json={"integrationId": woo}
    )
    assert wrong.status_code == 400
    no_payments = await client.post(
        "/v1/integrations/woocommerce/sync-payments", headers=tenant.headers, json={"integrationId": woo}
    )
    assert no_payments.status_code == 400 and no_payments.json()["error"]["code"] == "CONFIGURATION_ERROR"
    for run in first.json()["data"]["runs"]:  # leave nothing queued for the worker tests
        await execute_run(runtime, run["syncId"])


async def test_the_catalog_and_the_schedule_know_stripe_payments(client, tenant):
    available = (await client.get("/v1/integrations/available", headers=tenant.headers)).json()["data"]
    stripe = next(p for p in available["payment_gateways"] if p["id"] == PROVIDER)
    assert stripe["status"] == "active" and "payment_sync" in stripe["features"]
    assert "payment_sync" in get_provider(PROVIDER).features
    assert scheduled_streams({}, STREAMS) == list(STREAMS)
    assert scheduled_streams({"includeFees": False, "includePayouts": False}, STREAMS) == [
        "payments",
        "refunds",
        "disputes",
    ]
    assert scheduled_streams({}, ("orders", "products", "customers", "locations", "inventory")) == [
        "orders",
        "products",
        "customers",
    ]


def test_totals_are_one_number_only_in_one_currency():
    run = SimpleNamespace(stream="payments", processed=3, created=2, updated=1)
    usd = [SimpleNamespace(measure="payments", currency="USD", records=3, amount=12500050)]
    fees = [SimpleNamespace(measure="fees", currency="JPY", records=2, amount=375)]
    one = payment_runs.counters([run], usd + fees)
    assert one["totalAmount"] == 125000.50 and one["totalFees"] == 375 and one["feesRecorded"] == 2
    assert one["totalAmountByCurrency"] == [
        {"currency": "USD", "amount": "125000.50", "amountMinor": 12500050, "payments": 3}
    ]
    eur = [SimpleNamespace(measure="payments", currency="EUR", records=1, amount=100)]
    assert payment_runs.counters([run], usd + eur)["totalAmount"] is None
    assert payment_runs.counters([], [])["totalAmount"] == 0
