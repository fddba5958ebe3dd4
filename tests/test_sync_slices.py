"""A large run cut into slices that several workers read and write at once (sync/slices.py): every
record is written and counted once, whoever takes which slice, and a worker killed in the middle of a
slice leaves it to another, which resumes it from its last committed batch."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from sqlalchemy import select, update

from ledgerlink.connectors.framework.stream import Cuts, read_all
from ledgerlink.connectors.framework.window import SyncWindow
from ledgerlink.integrations.connectors import connector_for
from ledgerlink.models import Integration, StreamCursor, SyncRun, SyncRunSlice
from ledgerlink.runtime import build_runtime
from ledgerlink.sync import slices
from ledgerlink.sync.engine import HAND_ON_LIMIT, execute_run, until_finished
from ledgerlink.sync.slices import bounds
from tests.conftest import SANDBOX_ORDERS, make_tenant
from tests.sync_support import (
    assert_each_order_once,
    newest_worker_id,
    setup_store,
    start,
    stop_processes,
    workers_listening_since,
)
from tests.test_jobs_recovery import _start_worker
from tests.test_sync_resume import _idle_sync_queue, _run, _wait

pytestmark = pytest.mark.slow
SLICED = {"sync_slices": 3, "sync_slice_records": 100}  # the sandbox's 600 orders: three slices of ~200


@pytest.fixture
async def sliced_runtime(settings, database_url):
    rt = build_runtime(settings.model_copy(update=SLICED), database_url)
    yield rt
    await rt.aclose()


@pytest.fixture
async def other_process(settings, database_url):
    """A second worker process's runtime, as far as taking slices goes."""
    rt = build_runtime(settings.model_copy(update=SLICED), database_url)
    yield rt
    await rt.aclose()


async def _store(client, runtime, sandbox, latency_ms: int = 0) -> tuple[Any, str]:
    """A tenant with the WooCommerce sandbox store set up, the store answering after `latency_ms`."""
    sandbox.reset("woocommerce")
    sandbox.faults("woocommerce", latency_ms=latency_ms)
    tenant = await make_tenant(runtime)
    return tenant, await setup_store(client, tenant.headers, "woocommerce", sandbox.credentials("woocommerce"))


async def _slices(runtime, run_id: str) -> list[SyncRunSlice]:
    async with runtime.sessions() as session:
        found = await session.execute(
            select(SyncRunSlice).where(SyncRunSlice.sync_run_id == run_id).order_by(SyncRunSlice.position)
        )
        return list(found.scalars())


async def _until_cut(runtime, run_id: str) -> None:
    """Wait for the worker that holds the run to cut it."""
    for _ in range(100):
        if await _slices(runtime, run_id):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{run_id} was not cut")


def _jobs_of(database_url: str, run_id: str, handed: int = 0) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'ledgerlink:sync_run'"
            " AND args->>'run_id' = %s AND coalesce((args->>'handed')::int, 0) = %s",
            (run_id, handed),
        ).fetchone()
    assert row is not None
    return int(row[0])


