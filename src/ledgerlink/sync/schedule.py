"""Scheduled syncs: each integration's enabled streams, incrementally, as often as `syncFrequency` says,
and a periodic reconciliation that re-reads recent days to catch what webhooks and cursors missed."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.errors import LedgerlinkError
from ledgerlink.models import Integration, SyncRun
from ledgerlink.runtime import Runtime
from ledgerlink.sync import runs

log = logging.getLogger(__name__)

FREQUENCIES = {
    "every_15_minutes": timedelta(minutes=15),
    "hourly": timedelta(hours=1),
    "every_6_hours": timedelta(hours=6),
    "daily": timedelta(days=1),
}
STREAM_SETTINGS = {
    "orders": "syncOrders",
    "products": "syncProducts",
    "customers": "syncCustomers",
    "inventory": "syncInventory",
}
RECONCILE_EVERY = timedelta(hours=6)


def frequency(settings: dict[str, Any]) -> timedelta | None:
    if settings.get("is_automatic_sync_enabled") and settings.get("syncFrequency", "manual") == "manual":
        return FREQUENCIES["hourly"]
    return FREQUENCIES.get(str(settings.get("syncFrequency", "manual")))


def scheduled_streams(settings: dict[str, Any]) -> list[str]:
    return [stream for stream, flag in STREAM_SETTINGS.items() if settings.get(flag, stream != "inventory")]


async def _last_started(
    session: AsyncSession, integration_id: str, stream: str, sync_types: tuple[str, ...]
) -> datetime | None:
    return (
        await session.execute(
            select(func.max(SyncRun.created_at)).where(
                SyncRun.integration_id == integration_id, SyncRun.stream == stream, SyncRun.sync_type.in_(sync_types)
            )
        )
    ).scalar_one()


async def _start(runtime: Runtime, integration: Integration, request: runs.RunRequest) -> str | None:
    async with runtime.sessions() as session:
        try:
            return (await runs.start_run(session, integration.workspace_id, integration.id, request)).id
        except LedgerlinkError as exc:  # already running, or the provider lacks the stream: next tick
            log.info(
                "scheduled sync not started",
                extra={"integration_id": integration.id, "stream": request.stream, "reason": exc.message},
            )
            return None


async def start_due_runs(runtime: Runtime, now: datetime | None = None) -> list[str]:
    now = now or datetime.now(UTC)
    async with runtime.sessions() as session:
        integrations = list(
            (
                await session.execute(select(Integration).where(Integration.status.in_(("active", "unverified"))))
            ).scalars()
        )
    started: list[str] = []
    for integration in integrations:
        every = frequency(integration.settings)
        if every is None:
            continue
        for stream in scheduled_streams(integration.settings):
            async with runtime.sessions() as session:
                last = await _last_started(session, integration.id, stream, ("incremental", "full"))
                last_reconcile = await _last_started(session, integration.id, stream, ("reconcile",))
            if last is None or now - last >= every:
                run_id = await _start(runtime, integration, runs.RunRequest(stream=stream, trigger="schedule"))
            elif stream == "orders" and (last_reconcile is None or now - last_reconcile >= RECONCILE_EVERY):
                days = float(integration.settings.get("reconcileDays", 3))
                run_id = await _start(
                    runtime,
                    integration,
                    runs.RunRequest(
                        stream=stream, sync_type="reconcile", since=now - timedelta(days=days), trigger="schedule"
                    ),
                )
            else:
                continue
            if run_id:
                started.append(run_id)
    return started
