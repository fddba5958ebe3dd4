"""A saved Shopify page cursor that Shopify no longer accepts, over real sockets: the sandbox expires its
cursors after a configurable time (`/_sandbox/cursors`), and the connector walks again from the run's
checkpoint instead of failing: no record lost, none created twice."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from typing import Any

import pytest

from ledgerlink.connectors.framework.window import SyncWindow
from ledgerlink.connectors.shopify.connector import ShopifyConnector
from ledgerlink.connectors.shopify.paging import RESTART_FROM
from ledgerlink.models import SyncRun
from ledgerlink.sync.engine import execute_run
from ledgerlink.upstream.errors import UpstreamRejected
from tests.conftest import SANDBOX_MALFORMED_EVERY, SANDBOX_ORDERS, make_tenant
from tests.sync_support import setup_store, start, stored_orders_and_refs
from tests.test_sync_shopify import PROVIDER, _connector, _fresh, _gql

pytestmark = pytest.mark.slow
MALFORMED = SANDBOX_ORDERS // SANDBOX_MALFORMED_EVERY


def _cursors(sandbox: Any, method: str = "GET", **body: Any) -> dict[str, Any]:
    return sandbox.control(PROVIDER, method, "/_sandbox/cursors", **({"json": body} if body else {}))


@pytest.fixture
def expiring(sandbox):
    _fresh(sandbox)
    _cursors(sandbox, "DELETE")
    yield sandbox
    _cursors(sandbox, "DELETE")
    _fresh(sandbox)


async def _run(runtime: Any, run_id: str) -> SyncRun:
    async with runtime.sessions() as session:
        run = await session.get(SyncRun, run_id)
    assert run is not None
    return run


async def test_an_expired_cursor_restarts_the_walk_from_the_newest_record_read(expiring):
    sandbox = expiring
    truth = _gql(
        sandbox,
        "{ orders(first: 120, sortKey: UPDATED_AT) { nodes { id updatedAt } } }",
    )["orders"]["nodes"]
    connector = _connector(sandbox)
    stream = connector.streams["orders"]
    window = SyncWindow(page_size=30)
    async with connector.client() as upstream:
        _cursors(sandbox, "POST", ttlSeconds=3600)
        first = await stream.read_page(upstream, window, None)
        second = await stream.read_page(upstream, window, first.next_token)
        token = second.next_token
        assert token is not None and token["after"]
        newest = max(datetime.fromisoformat(o["updatedAt"]) for o in first.records + second.records)
        assert datetime.fromisoformat(token[RESTART_FROM]) == newest
        _cursors(sandbox, "POST", ttlSeconds=0)
        await asyncio.sleep(0.01)
        recovered = await stream.read_page(upstream, window, token)
    assert _cursors(sandbox)["refused"] == 1
    assert recovered.total is None  # a fresh walk's count covers only what is left: the run keeps its own
    # The restarted walk begins at the checkpoint's instant: nothing newer than it is skipped.
    expected = [o["id"] for o in truth if datetime.fromisoformat(o["updatedAt"]) >= newest]
    assert [o["id"] for o in recovered.records] == expected[: len(recovered.records)]
    assert recovered.records and recovered.next_token is not None
    assert datetime.fromisoformat(recovered.next_token[RESTART_FROM]) >= newest


async def test_a_stream_sorted_by_id_restarts_from_its_first_page(expiring):
    sandbox = expiring
    connector = _connector(sandbox)
    stream = connector.streams["locations"]
    window = SyncWindow(page_size=1)
    async with connector.client() as upstream:
        _cursors(sandbox, "POST", ttlSeconds=3600)
        first = await stream.read_page(upstream, window, None)
        assert first.next_token is not None and RESTART_FROM not in first.next_token  # no updated-at order
        _cursors(sandbox, "POST", ttlSeconds=0)
        await asyncio.sleep(0.01)
        again = await stream.read_page(upstream, window, first.next_token)
    assert [r["id"] for r in again.records] == [r["id"] for r in first.records]


async def test_other_refusals_still_fail(expiring, monkeypatch):
    """Only a refused cursor restarts the walk: a resumed page Shopify refuses for anything else (here a
    query over its cost limit) fails as before."""
    monkeypatch.setattr(ShopifyConnector, "page_cost_ceiling", 5000)
    connector = _connector(expiring)
    async with connector.client() as upstream:
        with pytest.raises(UpstreamRejected, match="exceeds the single query max cost limit"):
            await connector.streams["orders"].read_page(upstream, SyncWindow(page_size=250), {"after": "x"})
    assert _cursors(expiring)["refused"] == 0


async def test_a_resumed_run_whose_cursor_expired_completes_without_loss_or_duplicates(client, runtime, expiring):
    sandbox = expiring
    tenant = await make_tenant(runtime)
    iid = await setup_store(client, tenant.headers, PROVIDER, sandbox.credentials(PROVIDER))
    _cursors(sandbox, "POST", ttlSeconds=3600)  # cursors carry when they were issued
    run_id = (await start(client, tenant.headers, iid, "orders", batchSize=50))["syncId"]
    sandbox.faults(PROVIDER, latency_ms=40)  # slow enough to stop in the middle
    worker = asyncio.create_task(execute_run(runtime, run_id))
    for _ in range(600):
        if (await _run(runtime, run_id)).pages >= 4 or worker.done():
            break
        await asyncio.sleep(0.05)
    worker.cancel()  # the worker dies between pages: the run keeps its last checkpoint
    with contextlib.suppress(asyncio.CancelledError):
        await worker
    stopped = await _run(runtime, run_id)
    assert stopped.status == "running" and stopped.token and stopped.token.get("after"), stopped.token
    assert 0 < stopped.processed < SANDBOX_ORDERS

    sandbox.faults(PROVIDER, latency_ms=0)
    _cursors(sandbox, "POST", ttlSeconds=2)
    await asyncio.sleep(2.2)  # the saved cursor is now older than Shopify keeps it
    assert await execute_run(runtime, run_id) == "succeeded"
    run = await _run(runtime, run_id)
    assert _cursors(sandbox)["refused"] >= 1
    assert run.status == "completed_with_errors", (run.status, run.error_message)
    assert run.to_process == SANDBOX_ORDERS  # the first walk's count stands
    assert run.processed >= SANDBOX_ORDERS  # the overlap is read twice, counted unchanged
    assert run.created == SANDBOX_ORDERS - MALFORMED
    orders, refs = await stored_orders_and_refs(runtime, tenant.workspace_id, iid)
    assert orders == refs == run.created
