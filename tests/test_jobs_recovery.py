"""A worker killed with SIGKILL mid-job leaves a job that another worker completes; periodic work
is deferred once per tick however many workers run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from ledgerlink.jobs.defer import defer_in_transaction
from tests.conftest import ROOT
from tests.support.slow_tasks import MARKS_DDL

pytestmark = pytest.mark.slow


def _start_worker(
    database_url: str, secret_key: str, log: Path, queues: str = "", **settings: str
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        **settings,
        "DATABASE_URL": database_url,
        "LEDGERLINK_SECRET_KEYS": secret_key,
        "LEDGERLINK_TASK_MODULES": "tests.support.slow_tasks",
        "LEDGERLINK_WORKER_STALLED_AFTER": "3",
        "LEDGERLINK_LOG_LEVEL": os.environ.get("LEDGERLINK_TEST_WORKER_LOG_LEVEL", "WARNING"),
        "PYTHONPATH": str(ROOT),
    }
    args = [sys.executable, "-m", "ledgerlink", "worker", "--concurrency", "2"]
    if queues:
        args += ["--queues", queues]
    # Logs go to a file: an unread pipe would fill up and block the worker.
    return subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log.open("ab"))


def _wait_for(conn: psycopg.Connection, query: str, params: tuple, timeout: float) -> tuple:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = conn.execute(query, params).fetchone()
        if row is not None:
            return row
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for: {query} {params}")


async def test_killed_worker_job_is_completed_by_another(runtime, database_url, secret_key, tmp_path):
    log = tmp_path / "workers.log"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(MARKS_DDL)
    marker = f"kill-{time.time_ns()}"
    async with runtime.sessions.begin() as session:
        job_id = await defer_in_transaction(
            session, "ledgerlink:test_slow_mark", args={"marker": marker, "seconds": 2.0}, queue="test"
        )

    # Other tests leave sync jobs queued (they run syncs in-process); these workers serve only the
    # queues this test is about.
    first = _start_worker(database_url, secret_key, log, queues="test,maintenance")
    bystander = _start_worker(database_url, secret_key, log, queues="maintenance")
    second = None
    try:
        with psycopg.connect(database_url, autocommit=True) as conn:
            (pid,) = _wait_for(
                conn, "SELECT pid FROM test_job_marks WHERE marker = %s AND phase = 'started'", (marker,), 60
            )
            assert pid == first.pid
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            second = _start_worker(database_url, secret_key, log, queues="test,maintenance")
            (done_pid,) = _wait_for(
                conn, "SELECT pid FROM test_job_marks WHERE marker = %s AND phase = 'done'", (marker,), 60
            )
            assert done_pid == second.pid
            status = _wait_for(
                conn,
                "SELECT status, attempts FROM procrastinate_jobs WHERE id = %s AND status = 'succeeded'",
                (job_id,),
                10,
            )
            assert status[0] == "succeeded"
            phases = conn.execute(
                "SELECT phase, count(*) FROM test_job_marks WHERE marker = %s GROUP BY phase ORDER BY phase", (marker,)
            ).fetchall()
            assert phases == [("done", 1), ("started", 2)]

            # Three workers overlapped; each periodic tick still produced exactly one job.
            duplicates = conn.execute(
                """SELECT args->>'timestamp', count(*) FROM procrastinate_jobs
                   WHERE task_name = 'ledgerlink:requeue_orphaned_runs'
                   GROUP BY 1 HAVING count(*) > 1"""
            ).fetchall()
            ticks = conn.execute(
                "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'ledgerlink:requeue_orphaned_runs'"
            ).fetchone()
            assert duplicates == [] and ticks[0] >= 1
    except AssertionError:
        print(log.read_text()[-5000:])
        with psycopg.connect(database_url) as conn:
            for row in conn.execute(
                "SELECT id, queue_name, task_name, status, attempts, worker_id, args FROM "
                "procrastinate_jobs WHERE status IN ('todo', 'doing') ORDER BY id"
            ).fetchall():
                print("job", row)
            for row in conn.execute("SELECT id, last_heartbeat FROM procrastinate_workers").fetchall():
                print("worker", row)
        raise
    finally:
        for proc in (first, bystander, second):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()


async def test_defer_in_transaction_vanishes_on_rollback(runtime, database_url):
    async with runtime.sessions() as session:
        job_id = await defer_in_transaction(
            session, "ledgerlink:test_slow_mark", args={"marker": "never", "seconds": 0}, queue="test"
        )
        await session.rollback()
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM procrastinate_jobs WHERE id = %s", (job_id,)).fetchone() == (0,)


async def test_a_stopping_worker_does_not_wait_for_a_long_job(runtime, database_url, secret_key, tmp_path):
    """SIGTERM with a job an hour from its end: the worker gives it the shutdown timeout, then cancels it
    and exits (its row, not the job, is the truth: sync runs resume from their last page)."""
    log = tmp_path / "workers.log"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(MARKS_DDL)
    marker = f"stop-{time.time_ns()}"
    async with runtime.sessions.begin() as session:
        job_id = await defer_in_transaction(
            session, "ledgerlink:test_slow_mark", args={"marker": marker, "seconds": 3600.0}, queue="test"
        )
    worker = _start_worker(database_url, secret_key, log, queues="test", LEDGERLINK_WORKER_SHUTDOWN_TIMEOUT="1")
    try:
        with psycopg.connect(database_url, autocommit=True) as conn:
            _wait_for(conn, "SELECT pid FROM test_job_marks WHERE marker = %s AND phase = 'started'", (marker,), 60)
            stopping = time.monotonic()
            worker.send_signal(signal.SIGTERM)
            worker.wait(20)
            assert time.monotonic() - stopping < 10
            (status,) = conn.execute("SELECT status FROM procrastinate_jobs WHERE id = %s", (job_id,)).fetchone()
            assert status != "doing"  # let go, not left held by a worker that is gone
            done = conn.execute(
                "SELECT count(*) FROM test_job_marks WHERE marker = %s AND phase = 'done'", (marker,)
            ).fetchone()
            assert done == (0,)
    except (AssertionError, subprocess.TimeoutExpired):
        print(log.read_text()[-4000:])
        raise
    finally:
        if worker.poll() is None:
            worker.kill()
