"""PayPal disputes from the Disputes API, against the PayPal sandbox over a real socket: the
`disputes` stream lists them page by page (resumable from any page), reads each one's detail, and
maps it to a canonical chargeback linked to the disputed payment; seed 000's sync-transactions
counts them as chargebacks, writes them linked to their payments, and a re-sync changes nothing;
429s and 5xx are waited out; a `CUSTOMER.DISPUTE.*` webhook names a dispute the drain fetches and
writes. The mapper is checked on any money movements PayPal may list (hypothesis).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from ledgerlink.canonical import payments as pay
from ledgerlink.connectors.framework.window import SyncWindow
from ledgerlink.connectors.paypal.connector import PayPalConnector
from ledgerlink.connectors.paypal.credentials import PayPalCredentials
from ledgerlink.connectors.paypal.disputes import OUTCOMES, map_dispute
from ledgerlink.models import Payment
from ledgerlink.sandbox.faults import Faults
from ledgerlink.sandbox.paypal import PayPalSandbox
from ledgerlink.upstream.policy import RetryPolicy
from ledgerlink.webhooks.process import drain
from tests.conftest import make_tenant
from tests.sync_support import setup_store
from tests.test_paypal_sandbox import make_sandbox, serving
from tests.test_paypal_sync import RANGE, sync_transactions

pytestmark = pytest.mark.slow
QUICK = RetryPolicy(base_delay=0.01, max_delay=0.05)


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[PayPalSandbox, str]]:
    sandbox = make_sandbox()
    with serving(sandbox) as mount:
        yield sandbox, mount


@pytest.fixture(autouse=True)
def reset(live: tuple[PayPalSandbox, str]) -> Iterator[None]:
    live[0].injector.faults = Faults(rate_limits=False)
    yield
    live[0].injector.faults = Faults(rate_limits=False)


def connector(live: tuple[PayPalSandbox, str]) -> PayPalConnector:
    return PayPalConnector(PayPalCredentials(**live[0].credentials(live[1])))


async def read(live: tuple[PayPalSandbox, str], window: SyncWindow, token: dict[str, Any] | None = None) -> Any:
    """Every raw dispute from `token` on, and the tokens of the pages after the first."""
    made = connector(live)
    stream = made.streams["disputes"]
    records, tokens = [], []
    async with made.client(QUICK) as client:
        while True:
            page = await stream.read_page(client, window, token)
            records += page.records
            if (token := page.next_token) is None:
                return records, tokens
            tokens.append(token)


def expected(sandbox: PayPalSandbox) -> dict[str, dict[str, Any]]:
    """dispute id -> what its chargeback must say, from the account's T1201/T1202 transactions."""
    return {
        d.id: {
            "payment": d.chargeback.reference_id,
            "amount": -d.chargeback.amount,
            "currency": d.chargeback.currency,
            "status": "won" if d.reversal else "lost" if d.resolved else "under_review",
            "net": 0 if d.reversal else d.chargeback.amount,
        }
        for d in sandbox.ledger.disputes
    }


def said(chargeback: pay.Chargeback) -> dict[str, Any]:
    return {
        "payment": chargeback.payment_external_id,
        "amount": chargeback.amount,
        "currency": chargeback.currency,
        "status": chargeback.status,
        "net": sum(s.net for s in chargeback.settlements),
    }


async def test_disputes_are_read_page_by_page_with_their_detail_and_resume_from_any_page(live):
    sandbox, _ = live
    records, tokens = await read(live, SyncWindow(page_size=2))
    want = expected(sandbox)
    assert len(tokens) >= 3 and len(want) > 6  # several pages
    assert [r["dispute_id"] for r in records] == [d.id for d in sandbox.ledger.disputes]  # newest first, once each
    stream = connector(live).streams["disputes"]
    assert {stream.external_id(r): said(stream.map(r)) for r in records} == want
    assert {s for s in (said(stream.map(r))["status"] for r in records)} >= {"won", "lost"}
    rest, _ = await read(live, SyncWindow(page_size=2), tokens[1])
    assert [r["dispute_id"] for r in rest] == [r["dispute_id"] for r in records[4:]]


