"""Sync throughput on this machine, end to end against the sandbox over a real socket.

    .venv/bin/python benchmarks/sync_throughput.py [--orders 20000] [--runs 3] [--provider woocommerce]
        [--processes 2] [--budget-orders 2000] [--memory-orders 100000]

Prints: orders/s synced end to end with the sandbox's rate limits off (orders have 1-5 lines, 3 on
average; each run, and their median as the figure), the run shared by `--processes` `ledgerlink
worker` processes (the run is cut into slices they take in turn; 1: executed in this process, as
`ledgerlink sync` does); with `--budget-orders N`, the share of a Shopify
cost bucket's allowance an orders sync spent and how often it was throttled; with `--memory-orders N`,
the run's peak Python heap for N/10 and N orders (flat means it does not grow with the number of orders).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import httpx
from _harness import CpuMeter
from cryptography.fernet import Fernet
from sqlalchemy import text

from ledgerlink import event_loop
from ledgerlink.api.app import create_app
from ledgerlink.auth import access
from ledgerlink.db import migrate
from ledgerlink.heap import tune_for_long_running
from ledgerlink.runtime import Runtime, build_runtime
from ledgerlink.settings import Settings
from ledgerlink.sync.engine import execute_run, until_finished
from ledgerlink.testing import scratch_database

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("LEDGERLINK_ALLOWED_PRIVATE_NETWORKS", "127.0.0.0/8")  # the sandbox is on loopback


def start_sandbox(orders: int, provider: str, malformed_every: int = 0) -> tuple[subprocess.Popen[str], dict]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ledgerlink",
            "sandbox",
            "--port",
            "0",
            "--orders",
            str(orders),
            "--providers",
            provider,
            "--malformed-every",
            str(malformed_every),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    return proc, json.loads(proc.stdout.readline())


def sandbox_url(stores: dict, provider: str) -> str:
    """Where the platform is mounted: every platform's credentials carry its base URL."""
    creds = stores[provider]["credentials"]
    return str(creds.get("apiBaseUrl") or creds.get("siteUrl")).rstrip("/")


def start_workers(count: int, url: str, settings: Settings) -> list[subprocess.Popen[bytes]]:
    """`ledgerlink worker` processes on the sync queue, beside this one."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "LEDGERLINK_SECRET_KEYS": settings.secret_keys or "",
        "LEDGERLINK_LOG_LEVEL": "WARNING",
        "LEDGERLINK_DATA_DIR": str(settings.data_dir),
    }
    args = [sys.executable, "-m", "ledgerlink", "worker", "--queues", "sync"]
    return [
        subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(count)
    ]


async def workers_listening(runtime: Runtime, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        async with runtime.engine.connect() as conn:
            live = (await conn.execute(text("SELECT count(*) FROM procrastinate_workers"))).scalar_one()
        if live >= count:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{live} of {count} workers started")
        await asyncio.sleep(0.1)


async def sync_once(orders: int, provider: str, *, trace_memory: bool, processes: int = 1) -> dict[str, float]:
    """One orders sync, timed. `processes` 1: executed here, as `ledgerlink sync` does; more: by that
    many `ledgerlink worker`s sharing the run's slices (this process only starts the run and waits)."""
    with scratch_database("llsync-") as (url, data_dir):
        return await _sync_once(url, data_dir, orders, provider, trace_memory=trace_memory, processes=processes)


