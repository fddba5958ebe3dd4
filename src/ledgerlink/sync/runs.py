"""Starting sync runs and reading them back. A run is a row plus a job that points at it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.connectors.loading import connector_class
from ledgerlink.connectors.registry import get_provider
from ledgerlink.db.paging import fetch_page
from ledgerlink.errors import ConfigurationError, Conflict, NotFound
from ledgerlink.ids import new_id
from ledgerlink.integrations.service import get_integration
from ledgerlink.jobs.defer import defer_in_transaction
from ledgerlink.models import Integration, StreamCursor, SyncItemError, SyncRun

SYNC_TASK = "ledgerlink:sync_run"
SYNC_QUEUE = "sync"
DEFAULT_LOOKBACK = timedelta(minutes=10)


@dataclass
class RunRequest:
    stream: str
    sync_type: str = "incremental"  # incremental | full | reconcile
    since: datetime | None = None
    until: datetime | None = None
    filters: dict[str, Any] = field(default_factory=dict)
    page_size: int = 100
    trigger: str = "api"
    retry_of: str | None = None
    # The job's Procrastinate lock (jobs sharing one run one at a time, in order); None: its integration and stream's.
    lock: str | None = None


def job_lock(integration_id: str, stream: str) -> str:
    return f"sync:{integration_id}:{stream}"


async def _cursor(session: AsyncSession, integration_id: str, stream: str) -> datetime | None:
    return (
        await session.execute(
            select(StreamCursor.cursor_at).where(
                StreamCursor.integration_id == integration_id, StreamCursor.stream == stream
            )
        )
    ).scalar_one_or_none()


def lookback(integration: Integration) -> timedelta:
    minutes = integration.settings.get("syncLookbackMinutes")
    return timedelta(minutes=float(minutes)) if isinstance(minutes, int | float) and minutes >= 0 else DEFAULT_LOOKBACK


async def start_run(session: AsyncSession, workspace_id: str, integration_id: str, request: RunRequest) -> SyncRun:
    """Create the run and defer its job in one transaction; one active run per integration and stream."""
    run = await add_run(session, workspace_id, integration_id, request)
    await session.commit()
    return run


async def add_run(session: AsyncSession, workspace_id: str, integration_id: str, request: RunRequest) -> SyncRun:
    """The run and its job in the caller's transaction, uncommitted: both appear when the caller commits."""
    integration = await get_integration(session, workspace_id, integration_id)
    provider = get_provider(integration.provider)
    if integration.status == "disabled":
        raise ConfigurationError(
            f"integration '{integration.name}' is disabled; enable it to sync", {"integrationId": integration.id}
        )
    available = connector_class(provider).stream_names
    if request.stream not in available:
        raise ConfigurationError(
            f"{provider.name} has no '{request.stream}' stream",
            {"stream": request.stream, "available": list(available)},
        )
    since = request.since
    sync_type = request.sync_type
    if sync_type == "incremental" and since is None:
        cursor = await _cursor(session, integration.id, request.stream)
        if cursor is None:
            sync_type = "full"  # nothing synced yet: the first incremental run reads everything
        else:
            since = cursor - lookback(integration)
    run = SyncRun(
        id=new_id("sync"),
        workspace_id=workspace_id,
        integration_id=integration.id,
        stream=request.stream,
        sync_type=sync_type,
        status="queued",
        trigger=request.trigger,
        retry_of=request.retry_of,
        window={
            "since": since.isoformat() if since else None,
            "until": request.until.isoformat() if request.until else None,
            "filters": request.filters,
            "pageSize": request.page_size,
        },
    )
    integration_id = integration.id  # the rollback below expires the loaded objects
    session.add(run)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        active = (
            await session.execute(
                select(SyncRun.id).where(
                    SyncRun.integration_id == integration_id,
                    SyncRun.stream == request.stream,
                    SyncRun.status.in_(("queued", "running")),
                )
            )
        ).scalar_one_or_none()
        raise Conflict(
            f"a {request.stream} sync of this integration is already in progress",
            {"syncId": active, "stream": request.stream},
        ) from None
    await defer_in_transaction(
        session,
        SYNC_TASK,
        args={"run_id": run.id},
        queue=SYNC_QUEUE,
        lock=request.lock or job_lock(integration.id, request.stream),
    )
    return run


async def get_run(session: AsyncSession, workspace_id: str, run_id: str) -> SyncRun:
    run = (
        await session.execute(select(SyncRun).where(SyncRun.id == run_id, SyncRun.workspace_id == workspace_id))
    ).scalar_one_or_none()
    if run is None:
        raise NotFound(f"sync run '{run_id}' not found", {"id": run_id})
    return run


async def list_runs(
    session: AsyncSession,
    workspace_id: str,
    *,
    offset: int,
    limit: int,
    integration_id: str | None = None,
    status: str | None = None,
) -> tuple[list[SyncRun], int]:
    query = select(SyncRun).where(SyncRun.workspace_id == workspace_id)
    if integration_id:
        query = query.where(SyncRun.integration_id == integration_id)
    if status:
        query = query.where(SyncRun.status == status)
    return await fetch_page(session, query, order_by=SyncRun.id.desc(), offset=offset, limit=limit)


async def recent_errors(session: AsyncSession, run_id: str, limit: int = 20) -> list[SyncItemError]:
    return list(
        (
            await session.execute(
                select(SyncItemError)
                .where(SyncItemError.sync_run_id == run_id)
                .order_by(SyncItemError.occurred_at.desc())
                .limit(limit)
            )
        ).scalars()
    )
