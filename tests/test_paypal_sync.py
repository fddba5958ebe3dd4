"""PayPal transactions through the sync engine, against the PayPal sandbox over a real socket: seed
000's `POST /v1/integrations/paypal/sync-transactions` with the payment sync's counters, every
stream across several 31-day windows and pages, what lands in the payment tables (links between
refunds, chargebacks and their payments), and a re-sync that creates nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from ledgerlink.connectors.registry import get_provider
from ledgerlink.models import BalanceEntry, Payment
from ledgerlink.runtime import Runtime
from ledgerlink.sandbox.paypal import PayPalSandbox
from ledgerlink.sandbox.paypal.facts import Transaction
from ledgerlink.sync.engine import execute_run
from tests.conftest import make_tenant
from tests.sync_support import setup_store
from tests.test_paypal_sandbox import make_sandbox, serving

pytestmark = pytest.mark.slow
RANGE = {"from": "2024-01-01", "to": "2024-06-30"}  # the sandbox account's whole life


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[PayPalSandbox, str]]:
    sandbox = make_sandbox()
    with serving(sandbox) as mount:
        yield sandbox, mount


@pytest.fixture
async def paypal(client, runtime, live):
    sandbox, mount = live
    tenant = await make_tenant(runtime)
    # No budget: the sandbox's rate limit is off, and a 10-a-second pace would only slow the test.
    integration_id = await setup_store(client, tenant.headers, "paypal", sandbox.credentials(mount), rateLimit=None)
    return tenant, integration_id


async def sync_transactions(client, runtime: Runtime, headers: dict[str, str], iid: str, **body: Any) -> dict[str, Any]:
    r = await client.post(
        "/v1/integrations/paypal/sync-transactions", headers=headers, json={"integrationId": iid, **body}
    )
    assert r.status_code == 202, r.text
    started = r.json()["data"]
    for member in started["runs"]:
        await execute_run(runtime, member["syncId"])
    r = await client.get(f"/v1/sync-runs/{started['syncId']}", headers=headers)
    assert r.status_code == 200, r.text
    return dict(r.json()["data"])


async def count(runtime: Runtime, model: Any, *where: Any) -> int:
    async with runtime.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(model).where(*where))).scalar_one())


def expected(transactions: list[Transaction]) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """({currency: [payments, captured minor]}, {currency: [fees, fee minor]}) of what loads."""
    amounts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    fees: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for txn in transactions:
        if txn.malformed:
            continue
        if txn.event_code == "T0006":
            amounts[txn.currency][0] += 1
            amounts[txn.currency][1] += txn.amount if txn.status in ("S", "V") else 0
        if txn.event_code in ("T0006", "T1107") and txn.fee and txn.status != "D":
            fees[txn.currency][0] += 1
            fees[txn.currency][1] += -txn.fee
        if txn.event_code == "T0106":  # a fee billed on its own
            fees[txn.currency][0] += 1
            fees[txn.currency][1] += -txn.amount
    return dict(amounts), dict(fees)


def by_currency(listing: list[dict[str, Any]], noun: str) -> dict[str, list[int]]:
    return {row["currency"]: [row[noun], row["amountMinor"]] for row in listing}


async def test_sync_transactions_stores_what_the_account_holds_and_counts_it(client, runtime, paypal, live):
    sandbox, _ = live
    tenant, iid = paypal
    done = await sync_transactions(client, runtime, tenant.headers, iid, dateRange=RANGE, batchSize=20)
    ledger = sandbox.ledger.transactions
    of = defaultdict(list)
    for txn in ledger:
        of[txn.event_code].append(txn)
    payments = of["T0006"]
    broken = [t for t in payments if t.malformed]
    assert [m["stream"] for m in done["runs"]] == ["payments", "refunds", "disputes", "balance_transactions"]
    assert done["status"] == "completed_with_errors", done  # the sandbox's malformed records
    assert done["paymentsProcessed"] == len(payments)
    assert done["paymentsCreated"] == len(payments) - len(broken) and done["paymentsUpdated"] == 0 and broken
    assert done["refundsProcessed"] == len(of["T1107"]) > 0
    assert done["chargebacksProcessed"] == len(of["T1201"]) > 0
    amounts, fees = expected(ledger)
    assert by_currency(done["totalAmountByCurrency"], "payments") == amounts
    assert by_currency(done["totalFeesByCurrency"], "fees") == fees
    assert done["feesRecorded"] == sum(n for n, _ in fees.values()) and done["totalAmount"] is None
    runs = {m["stream"]: m for m in done["runs"]}
    assert runs["payments"]["pages"] >= 10  # several windows, several pages each
    assert runs["balance_transactions"]["created"] == len(ledger) - len(broken)

    w = Payment.workspace_id == tenant.workspace_id
    assert await count(runtime, Payment, w, Payment.kind == "charge") == len(payments) - len(broken)
    assert await count(runtime, Payment, w, Payment.kind == "refund") == len(of["T1107"])
    assert await count(runtime, Payment, w, Payment.kind == "chargeback") == len(of["T1201"])
    loaded = {t.id for t in payments if not t.malformed}
    linked = sum(t.reference_id in loaded for t in of["T1107"] + of["T1201"])
    parented = Payment.kind.in_(["refund", "chargeback"]), Payment.parent_id.is_not(None)
    assert await count(runtime, Payment, w, *parented) == linked > 0
    b = BalanceEntry.workspace_id == tenant.workspace_id
    assert await count(runtime, BalanceEntry, b) == len(ledger) - len(broken)
    assert await count(runtime, BalanceEntry, b, BalanceEntry.kind == "fee") == len(of["T0106"])

    again = await sync_transactions(client, runtime, tenant.headers, iid, dateRange=RANGE, batchSize=100)
    assert again["paymentsCreated"] == 0 and again["paymentsUpdated"] == 0
    assert {m["stream"]: m["created"] for m in again["runs"]} == dict.fromkeys(runs, 0)


async def test_the_flags_choose_the_streams(client, runtime, paypal):
    tenant, iid = paypal
    body = {"dateRange": RANGE, "includeRefunds": False, "includeChargebacks": False, "includeFees": False}
    done = await sync_transactions(client, runtime, tenant.headers, iid, **body)
    assert [m["stream"] for m in done["runs"]] == ["payments"]
    assert done["refundsProcessed"] == 0 and done["chargebacksProcessed"] == 0


def test_the_catalog_lists_paypal_as_syncing_payments():
    provider = get_provider("paypal")
    assert provider.catalog_entry()["status"] == "active" and "payment_sync" in provider.features
    assert provider.catalog_entry()["webhookSupport"] is True  # webhooks: see test_paypal_webhooks.py