async def _sync_once(
    url: str, data_dir: Path, orders: int, provider: str, *, trace_memory: bool, processes: int
) -> dict[str, float]:
    sandbox, stores = start_sandbox(orders, provider)
    # "Rate limits off": the platform's own throttle (WooCommerce's host allows 25 req/s) would
    # otherwise set the pace, and the figure would measure the sandbox's limit, not the hub.
    httpx.post(f"{sandbox_url(stores, provider)}/_sandbox/faults", json={"rate_limits": False}).raise_for_status()
    migrate.upgrade(url)
    settings = Settings(
        DATABASE_URL=url, secret_keys=Fernet.generate_key().decode(), data_dir=data_dir, log_level="WARNING"
    )
    runtime = build_runtime(settings, url)
    workers: list[subprocess.Popen[bytes]] = []
    try:
        async with runtime.sessions() as session:
            ws = await access.create_workspace(session, "bench")
            key = (await access.create_api_key(session, ws.id, ["admin:all"], "bench")).secret
        app = create_app(runtime)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as client:
            headers = {"X-API-Key": key}
            creds = stores[provider]["credentials"]
            r = await client.post(
                f"/v1/integrations/{provider}/setup",
                headers=headers,
                json={"name": "bench", "credentials": creds, "settings": {"rateLimit": None}},
            )
            iid = r.json()["data"]["id"]
            for stream in ("locations", "products", "customers"):
                run = (
                    await client.post(
                        f"/v1/integrations/{iid}/sync", headers=headers, json={"stream": stream, "batchSize": 100}
                    )
                ).json()["data"]
                await execute_run(runtime, run["syncId"])
            async with runtime.engine.connect() as conn:
                backend = int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())
                # The syncs above ran here: their queued jobs are not the workers' to pick up.
                await conn.execute(text("DELETE FROM procrastinate_jobs WHERE status = 'todo'"))
                await conn.commit()
            if processes > 1:
                workers = start_workers(processes, url, settings)
                await workers_listening(runtime, processes)
            if not trace_memory:
                tune_for_long_running()  # what `ledgerlink worker` does once started (tracemalloc wants all)
            meter = CpuMeter(other_pid=sandbox.pid, backend_pid=backend, hub_pids=tuple(w.pid for w in workers))
            if trace_memory:
                tracemalloc.start()
            meter.start()
            started = time.perf_counter()
            run = (
                await client.post(
                    f"/v1/integrations/{iid}/sync", headers=headers, json={"stream": "orders", "batchSize": 250}
                )
            ).json()["data"]
            if processes > 1:
                await until_finished(runtime, run["syncId"], poll=0.05)
            else:
                await execute_run(runtime, run["syncId"])
            elapsed = time.perf_counter() - started
            cpu = meter.stop()
            peak = tracemalloc.get_traced_memory()[1] if trace_memory else 0
            if trace_memory:
                tracemalloc.stop()
            final = (await client.get(f"/v1/sync-runs/{run['syncId']}", headers=headers)).json()["data"]
        return {
            "orders": final["ordersProcessed"],
            "created": final["ordersCreated"],
            "seconds": elapsed,
            "rate": final["ordersProcessed"] / elapsed,
            "peak_mib": peak / 2**20,
            **{f"cpu_{k}": v for k, v in cpu.items()},
        }
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(30)
        await runtime.aclose()
        sandbox.terminate()
        sandbox.wait(10)


async def budget_use(orders: int, maximum: int, restore: int) -> dict[str, float]:
    """Shopify-like limits on: a cost bucket of `maximum` points restoring `restore`/s. How much of what
    the bucket allowed did an orders sync spend, and was it ever throttled?"""
    with scratch_database("llbudget-") as (url, data_dir):
        return await _budget_use(url, data_dir, orders, maximum, restore)


async def _budget_use(url: str, data_dir: Path, orders: int, maximum: int, restore: int) -> dict[str, float]:
    sandbox, stores = start_sandbox(orders, "shopify", malformed_every=0)
    base = stores["shopify"]["credentials"]["apiBaseUrl"]
    migrate.upgrade(url)
    runtime = build_runtime(
        Settings(DATABASE_URL=url, secret_keys=Fernet.generate_key().decode(), data_dir=data_dir, log_level="WARNING"),
        url,
    )
    try:
        async with runtime.sessions() as session:
            ws = await access.create_workspace(session, "bench")
            key = (await access.create_api_key(session, ws.id, ["admin:all"], "bench")).secret
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(runtime)), base_url="http://hub"
        ) as hub:
            headers = {"X-API-Key": key}
            r = await hub.post(
                "/v1/integrations/shopify/setup",
                headers=headers,
                json={
                    "name": "bench",
                    "credentials": stores["shopify"]["credentials"],
                    "settings": {"rateLimit": {"rate": restore, "period": 1, "burst": maximum}},
                },
            )
            iid = r.json()["data"]["id"]
            httpx.post(
                f"{base}/_sandbox/throttle",
                json={"maximumAvailable": maximum, "restoreRate": restore, "currentlyAvailable": maximum},
            )
            httpx.delete(f"{base}/_sandbox/faults")
            spent_before = httpx.get(f"{base}/_sandbox/throttle").json()["spent"]
            run = (await hub.post(f"/v1/integrations/{iid}/sync", headers=headers, json={"stream": "orders"})).json()[
                "data"
            ]
            started = time.perf_counter()
            await execute_run(runtime, run["syncId"])
            elapsed = time.perf_counter() - started
            spent = httpx.get(f"{base}/_sandbox/throttle").json()["spent"] - spent_before
            stats = httpx.get(f"{base}/_sandbox/faults").json()["stats"]
            final = (await hub.get(f"/v1/sync-runs/{run['syncId']}", headers=headers)).json()["data"]
        allowed = maximum + restore * elapsed
        return {
            "orders": final["ordersProcessed"],
            "seconds": elapsed,
            "spent": spent,
            "allowed": allowed,
            "share": spent / allowed,
            "throttled": stats["throttled"],
            "over_limit": stats["over_limit"],
            "requests": stats["requests"],
        }
    finally:
        await runtime.aclose()
        sandbox.terminate()
        sandbox.wait(10)


