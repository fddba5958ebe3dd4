"""Scheduled syncs start when due (once per integration and stream), and reconciliation re-reads recent
days and reports what it corrected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select

from ledgerlink.models import ExternalRef, Order, SyncRun
from ledgerlink.sync.engine import execute_run
from ledgerlink.sync.schedule import start_due_runs
from tests.conftest import make_tenant
from tests.sync_support import setup_store, sync

pytestmark = pytest.mark.slow


async def _runs_of(runtime, integration_id):
    async with runtime.sessions() as session:
        return list(
            (
                await session.execute(
                    select(SyncRun).where(SyncRun.integration_id == integration_id).order_by(SyncRun.created_at)
                )
            ).scalars()
        )


async def _start_incremental(client, tenant, iid):
    r = await client.post(f"/v1/integrations/{iid}/sync", headers=tenant.headers, json={"stream": "orders"})
    assert r.status_code == 202, r.text
    return r.json()["data"]


async def test_due_streams_start_once_and_reconcile_reports_corrections(client, runtime, sandbox):
    sandbox.reset("woocommerce")
    tenant = await make_tenant(runtime)
    iid = await setup_store(
        client,
        tenant.headers,
        "woocommerce",
        sandbox.credentials("woocommerce"),
        syncFrequency="hourly",
        syncProducts=False,
        syncCustomers=False,
    )
    first = await start_due_runs(runtime)
    mine = [r for r in await _runs_of(runtime, iid)]
    assert {r.id for r in mine} <= set(first) and [r.stream for r in mine] == ["orders"]
    assert mine[0].trigger == "schedule"
    assert not [r for r in await start_due_runs(runtime) if r in {x.id for x in await _runs_of(runtime, iid)}]
    await execute_run(runtime, mine[0].id)

    # An order edited upstream today goes missing from the hub (a lost webhook, a bug): the next
    # reconciliation, which re-reads the last days, finds it.
    sandbox.control("woocommerce", "POST", "/_sandbox/orders/100003/touch", json={"status": "completed"})
    await execute_run(runtime, (await _start_incremental(client, tenant, iid))["syncId"])
    async with runtime.sessions.begin() as session:
        victim_id = (
            await session.execute(
                select(ExternalRef.canonical_id).where(
                    ExternalRef.integration_id == iid,
                    ExternalRef.resource_type == "order",
                    ExternalRef.external_id == "100003",
                )
            )
        ).scalar_one()
        victim = await session.get(Order, victim_id)
        await session.execute(delete(ExternalRef).where(ExternalRef.canonical_id == victim.id))
        await session.execute(delete(Order).where(Order.id == victim.id))
    later = datetime.now(UTC) + timedelta(minutes=30)  # incremental not due yet; reconciliation is
    started = await start_due_runs(runtime, now=later)
    reconcile = [r for r in await _runs_of(runtime, iid) if r.id in started]
    assert [r.sync_type for r in reconcile] == ["reconcile"]
    await execute_run(runtime, reconcile[0].id)
    report = (await client.get(f"/v1/sync-runs/{reconcile[0].id}", headers=tenant.headers)).json()["data"]
    assert report["ordersCreated"] == 1  # the correction it made
    assert report["ordersUpdated"] == 0


async def test_manual_integrations_are_not_scheduled(client, runtime, sandbox):
    tenant = await make_tenant(runtime)
    iid = await setup_store(client, tenant.headers, "woocommerce", sandbox.credentials("woocommerce"), name="manual")
    await start_due_runs(runtime)
    assert await _runs_of(runtime, iid) == []
    run = await sync(client, runtime, tenant.headers, iid, "customers")
    assert run["trigger"] == "api"
