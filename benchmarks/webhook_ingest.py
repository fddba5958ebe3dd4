"""Inbound webhook ingest and outbound delivery on this machine.

    .venv/bin/python benchmarks/webhook_ingest.py [--seconds 10] [--senders 64] [--deliveries 2000]

Inbound: `ledgerlink serve` (no worker) receives signed Shopify webhooks from 64 concurrent senders
over loopback; every 200 means signature verified and the row committed. Printed beside it: the same
app answering GET /healthz (no database) under the same load, in the same run.
Outbound: an in-process worker fans events out and delivers them to a local receiver: a burst of N
events committed at once (deliveries/s), then a steady 100 events/s for 10 s (scheduling lag from
each event's commit to its receipt, p50/p99).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import os
import statistics
import sys
import time
from pathlib import Path

import httpx
from _harness import LoadResult, free_port, load, running_hub
from cryptography.fernet import Fernet

from ledgerlink.auth import access
from ledgerlink.db import migrate
from ledgerlink.events import emit
from ledgerlink.runtime import build_runtime
from ledgerlink.settings import Settings
from ledgerlink.testing import scratch_database

ROOT = Path(__file__).resolve().parent.parent
SECRET = "shpss_benchmark_secret"
os.environ.setdefault("LEDGERLINK_ALLOWED_PRIVATE_NETWORKS", "127.0.0.0/8")


def signed(n: int) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"id": 450789469 + n, "updated_at": "2026-11-25T10:00:00Z", "note": "x" * 400}).encode()
    mac = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    return body, {
        "X-Shopify-Hmac-Sha256": mac,
        "X-Shopify-Topic": "orders/updated",
        "X-Shopify-Event-Id": f"bench-{n}",
        "Content-Type": "application/json",
    }


def inbound(seconds: float, senders: int) -> None:
    """The hub in its own process (ledgerlink serve, no worker) on its own database."""
    with running_hub() as hub:
        hub.cli("workspaces", "create", "bench")
        key = hub.cli("keys", "create", "--workspace", "bench", "--scopes", "admin:all")
        r = httpx.post(
            f"{hub.base_url}/v1/integrations/shopify/setup",
            headers={"X-API-Key": key},
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
        path = f"/v1/webhooks/inbound/{r.json()['data']['id']}"

        def webhook(n: int) -> tuple[str, str, dict[str, str], bytes]:
            body, headers = signed(n)
            return "POST", path, headers, body

        def healthz(n: int) -> tuple[str, str, dict[str, str], bytes]:
            return "GET", "/healthz", {}, b""

        async def run() -> tuple[LoadResult, LoadResult]:
            await load("warm-up", webhook, base_url=hub.base_url, concurrency=senders, seconds=1)
            stored = await load(
                "webhooks accepted (verified + committed)",
                webhook,
                base_url=hub.base_url,
                concurrency=senders,
                seconds=seconds,
            )
            bare = await load(
                "same app, no database (GET /healthz)",
                healthz,
                base_url=hub.base_url,
                concurrency=senders,
                seconds=seconds,
            )
            return stored, bare

        stored, bare = asyncio.run(run())
    print(f"inbound, {senders} concurrent senders:")
    print("  " + stored.line())
    print("  " + bare.line())


async def raw_receiver(arrivals: dict[str, tuple[float, str]]) -> tuple[asyncio.Server, int]:
    """A subscriber that costs next to nothing (keep-alive HTTP/1.1 on raw asyncio streams), so the
    figure is the hub's sending, not a Python web framework's receiving on the same two cores."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                headers = dict(line.split(": ", 1) for line in head.decode("latin-1").split("\r\n")[1:] if ": " in line)
                lowered = {k.lower(): v for k, v in headers.items()}
                body = await reader.readexactly(int(lowered.get("content-length", "0")))
                arrivals[lowered["webhook-id"]] = (time.time(), json.loads(body)["id"])
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    port = free_port()
    return await asyncio.start_server(handle, "127.0.0.1", port), port


def percentile_ms(seconds: list[float], q: int) -> float:
    return statistics.quantiles(seconds, n=100)[q - 1] * 1000 if len(seconds) > 1 else 0.0


async def outbound(runtime, deliveries: int) -> None:  # type: ignore[no-untyped-def]
    from ledgerlink.jobs.worker import run_worker
    from ledgerlink.webhooks import subscriptions as subs

    arrivals: dict[str, tuple[float, str]] = {}
    server, port = await raw_receiver(arrivals)
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
    try:
        # A burst: every event committed at once; how fast do the deliveries drain?
        committed = await _emit(runtime, ws.id, deliveries)
        await _wait_for(arrivals, committed)
        last = max(arrivals[m][0] for m in _ids_of(arrivals, committed))
        first_commit = min(committed.values())
        print(
            f"outbound burst: {deliveries} events committed at once, delivered in {last - first_commit:.2f}s = "
            f"{deliveries / (last - first_commit):6.0f} deliveries/s to a local receiver"
        )
        # A steady stream under that capacity: how long from an event's commit to its receipt?
        steady: dict[str, float] = {}
        for _ in range(50):  # 10 s at 100 events/s, committed 20 at a time
            steady.update(await _emit(runtime, ws.id, 20))
            await asyncio.sleep(0.2)
        await _wait_for(arrivals, steady)
        lags = [arrivals[m][0] - steady[arrivals[m][1]] for m in _ids_of(arrivals, steady)]
        print(
            f"outbound steady, 100 events/s for 10 s: scheduling lag (commit to receipt) "
            f"p50 {percentile_ms(lags, 50):.0f} ms, p99 {percentile_ms(lags, 99):.0f} ms"
        )
    finally:
        worker.cancel()
        with contextlib.suppress(BaseException):
            await worker
        server.close()


async def _emit(runtime, workspace_id: str, n: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """event id -> when its transaction committed."""
    async with runtime.sessions.begin() as session:
        events = [
            emit(session, workspace_id=workspace_id, type="order.created", source="bench", data={"n": i})
            for i in range(n)
        ]
    at = time.time()
    return {e.id: at for e in events}


def _ids_of(arrivals: dict[str, tuple[float, str]], events: dict[str, float]) -> list[str]:
    return [message for message, (_, event_id) in arrivals.items() if event_id in events]


async def _wait_for(arrivals: dict[str, tuple[float, str]], events: dict[str, float], limit: float = 300) -> None:
    deadline = time.time() + limit
    while len(_ids_of(arrivals, events)) < len(events):
        if time.time() > deadline:
            raise RuntimeError(f"only {len(_ids_of(arrivals, events))} of {len(events)} delivered")
        await asyncio.sleep(0.02)


async def main(args: argparse.Namespace) -> None:
    print("ledgerlink webhooks (loopback, PostgreSQL with fsync, load generator on the same 2 cores)")
    with scratch_database("llhooks-") as (url, data_dir):
        migrate.upgrade(url)
        key = Fernet.generate_key().decode()
        settings = Settings(DATABASE_URL=url, secret_keys=key, data_dir=data_dir, log_level="WARNING")
        runtime = build_runtime(settings, url)
        try:
            if args.deliveries:
                await outbound(runtime, args.deliveries)
        finally:
            await runtime.aclose()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--senders", type=int, default=64)
    parser.add_argument("--deliveries", type=int, default=2000)
    arguments = parser.parse_args()
    inbound(arguments.seconds, arguments.senders)
    asyncio.run(main(arguments))
