"""Scheduled syncs: each integration's enabled streams, incrementally, as often as `syncFrequency` says,
and a periodic reconciliation that re-reads recent days to catch what webhooks and cursors missed."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.connectors.loading import connector_class
from ledgerlink.connectors.registry import get_provider
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
# stream -> (the setting that switches it, its default); a connector's streams not named here are not scheduled.
STREAM_SETTINGS: dict[str, tuple[str, bool]] = {
    "orders": ("syncOrders", True),
    "products": ("syncProducts", True),
    "customers": ("syncCustomers", True),
    "inventory": ("syncInventory", False),
    # A processor's (seed 000's sync-payments flags, as settings).
    "payments": ("syncPayments", True),
    "refunds": ("includeRefunds", True),
    "disputes": ("includeChargebacks", True),
    "balance_transactions": ("includeFees", True),
    "payouts": ("includePayouts", True),
}
# Streams whose records change after they appear, re-read over the last `reconcileDays` every six hours
# (a processor's lists filter on creation only: a charge refunded, a dispute decided, a payout paid
# reach an incremental run only through webhooks, or through this).
RECONCILED = ("orders", "payments", "disputes", "payouts")
RECONCILE_EVERY = timedelta(hours=6)


def frequency(settings: dict[str, Any]) -> timedelta | None:
    if settings.get("is_automatic_sync_enabled") and settings.get("syncFrequency", "manual") == "manual":
        return FREQUENCIES["hourly"]
    return FREQUENCIES.get(str(settings.get("syncFrequency", "manual")))


def scheduled_streams(settings: dict[str, Any], available: Iterable[str] | None = None) -> list[str]:
    """The streams to sync on schedule: those switched on, among the connector's (`available`)."""
    names = set(STREAM_SETTINGS) if available is None else set(available)
    return [
        stream for stream, (flag, default) in STREAM_SETTINGS.items() if stream in names and settings.get(flag, default)
    ]


def _streams_of(provider_id: str) -> tuple[str, ...]:
    try:
        return connector_class(get_provider(provider_id)).stream_names
    except LedgerlinkError:
        return ()  # a provider without a connector (or no longer known): nothing to schedule


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
        for stream in scheduled_streams(integration.settings, _streams_of(integration.provider)):
            async with runtime.sessions() as session:
                last = await _last_started(session, integration.id, stream, ("incremental", "full"))
                last_reconcile = await _last_started(session, integration.id, stream, ("reconcile",))
            if last is None or now - last >= every:
                run_id = await _start(runtime, integration, runs.RunRequest(stream=stream, trigger="schedule"))
            elif stream in RECONCILED and (last_reconcile is None or now - last_reconcile >= RECONCILE_EVERY):
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
