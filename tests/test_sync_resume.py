"""A worker SIGKILLed in the middle of a sync run: another worker resumes from the last committed page,
with no record lost or doubled."""

from __future__ import annotations

import asyncio
import signal

import psycopg
import pytest

from ledgerlink.models import SyncRun
from tests.conftest import make_tenant
from tests.sync_support import assert_each_order_once, setup_store, start, stop_processes
from tests.test_jobs_recovery import _start_worker
from tests.test_sync_bigcommerce import ROOMY as ROOMY_QUOTA
from tests.test_sync_shopify import ROOMY as ROOMY_BUCKET

pytestmark = pytest.mark.slow
LIMITS = {"shopify": ("/_sandbox/throttle", ROOMY_BUCKET), "bigcommerce": ("/_sandbox/rate-limit", ROOMY_QUOTA)}


async def _run(runtime, run_id: str) -> SyncRun:
    async with runtime.sessions() as session:
        return await session.get(SyncRun, run_id)


async def _wait(runtime, run_id: str, done, timeout: float) -> SyncRun:
    for _ in range(int(timeout * 5)):
        run = await _run(runtime, run_id)
        if done(run):
            return run
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out; run is {run.status} after {run.pages} pages")


def _idle_sync_queue(database_url: str) -> None:
    """Other tests start runs and execute them in-process, leaving their jobs queued: the workers
    here must find only this test's run."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("UPDATE sync_runs SET status = 'cancelled' WHERE status IN ('queued', 'running')")
        conn.execute("DELETE FROM procrastinate_jobs WHERE queue_name = 'sync' AND status = 'todo'")


@pytest.mark.parametrize("provider", ["woocommerce", "shopify", "bigcommerce"])
async def test_run_resumes_after_worker_sigkill(client, runtime, sandbox, database_url, secret_key, tmp_path, provider):
    _idle_sync_queue(database_url)
    sandbox.reset(provider)
    tenant = await make_tenant(runtime)
    iid = await setup_store(client, tenant.headers, provider, sandbox.credentials(provider))
    # Limits that let the run go at the pace of the latency, not of the plan's quota.
    if provider in LIMITS:
        sandbox.control(provider, "POST", LIMITS[provider][0], json=LIMITS[provider][1])
    sandbox.faults(provider, latency_ms=120)  # slow enough to be killed in the middle
    log = tmp_path / "workers.log"
    first = _start_worker(database_url, secret_key, log)
    second = None
    try:
        run_id = (await start(client, tenant.headers, iid, "orders", batchSize=40))["syncId"]
        before = await _wait(runtime, run_id, lambda r: r.pages >= 3, 60)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        killed_at = await _run(runtime, run_id)
        assert killed_at.status == "running" and killed_at.token is not None and before.pages >= 3
        sandbox.faults(provider, latency_ms=0)
        second = _start_worker(database_url, secret_key, log)
        run = await _wait(runtime, run_id, lambda r: r.status not in ("queued", "running"), 90)
    except AssertionError:
        print(log.read_text()[-4000:])
        raise
    finally:
        stop_processes(first, second)
        sandbox.reset(provider)
        if provider in LIMITS:
            sandbox.control(provider, "DELETE", LIMITS[provider][0])
    await assert_each_order_once(runtime, tenant.workspace_id, iid, run)
    assert run.attempts == 2