async def main(args: argparse.Namespace) -> None:
    print(
        f"ledgerlink sync throughput ({args.provider} sandbox over loopback; "
        f"PostgreSQL fsync on, synchronous_commit off; {os.cpu_count()} cores; "
        f"Python {platform.python_version()} from {sys.base_prefix})"
    )
    # This machine's speed drifts between runs (other tenants): each run is printed, the median counts.
    runs = [
        await sync_once(args.orders, args.provider, trace_memory=False, processes=args.processes)
        for _ in range(args.runs)
    ]
    result = sorted(runs, key=lambda r: r["rate"])[len(runs) // 2]
    print(
        f"end to end, rate limits off: {result['rate']:8.0f} orders/s  "
        f"({result['orders']} orders, {result['created']} created, {result['seconds']:.1f}s; median of "
        f"{len(runs)} runs: {', '.join(str(round(r['rate'])) for r in runs)})"
    )
    per_order = {k: 1000 * result[f"cpu_{k}"] / max(result["orders"], 1) for k in ("hub", "other", "postgres")}
    # What the three processes' CPU per order allows on this machine's cores, and how much of it the run got.
    ceiling = 1000 * (os.cpu_count() or 1) / sum(per_order.values())
    print(
        f"CPU per order: hub {per_order['hub']:.2f} ms, sandbox {per_order['other']:.2f} ms, "
        f"PostgreSQL {per_order['postgres']:.2f} ms; total {sum(per_order.values()):.2f} ms "
        f"(on {os.cpu_count()} cores the ceiling is {ceiling:.0f}/s; "
        f"the run reached {result['rate'] / ceiling:.0%} of it)"
    )
    # Where the hub's run went: its own work, a wait for a core the others held, or nothing to do
    # (each of its processes, on average).
    span = result["seconds"] * args.processes
    running, waiting = result["cpu_hub"] / span, result["cpu_hub_wait"] / span
    print(
        f"the hub during the run ({args.processes} worker process{'es' if args.processes > 1 else ''}, each): "
        f"working {running:.0%}, ready but waiting for a core {waiting:.0%}, idle {max(0.0, 1 - running - waiting):.0%}"
    )
    if args.budget_orders:
        b = await budget_use(args.budget_orders, maximum=1000, restore=500)
        print(
            f"Shopify-like limits (bucket 1000 points, 500/s): spent {b['spent']:.0f} of {b['allowed']:.0f} points "
            f"the bucket allowed in {b['seconds']:.1f}s = {b['share']:.0%} of the budget; "
            f"{b['throttled']} throttled, {b['over_limit']} over the limit, {b['requests']} requests, "
            f"{b['orders']} orders"
        )
    if args.memory_orders:
        small = await sync_once(max(1000, args.memory_orders // 10), args.provider, trace_memory=True)
        large = await sync_once(args.memory_orders, args.provider, trace_memory=True)
        print(
            f"peak heap during the run: {small['peak_mib']:.1f} MiB for {small['orders']} orders, "
            f"{large['peak_mib']:.1f} MiB for {large['orders']} orders "
            f"(ratio {large['peak_mib'] / max(small['peak_mib'], 0.001):.2f} for 10x the orders)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3, help="timed runs; the median is the figure")
    parser.add_argument("--provider", default="woocommerce")
    parser.add_argument(
        "--processes",
        type=int,
        default=2,
        help="`ledgerlink worker` processes sharing the run (1: the run is executed in this process)",
    )
    parser.add_argument("--memory-orders", type=int, default=0)
    parser.add_argument("--budget-orders", type=int, default=0, help="Shopify orders for the budget-use figure")
    args = parser.parse_args()
    if args.runs < 1 or args.orders < 1 or args.processes < 1:
        parser.error("--runs, --orders and --processes must be at least 1")
    event_loop.run(main(args))
