"""Executing a sync run: read pages, write them in batches, checkpoint, repeat; resumable at every batch.

Each batch (consecutive pages, about `batchSize` records) is one transaction: its records, its item
errors, the run's counters and resume token, and (for runs that cover "everything since") the stream's
cursor. Batches overlap but commit in order (sync/ordered_writes.py), so the cursor moves only with the
pages it covers, and a run picked up again after a crash continues from the last committed batch
with nothing lost or doubled. A stream read newest first declares `cursor_on_success_only`: its
cursor moves once, when the run ends well, to the run's high-water mark (a run failing after its first
page must not make the next one skip everything older).

A large run is cut into slices that several workers read and write at once (sync/slices.py); each
slice is read and written as an uncut run is, its token on its slice, and the cursor moves at the end.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.connectors.framework.stream import Page, can_cut, cursor_on_success_only
from ledgerlink.connectors.framework.window import SyncWindow
from ledgerlink.connectors.registry import get_provider
from ledgerlink.db import advisory
from ledgerlink.db.statistics import StatisticsKeeper
from ledgerlink.errors import LedgerlinkError
from ledgerlink.events import emit
from ledgerlink.ids import new_id
from ledgerlink.integrations.connectors import connector_for
from ledgerlink.jobs.defer import defer_in_transaction
from ledgerlink.models import Integration, StreamCursor, SyncItemError, SyncRun
from ledgerlink.runtime import Runtime
from ledgerlink.sync import slices
from ledgerlink.sync.context import LoadContext, LoadResult
from ledgerlink.sync.loader import MappedPage, map_page, write_items
from ledgerlink.sync.ordered_writes import OrderedWrites, Turn, Write
from ledgerlink.sync.readahead import Batch, ReadAhead
from ledgerlink.sync.retry import RetryStream, settle_source_errors
from ledgerlink.sync.runs import SYNC_QUEUE, SYNC_TASK
from ledgerlink.sync.slices import Slice

log = logging.getLogger(__name__)

FINISHED = ("succeeded", "completed_with_errors", "failed", "cancelled")
# Write transactions of one run at work at once (sync/ordered_writes.py): the next batch is written while
# the database finishes the one before it.
WRITES_IN_FLIGHT = 2
# How often a job of a cut run is handed on, in search of a process not yet at work on the run.
HAND_ON_LIMIT = 20


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


class RunEnded(Exception):
    """The run was finished elsewhere (a slice failed, it was cancelled) while this worker wrote a slice."""


async def _claim(runtime: Runtime, run_id: str, *, start: bool = True) -> tuple[SyncRun, Integration] | None:
    """The run and its integration, unless the run is over; `start`: mark it running, one more attempt."""
    async with runtime.sessions.begin() as session:
        run = (
            await session.execute(select(SyncRun).where(SyncRun.id == run_id).with_for_update())
        ).scalar_one_or_none()
        if run is None or run.status in FINISHED:
            return None
        integration = await session.get(Integration, run.integration_id)
        if integration is None:
            return None
        if start:
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
    piece: Slice | None = None,
) -> None:
    values: dict[str, Any] = {
        "processed": SyncRun.processed + result.processed,
        "created": SyncRun.created + result.created,
        "updated": SyncRun.updated + result.updated,
        "unchanged": SyncRun.unchanged + result.unchanged,
        "failed": SyncRun.failed + result.failed,
        "pages": SyncRun.pages + pages,
        "heartbeat_at": func.now(),
    }
    if newest is not None:
        values["high_water"] = func.greatest(SyncRun.high_water, newest)
    if to_process is not None:
        values["to_process"] = to_process
    if piece is None:
        await session.execute(update(SyncRun).where(SyncRun.id == run.id).values(token=token, **values))
    else:
        # Other slices may have ended the run meanwhile: then this batch is not the run's to count.
        still = await session.execute(
            update(SyncRun).where(SyncRun.id == run.id, SyncRun.status == "running").values(**values)
        )
        if not still.rowcount:
            raise RunEnded(run.id)
        await slices.checkpoint(session, piece, token)
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
    run: SyncRun,
    ctx: LoadContext,
    stream: Any,
    window: SyncWindow,
    cursor_at_end: bool,
    batch: Batch,
    piece: Slice | None = None,
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
            batch.total if piece is None else None,  # a cut run's size was counted when it was cut
            not cursor_at_end,
            pages=len(batch.reads),
            piece=piece,
        )
        if run.retry_of:
            await settle_source_errors(session, run.retry_of, attempted, result)

    return write


def run_name(run_id: str) -> str:
    """The run's name for its locks: the advisory lock its executor holds, and its writes'."""
    return f"sync-run:{run_id}"


async def execute_run(runtime: Runtime, run_id: str, handed: int = 0) -> str:
    """Run (or resume) `run_id` to its end; returns the final status. Upstream and data failures land
    on the run row; anything else is raised for the job's retry. Whoever holds the run's advisory
    lock executes it; anyone else (a duplicate job, a CLI) returns "busy" at once, unless the run is
    cut into slices: then it takes the slices no one holds ("shared" when others finish the run, and
    "handed on" when this process is at work on the run already and the job went back to the queue
    for another; `handed` counts how often it did)."""
    async with runtime.engine.connect() as lock_conn:
        if not await advisory.try_lock(lock_conn, run_name(run_id)):
            return await _help(runtime, run_id, lock_conn, handed)
        try:
            return await _execute(runtime, run_id, lock_conn, handed)
        finally:
            await advisory.unlock(lock_conn, run_name(run_id))


async def until_finished(runtime: Runtime, run_id: str, poll: float = 0.25) -> str:
    """Wait for a run that other workers are executing (`execute_run` said "busy" or "shared") to end:
    its final status."""
    while True:
        async with runtime.sessions() as session:
            status = (await session.execute(select(SyncRun.status).where(SyncRun.id == run_id))).scalar_one()
        if status in FINISHED:
            return str(status)
        await asyncio.sleep(poll)


class _Work:
    """What reading and writing one run needs, whichever part of it this worker takes."""

    def __init__(self, runtime: Runtime, run: SyncRun, integration: Integration) -> None:
        self.runtime, self.run = runtime, run
        provider = get_provider(integration.provider)
        self.connector = connector_for(runtime, integration)
        stream = self.connector.streams[run.stream]
        self.stream = RetryStream(self.connector, stream) if run.sync_type == "retry" else stream
        self.window = window_of(run)
        self.ctx = LoadContext(run.workspace_id, integration.id, provider.id, dict(integration.settings), run_id=run.id)
        self.statistics = StatisticsKeeper(runtime.engine)

    async def pages(
        self, client: Any, window: SyncWindow, token: dict[str, Any] | None, cursor_at_end: bool, piece: Slice | None
    ) -> None:
        """Read `window` from `token` to its end, writing it batch by batch."""
        stream = self.stream

        async def read(at: dict[str, Any] | None) -> Page:
            return await stream.read_page(client, window, at)

        async def mapped(page: Page) -> MappedPage:
            return await map_page(stream, page.records)

        # Pages are read and mapped while the batches before them are written, and a batch's
        # transaction starts while the one before it is still at work (committing after it): upstream,
        # hub and database work at once. The reader holds up to two batches (measured quicker than
        # one; memory stays bounded by the batch size). Only what is committed is checkpointed, so a
        # crash re-reads from there.
        name = run_name(self.run.id) if piece is None else slices.slice_name(self.run.id, piece.position)
        ahead = ReadAhead(read, mapped, token, limit=2 * window.page_size)
        try:
            async with OrderedWrites(self.runtime.sessions, name, WRITES_IN_FLIGHT) as writes:
                while True:
                    batch = await ahead.take(window.page_size, whole=True)
                    await writes.submit(_batch_writer(self.run, self.ctx, stream, window, cursor_at_end, batch, piece))
                    await self.statistics.after_write()  # a first sync grows tables faster than autovacuum looks
                    if batch.last.next_token is None:
                        break
        finally:
            await ahead.aclose()

    async def cut(self, client: Any) -> bool:
        """Cut the run into slices if it is large enough and its stream can say where; True when it is
        cut (now or before)."""
        run, settings = self.run, self.runtime.settings
        async with self.runtime.sessions() as session:
            if await slices.is_cut(session, run.id):
                return True
        fresh = run.token is None and not run.pages and run.sync_type in ("full", "incremental")
        if not fresh or settings.sync_slices < 2 or not can_cut(self.stream):
            return False
        cuts = await self.stream.cut(client, self.window, settings.sync_slices, settings.sync_slice_records)
        if cuts is None or not cuts.at:
            return False
        async with self.runtime.sessions.begin() as session:
            await session.execute(select(SyncRun.id).where(SyncRun.id == run.id).with_for_update())
            made = await slices.save_cuts(session, run.id, cuts)
            for position in range(1, made):
                # One more job for each further slice, each free to run beside the others.
                await defer_in_transaction(
                    session,
                    SYNC_TASK,
                    args={"run_id": run.id},
                    queue=SYNC_QUEUE,
                    lock=slices.slice_name(run.id, position),
                )
        if made:
            log.info("sync run cut into slices", extra={"sync_id": run.id, "slices": made, "records": cuts.total})
        return True

    async def take_slices(self, client: Any, conn: Any, handed: int) -> str:
        """Take slices no one holds, one at a time, until none is left; the worker completing the last
        finishes the run. A second job of the run in this process leaves them to the first, and goes
        back to the queue while a slice is free: one process writing two slices at once would share one
        core between them while another process idles."""
        run_id = self.run.id
        if run_id in self.runtime.slicing:
            return await _leave_to_others(self.runtime, run_id, conn, handed)
        self.runtime.slicing.add(run_id)
        try:
            return await self._take_slices(client, conn)
        finally:
            self.runtime.slicing.discard(run_id)

    async def _take_slices(self, client: Any, conn: Any) -> str:
        run_id = self.run.id
        while True:
            async with slices.held(conn, run_id) as piece:
                if piece is None:
                    break
                try:
                    await self.pages(client, piece.window(self.window), piece.token, True, piece)
                except RunEnded:
                    return "skipped"
                async with self.runtime.sessions.begin() as session:
                    await session.execute(select(SyncRun.id).where(SyncRun.id == run_id).with_for_update())
                    left = await slices.complete(session, piece)
            if left == 0:
                await _finish(self.runtime, run_id, "succeeded", cursor_at_end=True)
                return "succeeded"
        if await slices.remaining(conn, run_id) == 0:
            await conn.commit()
            # Every slice is done but the run is not finished: its last worker died in between.
            await _finish(self.runtime, run_id, "succeeded", cursor_at_end=True)
            return "succeeded"
        await conn.commit()
        return "shared"  # the rest is in other workers' hands


async def _leave_to_others(runtime: Runtime, run_id: str, conn: Any, handed: int) -> str:
    """This process is taking the run's slices already: the job goes back to the queue, for a process
    that is not, while a slice is free ("handed on"); else the run is in other hands ("shared")."""
    if handed >= HAND_ON_LIMIT or not await slices.any_free(conn, run_id):
        return "shared"
    async with runtime.sessions.begin() as session:
        await defer_in_transaction(session, SYNC_TASK, args={"run_id": run_id, "handed": handed + 1}, queue=SYNC_QUEUE)
    return "handed on"


async def _help(runtime: Runtime, run_id: str, conn: Any, handed: int) -> str:
    """Another worker holds the run: take a part of it if it is cut into slices."""
    if run_id in runtime.slicing:  # before building a connector and a client for nothing
        return await _leave_to_others(runtime, run_id, conn, handed)
    cut = await slices.is_cut(conn, run_id)
    await conn.commit()
    if not cut:
        return "busy"
    claimed = await _claim(runtime, run_id, start=False)
    if claimed is None:
        return "skipped"
    return await _attempt(runtime, _Work(runtime, *claimed), conn, handed, cut_first=False)


async def _execute(runtime: Runtime, run_id: str, conn: Any, handed: int) -> str:
    claimed = await _claim(runtime, run_id)
    if claimed is None:
        return "skipped"
    return await _attempt(runtime, _Work(runtime, *claimed), conn, handed, cut_first=True)


async def _attempt(runtime: Runtime, work: _Work, conn: Any, handed: int, *, cut_first: bool) -> str:
    run = work.run
    cursor_at_end = cursor_on_success_only(work.stream)
    try:
        async with work.connector.client() as client:
            if not cut_first or await work.cut(client):
                return await work.take_slices(client, conn, handed)
            await work.pages(client, work.window, run.token, cursor_at_end, None)
    except LedgerlinkError as exc:
        log.warning("sync run failed", extra={"sync_id": run.id, "code": exc.code, "error": exc.message})
        await _finish(runtime, run.id, "failed", exc.code, exc.message)
        return "failed"
    await _finish(runtime, run.id, "succeeded", cursor_at_end=cursor_at_end)
    return "succeeded"
