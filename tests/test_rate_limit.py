"""Per-key request rate limit, with its state in PostgreSQL so every server process shares it."""

from __future__ import annotations

import asyncio
import dataclasses

import httpx
import pytest

from ledgerlink.api.app import create_app
from ledgerlink.db.engine import make_bookkeeping_engine, make_engine, make_sessionmaker
from ledgerlink.ratelimit import Limit, take
from tests.helpers import assert_error


@pytest.fixture
async def limited_clients(runtime, settings):
    """Two app instances with their own engines (as two processes would have), limit 60/min burst 5."""
    tight = settings.model_copy(update={"rate_limit_per_minute": 60, "rate_limit_burst": 5})
    clients, engines = [], []
    for _ in range(2):
        engine = make_engine(runtime.database_url, pool_size=2)
        bookkeeping = make_bookkeeping_engine(runtime.database_url, pool_size=2)
        engines += [engine, bookkeeping]
        rt = dataclasses.replace(
            runtime, settings=tight, engine=engine, sessions=make_sessionmaker(engine), bookkeeping=bookkeeping
        )
        transport = httpx.ASGITransport(app=create_app(rt), raise_app_exceptions=False)
        clients.append(httpx.AsyncClient(transport=transport, base_url="http://ledgerlink.test"))
    yield clients
    for c in clients:
        await c.aclose()
    for e in engines:
        await e.dispose()


async def test_burst_then_429_with_retry_after_shared_across_processes(limited_clients, tenant):
    a, b = limited_clients
    responses = await asyncio.gather(
        *[(a if i % 2 else b).get("/v1/integrations", headers=tenant.headers) for i in range(12)]
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) == 5, statuses  # the burst, spent once across both "processes"
    limited = next(r for r in responses if r.status_code == 429)
    err = assert_error(limited, 429, "RATE_LIMIT_EXCEEDED")
    assert 1 <= int(limited.headers["retry-after"]) <= 2
    assert 0 < err["details"]["retryAfterSeconds"] <= 1.5


async def test_budget_refills_at_the_configured_rate(runtime):
    limit = Limit(rate=600, period=60.0, burst=2)  # one every 100 ms
    async with runtime.sessions.begin() as session:
        first = [await take(session, "test:refill", limit) for _ in range(3)]
    assert [d.allowed for d in first] == [True, True, False]
    assert 0 < first[2].retry_after <= 0.11
    await asyncio.sleep(first[2].retry_after + 0.02)
    async with runtime.sessions.begin() as session:
        assert (await take(session, "test:refill", limit)).allowed
