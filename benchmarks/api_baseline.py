"""API baseline on this machine: requests/s and latency percentiles for an authenticated GET and
for integration setup, against `ledgerlink serve` on a real PostgreSQL (one process, one core of
two; the load generator runs in this process on the other).

    .venv/bin/python benchmarks/api_baseline.py [--seconds 10] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform

from _harness import load, running_hub
from _loadgen import json_request

SETUP_CREDENTIALS = {"shopDomain": "bench.myshopify.com", "accessToken": "shpat_" + "0" * 32}


async def main(seconds: float, concurrency: int) -> None:
    with running_hub() as hub:
        hub.cli("workspaces", "create", "bench")
        key = hub.cli("keys", "create", "--workspace", "bench", "--scopes", "admin:all")
        auth = {"X-API-Key": key}
        print(
            f"ledgerlink api baseline: {platform.machine()}, {os.cpu_count()} cores, server and load generator "
            f"on the same machine, {concurrency} keep-alive connections, {seconds:.0f}s per line"
        )
        scenarios = [
            ("GET /healthz (no auth, no db)", lambda i: json_request("GET", "/healthz", {})),
            (
                "GET /v1/integrations/available (auth)",
                lambda i: json_request("GET", "/v1/integrations/available", auth),
            ),
            (
                "POST /v1/integrations/shopify/setup",
                lambda i: json_request(
                    "POST",
                    "/v1/integrations/shopify/setup",
                    auth,
                    {"name": f"store {i}", "credentials": SETUP_CREDENTIALS, "verify": False},
                ),
            ),
            ("GET /v1/integrations?limit=50 (auth)", lambda i: json_request("GET", "/v1/integrations?limit=50", auth)),
        ]
        await load("warm-up", scenarios[1][1], base_url=hub.base_url, concurrency=4, seconds=1)
        for label, factory in scenarios:
            result = await load(label, factory, base_url=hub.base_url, concurrency=concurrency, seconds=seconds)
            print(result.line())


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    asyncio.run(main(args.seconds, args.concurrency))
