"""A webhook answered 2xx is processed even when the hub dies right after answering."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import select

from ledgerlink.models import InboxEvent, Order
from ledgerlink.runtime import Runtime
from tests.conftest import ROOT, Sandbox, Tenant, _free_port
from tests.sync_support import setup_store
from tests.test_jobs_recovery import _start_worker
from tests.test_webhooks_inbound import _bigcommerce_delivery


def _serve_without_worker(database_url: str, secret_key: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "LEDGERLINK_SECRET_KEYS": secret_key}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ledgerlink", "serve", "--port", str(port), "--worker-concurrency", "0"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log.open("ab"),
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(log.read_text()[-2000:])


async def test_hub_killed_after_2xx_still_processes_the_event(
    client: httpx.AsyncClient,
    tenant: Tenant,
    runtime: Runtime,
    sandbox: Sandbox,
    database_url: str,
    secret_key: str,
    tmp_path: Path,
) -> None:
    creds = sandbox.credentials("bigcommerce")
    iid = await setup_store(client, tenant.headers, "bigcommerce", creds, name=f"bc-{uuid.uuid4().hex[:6]}")
    hub, base = _serve_without_worker(database_url, secret_key, tmp_path / "hub.log")
    body, headers = _bigcommerce_delivery(creds["clientSecret"], 100_020, "store/order/created", f"kill{iid}")
    r = httpx.post(f"{base}/v1/webhooks/inbound/{iid}", content=body, headers=headers, timeout=10)
    assert r.status_code == 200, r.text
    hub.send_signal(signal.SIGKILL)  # right after the 2xx: nothing of it survives but the database
    hub.wait(10)

    worker = _start_worker(database_url, secret_key, tmp_path / "worker.log", queues="webhooks")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            async with runtime.sessions() as session:
                status = (
                    await session.execute(select(InboxEvent.status).where(InboxEvent.integration_id == iid))
                ).scalar_one()
                orders = (await session.execute(select(Order.id).where(Order.integration_id == iid))).all()
            if status == "processed":
                break
            await asyncio.sleep(0.3)
    finally:
        worker.terminate()
        worker.wait(15)
    assert status == "processed", (tmp_path / "worker.log").read_text()[-3000:]
    assert len(orders) == 1
