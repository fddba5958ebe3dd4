"""Inbound webhook ingest and outbound delivery on this machine.

    .venv/bin/python benchmarks/webhook_ingest.py [--seconds 10] [--senders 64] [--deliveries 2000]

Inbound: a hub process (uvicorn, no worker) receives signed Shopify webhooks from 64 concurrent
senders over loopback; every 200 means signature verified and the row committed. Printed beside it:
the same app answering GET /healthz (no database) under the same load, in the same run.
Outbound: N events are emitted at once for a subscription whose endpoint is a local receiver; an
in-process worker fans them out and delivers them. Printed: deliveries/s and the scheduling lag
(receipt time minus the event's commit time) p50/p99.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from cryptography.fernet import Fernet

from ledgerlink.auth import access
from ledgerlink.db import migrate
from ledgerlink.events import emit
from ledgerlink.runtime import build_runtime
from ledgerlink.settings import Settings
from ledgerlink.testing import create_test_database, drop_test_database

ROOT = Path(__file__).resolve().parent.parent
SECRET = "shpss_benchmark_secret"
os.environ.setdefault("LEDGERLINK_ALLOWED_PRIVATE_NETWORKS", "127.0.0.0/8")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_hub(url: str, key: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": url, "LEDGERLINK_SECRET_KEYS": key, "LEDGERLINK_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "ledgerlink.api.app:create_app",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the hub did not start")


def signed(n: int) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"id": 450789469 + n, "updated_at": "2026-11-25T10:00:00Z", "note": "x" * 400}).encode()
    mac = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    return body, {
        "X-Shopify-Hmac-Sha256": mac,
        "X-Shopify-Topic": "orders/updated",
        "X-Shopify-Event-Id": f"bench-{n}",
        "Content-Type": "application/json",
    }


async def load(url: str, seconds: float, senders: int, webhook: bool) -> tuple[int, list[float]]:
    latencies: list[float] = []
    counter = iter(range(10**9))
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=senders, max_keepalive_connections=senders)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def sender() -> None:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                if webhook:
                    body, headers = signed(next(counter))
                    r = await client.post(url, content=body, headers=headers)
                else:
                    r = await client.get(url)
                if r.status_code == 200:
                    latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(sender() for _ in range(senders)))
    return len(latencies), latencies


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else 0.0


async def inbound(runtime, url: str, key: str, seconds: float, senders: int) -> None:  # type: ignore[no-untyped-def]
    async with runtime.sessions() as session:
        ws = await access.create_workspace(session, "bench")
        api_key = (await access.create_api_key(session, ws.id, ["admin:all"], "bench")).secret
    port = free_port()
    hub = serve_hub(url, key, port)
    try:
        base = f"http://127.0.0.1:{port}"
        r = httpx.post(
            f"{base}/v1/integrations/shopify/setup",
            headers={"X-API-Key": api_key},
            json={
                "name": "bench",
                "verify": False,
                "credentials": {
                    "shopDomain": "bench.myshopify.com",
                    "accessToken": "shpat_benchmark",
                    "webhookSecret": SECRET,
                },
            },
        )
        iid = r.json()["data"]["id"]
        await load(f"{base}/v1/webhooks/inbound/{iid}", 1.0, senders, webhook=True)  # warm up
        n, lat = await load(f"{base}/v1/webhooks/inbound/{iid}", seconds, senders, webhook=True)
        b, blat = await load(f"{base}/healthz", seconds, senders, webhook=False)
    finally:
        hub.terminate()
        hub.wait(10)
    print(
        f"inbound, {senders} concurrent senders: {n / seconds:8.0f} webhooks/s accepted "
        f"(verified + committed before 200), p50 {pct(lat, 50):.1f} ms, p99 {pct(lat, 99):.1f} ms"
    )
    print(
        f"same app without the database (GET /healthz): {b / seconds:8.0f} req/s, "
        f"p50 {pct(blat, 50):.1f} ms, p99 {pct(blat, 99):.1f} ms"
    )


async def outbound(runtime, deliveries: int) -> None:  # type: ignore[no-untyped-def]
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from ledgerlink.jobs.worker import run_worker
    from ledgerlink.models import Event
    from ledgerlink.webhooks import subscriptions as subs

    arrivals: dict[str, float] = {}

    async def receive(request: Request) -> Response:
        arrivals[request.headers["webhook-id"]] = time.time()
        payload = json.loads(await request.body())
        arrivals[request.headers["webhook-id"] + ":event"] = payload["id"]  # type: ignore[assignment]
        return Response(b"ok")

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            Starlette(routes=[Route("/h", receive, methods=["POST"])]),
            port=port,
            log_level="warning",
            lifespan="off",
            access_log=False,
        )
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    async with runtime.sessions() as session:
        ws = await access.create_workspace(session, "bench-out")
    async with runtime.sessions.begin() as session:
        await subs.create(
            session,
            runtime.secrets,
            ws.id,
            None,
            subs.SubscriptionIn(
                events=["order.created"], endpoint=f"http://127.0.0.1:{port}/h", secret="benchmark_secret_0123"
            ),
        )
    worker = asyncio.create_task(run_worker(runtime, concurrency=4, signals=False))
    await asyncio.sleep(1.0)
    started = time.time()
    async with runtime.sessions.begin() as session:
        events = [
            emit(session, workspace_id=ws.id, type="order.created", source="bench", data={"n": i})
            for i in range(deliveries)
        ]
    committed = {e.id: time.time() for e in events}
    while sum(1 for k in arrivals if not k.endswith(":event")) < deliveries and time.time() - started < 120:
        await asyncio.sleep(0.05)
    elapsed = max(v for k, v in arrivals.items() if not k.endswith(":event")) - started
    lags = [arrivals[k] - committed[str(arrivals[k + ":event"])] for k in list(arrivals) if not k.endswith(":event")]
    worker.cancel()
    server.should_exit = True
    await serving
    del Event
    print(
        f"outbound: {len(lags)} deliveries in {elapsed:.2f}s = {len(lags) / elapsed:6.0f} deliveries/s; "
        f"scheduling lag p50 {pct(lags, 50):.0f} ms, p99 {pct(lags, 99):.0f} ms"
    )


async def main(args: argparse.Namespace) -> None:
    print("ledgerlink webhooks (loopback, PostgreSQL with fsync, load generator on the same 2 cores)")
    data_dir = Path(tempfile.mkdtemp(prefix="llhooks-"))
    url = create_test_database(data_dir)
    migrate.upgrade(url)
    key = Fernet.generate_key().decode()
    runtime = build_runtime(Settings(DATABASE_URL=url, secret_keys=key, data_dir=data_dir, log_level="WARNING"), url)
    try:
        await inbound(runtime, url, key, args.seconds, args.senders)
        if args.deliveries:
            await outbound(runtime, args.deliveries)
    finally:
        await runtime.aclose()
        drop_test_database(url)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--senders", type=int, default=64)
    parser.add_argument("--deliveries", type=int, default=2000)
    asyncio.run(main(parser.parse_args()))