async def test_the_window_bounds_the_update_time(live):
    sandbox, _ = live
    ordered = sorted(sandbox.ledger.disputes, key=lambda d: d.updated)
    middle = ordered[len(ordered) // 2].updated
    records, _ = await read(live, SyncWindow(since=middle, page_size=50))
    assert {r["dispute_id"] for r in records} == {d.id for d in ordered if d.updated >= middle}


async def test_throttling_and_server_errors_are_waited_out(live):
    sandbox, _ = live
    sandbox.injector.faults.throttle_next, sandbox.injector.faults.fail_next = 2, 2
    records, _ = await read(live, SyncWindow(page_size=3))
    assert [r["dispute_id"] for r in records] == [d.id for d in sandbox.ledger.disputes]
    assert sandbox.injector.stats.injected_errors >= 2


@pytest.fixture
async def paypal(client, runtime, live):
    sandbox, mount = live
    tenant = await make_tenant(runtime)
    integration_id = await setup_store(client, tenant.headers, "paypal", sandbox.credentials(mount), rateLimit=None)
    return tenant, integration_id


async def chargebacks(runtime, iid: str) -> dict[str, Payment]:
    async with runtime.sessions() as session:
        rows = await session.execute(select(Payment).where(Payment.integration_id == iid, Payment.kind == "chargeback"))
    return {str(row.external_id): row for row in rows.scalars()}


async def test_sync_transactions_counts_disputes_as_chargebacks_linked_to_their_payments(client, runtime, paypal, live):
    sandbox, _ = live
    tenant, iid = paypal
    done = await sync_transactions(client, runtime, tenant.headers, iid, dateRange=RANGE, batchSize=2)
    runs = {m["stream"]: m for m in done["runs"]}
    want = expected(sandbox)
    assert done["chargebacksProcessed"] == len(want) and runs["disputes"]["created"] == len(want)
    assert runs["disputes"]["pages"] >= 3
    stored = await chargebacks(runtime, iid)
    assert set(stored) == set(want)
    async with runtime.sessions() as session:
        parents = dict(
            (await session.execute(select(Payment.id, Payment.external_id).where(Payment.integration_id == iid))).all()
        )
    malformed = {t.id for t in sandbox.ledger.transactions if t.malformed}
    for dispute_id, row in stored.items():
        assert row.parent_external_id == want[dispute_id]["payment"]
        if want[dispute_id]["payment"] not in malformed:  # a payment that failed to load links nothing
            assert parents[row.parent_id] == want[dispute_id]["payment"]
        assert (row.amount, row.status, row.settlement_net) == (
            want[dispute_id]["amount"],
            want[dispute_id]["status"],
            want[dispute_id]["net"],
        )

    again = await sync_transactions(client, runtime, tenant.headers, iid, dateRange=RANGE, batchSize=50)
    assert again["chargebacksProcessed"] == len(want)
    again_runs = {m["stream"]: m for m in again["runs"]}
    assert (again_runs["disputes"]["created"], again_runs["disputes"]["updated"]) == (0, 0)
    assert set(await chargebacks(runtime, iid)) == set(want)


async def test_a_dispute_webhook_is_fetched_and_written(client, runtime, paypal, live):
    sandbox, _ = live
    _, iid = paypal
    dispute = next(d for d in sandbox.ledger.disputes if d.reversal)
    mount = live[1]
    made = httpx.post(f"{mount}/_sandbox/webhooks", json={"dispute_id": dispute.id}, timeout=10).json()
    r = await client.post(f"/v1/webhooks/inbound/{iid}", content=made["body"].encode(), headers=made["headers"])
    assert r.status_code == 200, r.text
    result = await drain(runtime, iid, retry=QUICK)
    assert (result.processed, result.failed) == (1, 0)
    stored = await chargebacks(runtime, iid)
    assert set(stored) == {dispute.id}
    assert stored[dispute.id].status == "won" and stored[dispute.id].parent_external_id == dispute.payment.id


# -- the mapper, on anything PayPal may list -----------------------------------------------------------

PARTIES = st.sampled_from(["SELLER", "BUYER", "PAYMENT_PROCESSOR"])
REASONS = st.sampled_from(["DISPUTE_SETTLEMENT", "DISPUTE_FEE", "CHARGEBACK_FEE", "DISPUTE_SETTLEMENT_FEE"])
MOVEMENT = st.fixed_dictionaries(
    {
        "affected_party": PARTIES,
        "amount": st.integers(1, 10**7).map(lambda n: {"currency_code": "USD", "value": f"{n // 100}.{n % 100:02d}"}),
        "type": st.sampled_from(["DEBIT", "CREDIT"]),
        "reason": REASONS,
        "initiated_time": st.just("2024-03-01T10:00:00Z"),
    }
)


@given(
    st.lists(MOVEMENT, max_size=6),
    st.sampled_from(["OPEN", "WAITING_FOR_SELLER_RESPONSE", "UNDER_REVIEW", "RESOLVED", "OTHER"]),
    st.sampled_from([*OUTCOMES, None]),
    st.sampled_from(["INQUIRY", "CHARGEBACK", "PRE_ARBITRATION", "ARBITRATION"]),
)
def test_a_dispute_maps_to_a_chargeback_whose_money_is_the_sellers_settlements(moves, status, outcome, stage):
    dispute: dict[str, Any] = {
        "dispute_id": "PP-D-12345",
        "create_time": "2024-03-01T09:00:00.000Z",
        "update_time": "2024-03-02T09:00:00Z",
        "reason": "UNAUTHORISED",
        "status": status,
        "dispute_amount": {"currency_code": "USD", "value": "12.34"},
        "dispute_life_cycle_stage": stage,
        "disputed_transactions": [{"seller_transaction_id": "4J3265475X6749251"}],
        "money_movements": moves,
    }
    if outcome is not None:
        dispute["dispute_outcome"] = {"outcome_code": outcome}
    chargeback = map_dispute(dispute)
    assert (chargeback.external_id, chargeback.payment_external_id, chargeback.amount) == (
        "PP-D-12345",
        "4J3265475X6749251",
        1234,
    )
    settled = [m for m in moves if m["affected_party"] == "SELLER" and m["reason"] == "DISPUTE_SETTLEMENT"]
    assert len(chargeback.settlements) == len(settled) and all(s.fee == 0 for s in chargeback.settlements)
    for move, settlement in zip(settled, chargeback.settlements, strict=True):
        assert (settlement.amount < 0) == (move["type"] == "DEBIT")
    if status == "RESOLVED":
        assert chargeback.status == OUTCOMES[outcome or "NONE"]
    elif stage == "INQUIRY":
        assert chargeback.status == "inquiry"
    else:
        assert chargeback.status in ("needs_response", "under_review")


def test_a_dispute_without_its_payment_is_refused():
    with pytest.raises(ValueError, match="seller_transaction_id"):
        map_dispute(
            {
                "dispute_id": "PP-D-1",
                "create_time": "2024-03-01T09:00:00Z",
                "status": "OPEN",
                "dispute_amount": {"currency_code": "USD", "value": "1.00"},
                "disputed_transactions": [{"buyer_transaction_id": "X"}],
            }
        )
