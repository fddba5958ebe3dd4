"""Driving syncs from tests: set an integration up against the sandbox, run a sync in-process."""

from __future__ import annotations

import asyncio
import subprocess
import time
from typing import Any

import httpx
from sqlalchemy import func, select, text

from ledgerlink.models import ExternalRef, Order, SyncItemError, SyncRun
from ledgerlink.runtime import Runtime
from ledgerlink.sync.engine import execute_run
from tests.conftest import SANDBOX_ORDERS


async def setup_store(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    provider: str,
    credentials: dict[str, Any],
    name: str | None = None,
    **settings: Any,
) -> str:
    r = await client.post(
        f"/v1/integrations/{provider}/setup",
        headers=headers,
        json={"name": name or f"{provider} store", "credentials": credentials, "settings": settings},
    )
    assert r.status_code == 201, r.text
    data = r.json()["data"]
    assert data["status"] == "active", data  # verified against the sandbox
    return str(data["id"])


async def start(
    client: httpx.AsyncClient, headers: dict[str, str], integration_id: str, stream: str, **body: Any
) -> dict[str, Any]:
    r = await client.post(f"/v1/integrations/{integration_id}/sync", headers=headers, json={"stream": stream, **body})
    assert r.status_code == 202, r.text
    return r.json()["data"]


async def sync(
    client: httpx.AsyncClient, runtime: Runtime, headers: dict[str, str], integration_id: str, stream: str, **body: Any
) -> dict[str, Any]:
    """Start a run through the API, execute it here (as a worker would), return the finished run."""
    started = await start(client, headers, integration_id, stream, **body)
    await execute_run(runtime, started["syncId"])
    r = await client.get(f"/v1/sync-runs/{started['syncId']}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]


async def stored_orders_and_refs(runtime: Runtime, workspace_id: str, integration_id: str) -> tuple[int, int]:
    """(orders stored in the workspace, order references of the integration): equal when every
    upstream order was loaded exactly once."""
    async with runtime.sessions() as session:
        orders = (
            await session.execute(select(func.count()).select_from(Order).where(Order.workspace_id == workspace_id))
        ).scalar_one()
        refs = (
            await session.execute(
                select(func.count())
                .select_from(ExternalRef)
                .where(ExternalRef.integration_id == integration_id, ExternalRef.resource_type == "order")
            )
        ).scalar_one()
    return int(orders), int(refs)


async def newest_worker_id(runtime: Runtime) -> int:
    async with runtime.engine.connect() as conn:
        return int((await conn.execute(text("SELECT coalesce(max(id), 0) FROM procrastinate_workers"))).scalar_one())


async def workers_listening_since(runtime: Runtime, since_id: int, count: int, timeout: float = 60) -> None:
    """Wait until `count` workers registered after `since_id` (see newest_worker_id) listen for jobs."""
    deadline = time.monotonic() + timeout
    while True:
        async with runtime.engine.connect() as conn:
            live = (
                await conn.execute(text("SELECT count(*) FROM procrastinate_workers WHERE id > :id"), {"id": since_id})
            ).scalar_one()
        if live >= count:
            return
        assert time.monotonic() < deadline, f"{live} of {count} workers started"
        await asyncio.sleep(0.1)


def stop_processes(*processes: subprocess.Popen[bytes] | None) -> None:
    for proc in processes:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            proc.wait(15)


async def assert_each_order_once(runtime: Runtime, workspace_id: str, integration_id: str, run: SyncRun) -> None:
    """The run read every sandbox order and stored each exactly once (the malformed ones as item errors),
    however many workers shared it or were killed in the middle."""
    assert run.status == "completed_with_errors", (run.status, run.error_message)  # the malformed orders
    assert run.processed == SANDBOX_ORDERS  # every record counted once
    orders, refs = await stored_orders_and_refs(runtime, workspace_id, integration_id)
    assert orders == refs == run.created == SANDBOX_ORDERS - run.failed


async def retry_failed(
    client: httpx.AsyncClient, runtime: Runtime, headers: dict[str, str], integration_id: str, sync_id: str
) -> dict[str, Any]:
    """retry-failed through the API, executed here; returns the retry run once the source run's item
    errors are all resolved (asserted)."""
    r = await client.post(
        f"/v1/integrations/{integration_id}/retry-failed",
        headers=headers,
        json={"syncId": sync_id, "retryType": "failed_only", "maxRetries": 3},
    )
    assert r.status_code == 202, r.text
    retry_id = r.json()["data"]["syncId"]
    await execute_run(runtime, retry_id)
    async with runtime.sessions() as session:
        open_errors = (
            await session.execute(
                select(func.count())
                .select_from(SyncItemError)
                .where(SyncItemError.sync_run_id == sync_id, SyncItemError.resolved_at.is_(None))
            )
        ).scalar_one()
    assert open_errors == 0
    return (await client.get(f"/v1/sync-runs/{retry_id}", headers=headers)).json()["data"]
