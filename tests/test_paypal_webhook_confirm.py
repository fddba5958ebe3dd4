"""PayPal deliveries confirmed with PayPal before they are acted on: the hub's inbound endpoint takes
what passes the offline checks, and the inbox drain asks PayPal's verify-webhook-signature API (the
sandbox's, over a real socket) about every stored delivery first. Genuine: processed, the record
fetched and written. Forged (headers that look right, a signature PayPal refuses): failed with the
reason, kept, nothing written. PayPal down: left pending, processed once PayPal is back. Many
deliveries are confirmed concurrently.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from ledgerlink.models import InboxEvent, Payment
from ledgerlink.runtime import Runtime
from ledgerlink.sandbox.dataset import Store
from ledgerlink.sandbox.faults import Faults
from ledgerlink.sandbox.paypal import PayPalSandbox
from ledgerlink.sandbox.paypal.facts import Transaction
from ledgerlink.upstream.errors import UpstreamUnavailable
from ledgerlink.upstream.policy import RetryPolicy
from ledgerlink.webhooks.process import drain
from tests.conftest import make_tenant
from tests.sync_support import setup_store
from tests.test_paypal_sandbox import serving

pytestmark = pytest.mark.slow
QUICK = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02)
VERIFY = "/v1/notifications/verify-webhook-signature"


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[PayPalSandbox, str]]:
    # An account whose payments are recent: a payment is fetched by id from the last 93 days.
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=40)
    sandbox = PayPalSandbox(Store(seed=11, orders_count=150, start=start, step=timedelta(hours=4), malformed_every=0))
    sandbox.injector.faults.rate_limits = False
    with serving(sandbox) as mount:
        yield sandbox, mount


@pytest.fixture
async def paypal(client, runtime, live):
    sandbox, mount = live
    sandbox.injector.faults = Faults(rate_limits=False)
    tenant = await make_tenant(runtime)
    integration_id = await setup_store(client, tenant.headers, "paypal", sandbox.credentials(mount), rateLimit=None)
    yield sandbox, tenant, integration_id
    sandbox.injector.faults = Faults(rate_limits=False)


def payments(sandbox: PayPalSandbox, count: int) -> list[Transaction]:
    return [t for t in sandbox.ledger.transactions if t.event_code == "T0006" and t.status == "S"][:count]


async def deliver(client: httpx.AsyncClient, iid: str, headers: dict[str, str], body: bytes) -> None:
    r = await client.post(f"/v1/webhooks/inbound/{iid}", content=body, headers=headers)
    assert r.status_code == 200, r.text  # passed the offline checks: stored


async def inbox(runtime: Runtime, iid: str) -> dict[str, tuple[str, str | None]]:
    """{dedupe key (PayPal's event id): (status, last error)}."""
    async with runtime.sessions() as session:
        rows = (await session.execute(select(InboxEvent).where(InboxEvent.integration_id == iid))).scalars().all()
    return {row.dedupe_key: (row.status, row.last_error) for row in rows}


async def charges(runtime: Runtime, iid: str) -> set[str]:
    async with runtime.sessions() as session:
        found = await session.execute(
            select(Payment.external_id).where(Payment.integration_id == iid, Payment.kind == "charge")
        )
    return {str(external_id) for external_id in found.scalars()}


def verifications(sandbox: PayPalSandbox) -> int:
    return sum(n for path, n in sandbox.injector.stats.by_path.items() if path.endswith(VERIFY))


async def test_a_genuine_delivery_is_confirmed_by_paypal_then_processed(client, runtime, paypal):
    sandbox, _, iid = paypal
    txn = payments(sandbox, 1)[0]
    headers, body = sandbox.signer.delivery(sandbox.signer.event(txn))
    await deliver(client, iid, headers, body)
    asked = verifications(sandbox)
    result = await drain(runtime, iid, retry=QUICK)
    assert (result.processed, result.failed, result.pending) == (1, 0, 0)
    assert verifications(sandbox) == asked + 1
    assert await inbox(runtime, iid) == {json.loads(body)["id"]: ("processed", None)}
    assert await charges(runtime, iid) == {txn.id}


async def test_a_forged_signature_is_failed_with_the_reason_and_nothing_is_written(client, runtime, paypal):
    sandbox, tenant, iid = paypal
    genuine, forged = payments(sandbox, 2)
    headers, body = sandbox.signer.delivery(sandbox.signer.event(genuine))
    # Valid-looking: every header present, PayPal's algorithm and certificate host, a base64 signature.
    other_headers, other_body = sandbox.signer.delivery(sandbox.signer.event(forged))
    other_headers["PAYPAL-TRANSMISSION-SIG"] = base64.b64encode(b"\x01" * 256).decode()
    tampered = json.loads(body)
    tampered["id"] = "WH-FORGED-0000000000000001"
    tampered["resource"]["amount"]["value"] = "0.01"
    for h, b in ((other_headers, other_body), (headers, json.dumps(tampered, separators=(",", ":")).encode())):
        await deliver(client, iid, h, b)

    result = await drain(runtime, iid, retry=QUICK)
    assert (result.processed, result.failed) == (0, 2)
    stored = await inbox(runtime, iid)
    assert {status for status, _ in stored.values()} == {"failed"}
    assert all("not genuine" in (error or "") and "paypal" in (error or "") for _, error in stored.values())
    assert await charges(runtime, iid) == set()  # neither acted on: no fetch, no write
    # Kept and visible like any failed inbound webhook.
    listed = await client.get(
        "/v1/webhooks-inbox", headers=tenant.headers, params={"integrationId": iid, "status": "failed"}
    )
    assert listed.status_code == 200 and len(listed.json()["data"]) == 2
    assert all("not genuine" in row["lastError"] for row in listed.json()["data"])


async def test_paypal_down_leaves_the_delivery_pending_until_it_can_confirm(client, runtime, paypal):
    sandbox, _, iid = paypal
    txn = payments(sandbox, 3)[2]
    headers, body = sandbox.signer.delivery(sandbox.signer.event(txn))
    await deliver(client, iid, headers, body)
    event_id = json.loads(body)["id"]

    sandbox.injector.faults.error_rate, sandbox.injector.faults.error_status = 1.0, 503
    with pytest.raises(UpstreamUnavailable):
        await drain(runtime, iid, retry=QUICK)
    status, why = (await inbox(runtime, iid))[event_id]
    assert status == "pending" and "503" in (why or "")  # never accepted unconfirmed
    assert await charges(runtime, iid) == set()

    sandbox.injector.faults.error_rate = 0.0  # PayPal is back
    result = await drain(runtime, iid, retry=QUICK)
    assert (result.processed, result.failed) == (1, 0)
    assert (await inbox(runtime, iid))[event_id] == ("processed", None)
    assert await charges(runtime, iid) == {txn.id}


async def test_many_deliveries_are_confirmed_concurrently(client, runtime, paypal):
    sandbox, _, iid = paypal
    sent: dict[str, Any] = {}
    for txn in payments(sandbox, 16):
        headers, body = sandbox.signer.delivery(sandbox.signer.event(txn))
        await deliver(client, iid, headers, body)
        sent[json.loads(body)["id"]] = txn.id
    sandbox.injector.faults.latency_ms = 150  # every PayPal call
    asked = verifications(sandbox)
    began = time.monotonic()
    result = await drain(runtime, iid, retry=QUICK)
    took = time.monotonic() - began
    assert (result.processed, result.failed) == (16, 0)
    assert verifications(sandbox) == asked + 16
    # 16 confirmations and 16 fetches one after another would take 32 x 0.15 s.
    assert took < 16 * 0.15, took
    assert await charges(runtime, iid) == set(sent.values())