async def test_cuts_divide_the_window_into_disjoint_slices_that_cover_it(client, runtime, sandbox):
    """The stream's cuts: slices of about equal size whose reads together hold every order once."""
    _, iid = await _store(client, runtime, sandbox)
    async with runtime.sessions() as session:
        connector = connector_for(runtime, await session.get(Integration, iid))
    stream = connector.streams["orders"]
    window = SyncWindow(page_size=100)
    async with connector.client() as upstream:
        cuts = await stream.cut(upstream, window, 3, 100)
        assert cuts is not None and cuts.total == SANDBOX_ORDERS and len(cuts.at) == 2
        assert list(cuts.at) == sorted(cuts.at)
        assert await stream.cut(upstream, window, 3, SANDBOX_ORDERS) == Cuts(SANDBOX_ORDERS, ())
        seen: list[list[str]] = []
        for since, until in bounds(cuts):
            part = await read_all(stream, upstream, SyncWindow(since=since, until=until, page_size=100))
            seen.append([stream.external_id(r) for r in part])
    everything = [i for part in seen for i in part]
    assert len(everything) == len(set(everything)) == SANDBOX_ORDERS
    sizes = [len(part) for part in seen]
    assert all(SANDBOX_ORDERS // 3 - 60 <= size <= SANDBOX_ORDERS // 3 + 60 for size in sizes), sizes


async def test_a_cut_run_shared_by_two_workers_writes_every_order_once(
    client, runtime, sliced_runtime, other_process, sandbox, database_url
):
    _idle_sync_queue(database_url)
    tenant, iid = await _store(client, runtime, sandbox, latency_ms=20)
    run_id = (await start(client, tenant.headers, iid, "orders", batchSize=50))["syncId"]
    try:
        first = asyncio.create_task(execute_run(sliced_runtime, run_id))
        await _until_cut(runtime, run_id)
        second = asyncio.create_task(execute_run(other_process, run_id))
        outcomes = sorted(await asyncio.gather(first, second))
    finally:
        sandbox.faults("woocommerce", latency_ms=0)
    assert "succeeded" in outcomes and set(outcomes) <= {"succeeded", "shared"}, outcomes
    run = await _run(runtime, run_id)
    await assert_each_order_once(runtime, tenant.workspace_id, iid, run)
    assert run.to_process == SANDBOX_ORDERS and run.attempts == 1
    parts = await _slices(runtime, run_id)
    assert len(parts) == 3 and all(p.done and p.token is None for p in parts)
    assert parts[0].since is None and parts[-1].until is None and parts[0].until == parts[1].since
    assert _jobs_of(database_url, run_id) == 3  # its own job and one for each further slice
    async with runtime.sessions() as session:
        cursor = (await session.execute(select(StreamCursor).where(StreamCursor.integration_id == iid))).scalar_one()
    assert cursor.cursor_at == run.high_water and cursor.last_run_id == run_id

    # Again: nothing new, every order unchanged, the run cut the same way.
    again_id = (await start(client, tenant.headers, iid, "orders", batchSize=50, syncType="full"))["syncId"]
    assert await execute_run(sliced_runtime, again_id) == "succeeded"
    again = await _run(runtime, again_id)
    assert (again.created, again.updated, again.unchanged) == (0, 0, SANDBOX_ORDERS - run.failed)
    assert len(await _slices(runtime, again_id)) == 3


async def test_more_jobs_of_a_cut_run_in_one_process_go_back_to_the_queue_for_another(
    client, runtime, sliced_runtime, sandbox, database_url
):
    """One slice at a time per process: the run's further jobs there go back to the queue while a slice
    is free (for a process with a core to give), "shared" once handed on often enough (the first job
    takes every slice in turn); `until_finished` waits for the run's end."""
    _idle_sync_queue(database_url)
    # Slow pages (four a slice): the first job cannot take every slice but its last while the others
    # ask (on a loaded machine, with 40 ms pages, it had before the third asked).
    tenant, iid = await _store(client, runtime, sandbox, latency_ms=300)
    run_id = (await start(client, tenant.headers, iid, "orders", batchSize=50))["syncId"]
    try:
        workers = [asyncio.create_task(execute_run(sliced_runtime, run_id))]
        await _until_cut(runtime, run_id)
        others = await asyncio.gather(*(execute_run(sliced_runtime, run_id) for _ in range(3)))
        assert others == ["handed on"] * 3 and not workers[0].done()
        assert _jobs_of(database_url, run_id, handed=1) == 3
        assert await execute_run(sliced_runtime, run_id, HAND_ON_LIMIT) == "shared"
        sandbox.faults("woocommerce", latency_ms=0)
        assert await until_finished(runtime, run_id) == "completed_with_errors"
        assert await workers[0] == "succeeded"
    finally:
        sandbox.faults("woocommerce", latency_ms=0)
    run = await _run(runtime, run_id)
    assert run.processed == SANDBOX_ORDERS and all(p.done for p in await _slices(runtime, run_id))


async def test_a_free_slice_is_seen_free_by_any_number_of_lookers_at_once(client, runtime, sandbox):
    """`any_free` only looks (pg_locks): lookers at once do not hide the free slices from each other, a
    slice held by a worker is not free, and a done one is not either."""
    tenant, iid = await _store(client, runtime, sandbox)
    run_id = (await start(client, tenant.headers, iid, "orders"))["syncId"]
    stamps = (datetime(2024, 2, 1, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC))
    async with runtime.sessions.begin() as session:
        assert await slices.save_cuts(session, run_id, Cuts(600, stamps)) == 3

    async def looks() -> bool:
        async with runtime.engine.connect() as conn:
            return await slices.any_free(conn, run_id)

    assert await asyncio.gather(*(looks() for _ in range(12))) == [True] * 12
    async with runtime.engine.connect() as first, runtime.engine.connect() as second:
        async with slices.held(first, run_id) as one, slices.held(second, run_id) as two:
            assert {one.position, two.position} == {0, 1}
            assert await looks()  # the third
            async with runtime.sessions.begin() as session:
                await session.execute(
                    update(SyncRunSlice)
                    .where(SyncRunSlice.sync_run_id == run_id, SyncRunSlice.position == 2)
                    .values(done=True)
                )
            assert not await looks()  # two held, one done
        assert await looks()  # let go


async def test_small_runs_and_resumed_uncut_runs_are_not_cut(client, runtime, sliced_runtime, sandbox):
    tenant, iid = await _store(client, runtime, sandbox)
    # Customers: fewer than two slices' worth.
    small = (await start(client, tenant.headers, iid, "customers", batchSize=50))["syncId"]
    assert await execute_run(sliced_runtime, small) == "succeeded"
    assert await _slices(runtime, small) == []
    # An orders run that had begun uncut (its token saved) goes on uncut.
    run_id = (await start(client, tenant.headers, iid, "orders", batchSize=50))["syncId"]
    async with runtime.sessions.begin() as session:
        run = await session.get(SyncRun, run_id)
        run.token, run.pages = {"page": 1}, 1
    await execute_run(sliced_runtime, run_id)
    assert await _slices(runtime, run_id) == []


async def test_two_worker_processes_share_a_cut_run(client, runtime, sandbox, database_url, secret_key, tmp_path):
    """The product's path: the run's jobs through the queue to two `ledgerlink worker`s (two jobs at
    once each), which both take slices; every order once."""
    _idle_sync_queue(database_url)
    tenant, iid = await _store(client, runtime, sandbox, latency_ms=40)
    log = tmp_path / "workers.log"
    env = {"LEDGERLINK_SYNC_SLICES": "3", "LEDGERLINK_SYNC_SLICE_RECORDS": "100"}
    before = await newest_worker_id(runtime)
    workers = [_start_worker(database_url, secret_key, log, **env) for _ in range(2)]
    try:
        # Both listening first: a worker that starts late could find every slice taken.
        await workers_listening_since(runtime, before, 2)
        run_id = (await start(client, tenant.headers, iid, "orders", batchSize=40))["syncId"]
        run = await _wait(runtime, run_id, lambda r: r.status not in ("queued", "running"), 90)
    except AssertionError:
        print(log.read_text()[-4000:])
        raise
    finally:
        stop_processes(*workers)
        sandbox.reset("woocommerce")
    await assert_each_order_once(runtime, tenant.workspace_id, iid, run)
    parts = await _slices(runtime, run_id)
    assert all(p.done for p in parts)
    assert {p.taken_by.rsplit(":", 1)[1] for p in parts} == {str(w.pid) for w in workers}


async def test_a_cut_run_resumes_after_a_worker_sigkill(client, runtime, sandbox, database_url, secret_key, tmp_path):
    _idle_sync_queue(database_url)
    tenant, iid = await _store(client, runtime, sandbox, latency_ms=120)  # slow enough to be killed in the middle
    log = tmp_path / "workers.log"
    env = {"LEDGERLINK_SYNC_SLICES": "3", "LEDGERLINK_SYNC_SLICE_RECORDS": "100"}
    first = _start_worker(database_url, secret_key, log, **env)
    second = None
    try:
        run_id = (await start(client, tenant.headers, iid, "orders", batchSize=40))["syncId"]
        before = await _wait(runtime, run_id, lambda r: r.pages >= 3, 60)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        parts = await _slices(runtime, run_id)
        assert len(parts) == 3 and before.pages >= 3
        assert any(p.token is not None for p in parts)  # killed inside a slice
        sandbox.faults("woocommerce", latency_ms=0)
        second = _start_worker(database_url, secret_key, log, **env)
        run = await _wait(runtime, run_id, lambda r: r.status not in ("queued", "running"), 90)
    except AssertionError:
        print(log.read_text()[-4000:])
        raise
    finally:
        stop_processes(first, second)
        sandbox.reset("woocommerce")
    await assert_each_order_once(runtime, tenant.workspace_id, iid, run)
    assert all(p.done for p in await _slices(runtime, run_id))


async def test_a_slice_stops_when_the_run_ended_elsewhere(client, runtime, sliced_runtime, sandbox):
    """Cancelled while a worker is inside a slice: its next batch is not counted, it stops."""
    tenant, iid = await _store(client, runtime, sandbox, latency_ms=60)
    run_id = (await start(client, tenant.headers, iid, "orders", batchSize=20))["syncId"]
    try:
        worker = asyncio.create_task(execute_run(sliced_runtime, run_id))
        await _wait(runtime, run_id, lambda r: r.pages >= 2, 60)
        async with runtime.sessions.begin() as session:
            (await session.get(SyncRun, run_id)).status = "cancelled"
        assert await asyncio.wait_for(worker, 60) == "skipped"
    finally:
        sandbox.faults("woocommerce", latency_ms=0)
    run = await _run(runtime, run_id)
    assert run.status == "cancelled" and run.processed < SANDBOX_ORDERS
    assert not all(p.done for p in await _slices(runtime, run_id))
