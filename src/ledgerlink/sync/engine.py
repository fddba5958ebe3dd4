"""Executing a sync run: read pages, write them in batches, checkpoint, repeat; resumable at every batch.

Each batch (consecutive pages, about `batchSize` records) is one transaction: its records, its item
errors, the run's counters and resume token, and (for runs that cover "everything since") the stream's
cursor. Batches overlap but commit in order (sync/ordered_writes.py), so the cursor moves only with the
pages it covers, and a run picked up again after a crash continues from the last committed batch
with nothing lost or doubled. A stream read newest first declares `cursor_on_success_only`: its
cursor moves once, when the run ends well, to the run's high-water mark (a run failing after its first
page must not make the next one skip everything older).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.connectors.framework.stream import Page, cursor_on_success_only
from ledgerlink.connectors.framework.window import SyncWindow
from ledgerlink.connectors.registry import get_provider
from ledgerlink.db.statistics import StatisticsKeeper
from ledgerlink.errors import LedgerlinkError
from ledgerlink.events import emit
from ledgerlink.ids import new_id
from ledgerlink.integrations.connectors import connector_for
from ledgerlink.models import Integration, StreamCursor, SyncItemError, SyncRun
from ledgerlink.runtime import Runtime
from ledgerlink.sync.context import LoadContext, LoadResult
from ledgerlink.sync.loader import MappedPage, map_page, write_items
from ledgerlink.sync.ordered_writes import OrderedWrites, Turn, Write
from ledgerlink.sync.readahead import Batch, ReadAhead
from ledgerlink.sync.retry import RetryStream, settle_source_errors

log = logging.getLogger(__name__)

FINISHED = ("succeeded", "completed_with_errors", "failed", "cancelled")
# Write transactions of one run at work at once (sync/ordered_writes.py): the next batch is written while
# the database finishes the one before it.
WRITES_IN_FLIGHT = 2


def window_of(run: SyncRun) -> SyncWindow:
    w = run.window or {}
    return SyncWindow(
        since=datetime.fromisoformat(w["since"]) if w.get("since") else None,
        until=datetime.fromisoformat(w["until"]) if w.get("until") else None,
        filters=w.get("filters") or {},
        page_size=int(w.get("pageSize") or 100),
    )


def moves_cursor(run: SyncRun) -> bool:
    """Only a run that reads everything from its start onwards may say where the next one starts."""
    w = run.window or {}
    return run.sync_type in ("full", "incremental") and not w.get("until") and not w.get("filters")


async def _claim(runtime: Runtime, run_id: str) -> tuple[SyncRun, Integration] | None:
    async with runtime.sessions.begin() as session:
        run = (
            await session.execute(select(SyncRun).where(SyncRun.id == run_id).with_for_update())
        ).scalar_one_or_none()
        if run is None or run.status in FINISHED:
            return None
        integration = await session.get(Integration, run.integration_id)
        if integration is None:
            return None
        run.status = "running"
        run.attempts += 1
        run.started_at = run.started_at or datetime.now(UTC)
        run.heartbeat_at = datetime.now(UTC)
        return run, integration


async def _record_errors(session: Any, run: SyncRun, resource_type: str, result: LoadResult) -> None:
    if not result.errors:
        return
    rows = [
        {
            "id": new_id("sie"),
            "workspace_id": run.workspace_id,
            "sync_run_id": run.id,
            "integration_id": run.integration_id,
            "stream": run.stream,
            "resource_type": resource_type,
            "external_id": e.external_id,
            "error_type": e.error_type,
            "message": e.message,
        }
        for e in result.errors
    ]
    stmt = insert(SyncItemError.__table__).values(rows)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["sync_run_id", "resource_type", "external_id"],
            set_={
                "message": stmt.excluded.message,
                "error_type": stmt.excluded.error_type,
                "retries": SyncItemError.__table__.c.retries + 1,
                "occurred_at": func.now(),
            },
        )
    )


async def _checkpoint(
    session: Any,
    run: SyncRun,
    result: LoadResult,
    newest: datetime | None,
    token: dict[str, Any] | None,
    to_process: int | None,
    cursor_per_page: bool = True,
    pages: int = 1,
) -> None:
    values: dict[str, Any] = {
        "processed": SyncRun.processed + result.processed,
        "created": SyncRun.created + result.created,
        "updated": SyncRun.updated + result.updated,
        "unchanged": SyncRun.unchanged + result.unchanged,
        "failed": SyncRun.failed + result.failed,
        "pages": SyncRun.pages + pages,
        "token": token,
        "heartbeat_at": func.now(),
    }
    if newest is not None:
        values["high_water"] = func.greatest(SyncRun.high_water, newest)
    if to_process is not None:
        values["to_process"] = to_process
    await session.execute(update(SyncRun).where(SyncRun.id == run.id).values(**values))
    if newest is not None and moves_cursor(run) and cursor_per_page:
        await _move_cursor(session, run, newest)


async def _move_cursor(session: Any, run: SyncRun, to: datetime) -> None:
    stmt = insert(StreamCursor.__table__).values(
        workspace_id=run.workspace_id,
        integration_id=run.integration_id,
        stream=run.stream,
        cursor_at=to,
        last_run_id=run.id,
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["integration_id", "stream"],
            set_={
                "cursor_at": func.greatest(StreamCursor.__table__.c.cursor_at, to),
                "last_run_id": run.id,
                "updated_at": func.now(),
            },
        )
    )


async def _finish(
    runtime: Runtime,
    run_id: str,
    status: str,
    code: str | None = None,
    message: str | None = None,
    cursor_at_end: bool = False,
) -> None:
    async with runtime.sessions.begin() as session:
        run = (
            await session.execute(select(SyncRun).where(SyncRun.id == run_id).with_for_update())
        ).scalar_one_or_none()
        if run is None or run.status in FINISHED:  # finished elsewhere, or its integration was removed
            return
        if status == "succeeded" and cursor_at_end and run.high_water is not None and moves_cursor(run):
            await _move_cursor(session, run, run.high_water)  # everything up to it has been read
        if status == "succeeded" and run.failed:
            status = "completed_with_errors"
        run.status, run.error_code, run.error_message = status, code, message
        run.finished_at = datetime.now(UTC)
        run.token = None
        integration = await session.get(Integration, run.integration_id)
        # A token refresh the upstream refused has already flagged it `needs_reauth`, once (upstream/tokens.py).
        if integration is not None and code == "AUTH_FAILED" and integration.status != "needs_reauth":
            # Retrying cannot help until someone fixes the credentials: say so once, loudly.
            integration.status, integration.last_error = "error", message
            emit(
                session,
                workspace_id=run.workspace_id,
                type="integration.error",
                source=integration.provider,
                integration_id=integration.id,
                subject_id=integration.id,
                data={"integrationId": integration.id, "code": code, "message": message, "syncId": run.id},
            )
        emit(
            session,
            workspace_id=run.workspace_id,
            type="sync.failed" if status == "failed" else "sync.completed",
            source=integration.provider if integration else "ledgerlink",
            integration_id=run.integration_id,
            subject_id=run.id,
            data=run_summary(run),
        )


def run_summary(run: SyncRun) -> dict[str, Any]:
    return {
        "syncId": run.id,
        "integrationId": run.integration_id,
        "stream": run.stream,
        "status": run.status,
        "processed": run.processed,
        "created": run.created,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "failed": run.failed,
        "errorCode": run.error_code,
    }


def _batch_writer(
    run: SyncRun, ctx: LoadContext, stream: Any, window: SyncWindow, cursor_at_end: bool, batch: Batch
) -> Write:
    """A batch's transaction: its records, then (in its turn, after the batches before it) its item
    errors, the run's counters and token, and the stream's cursor."""
    attempted = [i for read in batch.reads for i in RetryStream.batch(window, read.token)[0]] if run.retry_of else []

    async def write(session: AsyncSession, turn: Turn) -> None:
        result = batch.unmapped
        result.merge(await write_items(session, ctx, stream.resource_type, batch.items))
        await turn()
        await _record_errors(session, run, stream.resource_type, result)
        await _checkpoint(
            session,
            run,
            result,
            batch.newest,
            batch.last.next_token,
            batch.total,
            not cursor_at_end,
            pages=len(batch.reads),
        )
        if run.retry_of:
            await settle_source_errors(session, run.retry_of, attempted, result)

    return write


async def execute_run(runtime: Runtime, run_id: str) -> str:
    """Run (or resume) `run_id` to its end; returns the final status. Upstream and data failures land
    on the run row; anything else is raised for the job's retry. Whoever holds the run's advisory
    lock executes it; anyone else (a duplicate job, a CLI) returns "busy" at once."""
    async with runtime.engine.connect() as lock_conn:
        key = {"key": f"sync-run:{run_id}"}
        got = (await lock_conn.execute(text("SELECT pg_try_advisory_lock(hashtextextended(:key, 0))"), key)).scalar()
        await lock_conn.commit()
        if not got:
            return "busy"
        try:
            return await _execute(runtime, run_id)
        finally:
            await lock_conn.execute(text("SELECT pg_advisory_unlock(hashtextextended(:key, 0))"), key)
            await lock_conn.commit()


async def _execute(runtime: Runtime, run_id: str) -> str:
    claimed = await _claim(runtime, run_id)
    if claimed is None:
        return "skipped"
    run, integration = claimed
    provider = get_provider(integration.provider)
    connector = connector_for(runtime, integration)
    stream = connector.streams[run.stream]
    if run.sync_type == "retry":
        stream = RetryStream(connector, stream)
    window = window_of(run)
    ctx = LoadContext(run.workspace_id, integration.id, provider.id, dict(integration.settings), run_id=run.id)
    cursor_at_end = cursor_on_success_only(stream)
    token = run.token
    statistics = StatisticsKeeper(runtime.engine)
    try:
        async with connector.client() as client:

            async def read(at: dict[str, Any] | None) -> Page:
                return await stream.read_page(client, window, at)

            async def mapped(page: Page) -> MappedPage:
                return await map_page(stream, page.records)

            # Pages are read and mapped while the batches before them are written, and a batch's
            # transaction starts while the one before it is still at work (committing after it): upstream,
            # hub and database work at once. The reader holds up to two batches (measured quicker than
            # one; memory stays bounded by the batch size). Only what is committed is checkpointed, so a
            # crash re-reads from there.
            ahead = ReadAhead(read, mapped, token, limit=2 * window.page_size)
            try:
                async with OrderedWrites(runtime.sessions, f"sync-run:{run_id}", WRITES_IN_FLIGHT) as writes:
                    while True:
                        batch = await ahead.take(window.page_size, whole=True)
                        await writes.submit(_batch_writer(run, ctx, stream, window, cursor_at_end, batch))
                        await statistics.after_write()  # a first sync grows tables faster than autovacuum looks
                        if batch.last.next_token is None:
                            break
            finally:
                await ahead.aclose()
    except LedgerlinkError as exc:
        log.warning("sync run failed", extra={"sync_id": run_id, "code": exc.code, "error": exc.message})
        await _finish(runtime, run_id, "failed", exc.code, exc.message)
        return "failed"
    await _finish(runtime, run_id, "succeeded", cursor_at_end=cursor_at_end)
    return "succeeded"
