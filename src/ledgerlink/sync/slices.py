"""A large run cut into slices: ranges of upstream updated-at that several workers read and write at once.

One worker reads, maps and writes a run's pages in one process, on one core. A first sync of a large
store would use one core of one machine however many workers wait. So, when a run's stream can say
where to cut it (`Stream.cut`) and the run is large enough, its window is cut into slices of about
equal size, [since, cut 1), [cut 1, cut 2), … [last cut, until), each a row (`sync_run_slices`) with
its own resume token, and a job is queued for each slice beyond the first. Whoever runs one of the
run's jobs takes any slice no one holds (a session advisory lock: a worker that dies lets go of it),
reads and writes it page by page as an uncut run is, and takes the next; whoever completes the last
slice finishes the run.

What holds for an uncut run holds for each slice: a batch's records, item errors, counters and the
slice's token commit together, so a slice picked up again continues from its last committed batch.
The stream cursor moves once, when the run succeeds, to the newest record the run committed: slices
commit out of order, so no single batch may say everything before it has been read.
"""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import pairwise
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from ledgerlink.connectors.framework.stream import Cuts
from ledgerlink.connectors.framework.window import SyncWindow
from ledgerlink.db import advisory
from ledgerlink.models import SyncRun, SyncRunSlice


def worker_name() -> str:
    """Who takes a slice, as its row says: this host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Slice:
    run_id: str
    position: int
    since: datetime | None
    until: datetime | None
    token: dict[str, Any] | None

    def window(self, whole: SyncWindow) -> SyncWindow:
        """The run's window narrowed to this slice (the first starts where the run does, the last ends
        where it does)."""
        return replace(
            whole,
            since=self.since if self.since is not None else whole.since,
            until=self.until if self.until is not None else whole.until,
        )


def bounds(cuts: Cuts) -> list[tuple[datetime | None, datetime | None]]:
    """[since, until) of each slice; None is the run's own bound."""
    edges: list[datetime | None] = [None, *cuts.at, None]
    return list(pairwise(edges))


async def is_cut(session: AsyncSession | AsyncConnection, run_id: str) -> bool:
    found = await session.execute(select(SyncRunSlice.position).where(SyncRunSlice.sync_run_id == run_id).limit(1))
    return found.first() is not None


async def save_cuts(session: AsyncSession, run_id: str, cuts: Cuts) -> int:
    """The run's slices, in the caller's transaction (which holds the run's row lock): how many, or 0
    when another worker cut it first."""
    if await is_cut(session, run_id):
        return 0
    parts = bounds(cuts)
    session.add_all(
        SyncRunSlice(sync_run_id=run_id, position=n, since=since, until=until, token=None, done=False)
        for n, (since, until) in enumerate(parts)
    )
    await session.execute(update(SyncRun).where(SyncRun.id == run_id).values(to_process=cuts.total))
    return len(parts)


LOCK_PREFIX = "sync-slice"


def slice_name(run_id: str, position: int) -> str:
    """The slice's name for its locks: its advisory lock here, its job's queueing lock, its writes'."""
    return f"{LOCK_PREFIX}:{run_id}:{position}"


_SLICE = (SyncRunSlice.position, SyncRunSlice.since, SyncRunSlice.until, SyncRunSlice.token)
_OPEN = select(*_SLICE).where(SyncRunSlice.done.is_(False))


@asynccontextmanager
async def held(conn: AsyncConnection, run_id: str) -> AsyncIterator[Slice | None]:
    """A slice of the run that is not done and no one else holds, held (by `conn`'s session) for the
    block and marked as this worker's; None when there is none."""
    open_positions = list(
        (
            await conn.execute(
                _OPEN.with_only_columns(SyncRunSlice.position)
                .where(SyncRunSlice.sync_run_id == run_id)
                .order_by(SyncRunSlice.position)
            )
        ).scalars()
    )
    await conn.commit()
    for position in open_positions:
        if not await advisory.try_lock(conn, slice_name(run_id, position)):
            continue
        try:
            # Completed between the listing and the lock? Then it is not ours to read.
            this = (SyncRunSlice.sync_run_id == run_id, SyncRunSlice.position == position)
            taken = (
                update(SyncRunSlice)
                .where(*this, SyncRunSlice.done.is_(False))
                .values(taken_by=worker_name())
                .returning(*_SLICE)
            )
            row = (await conn.execute(taken)).first()
            await conn.commit()
            if row is not None:
                yield Slice(run_id, row.position, row.since, row.until, row.token)
                return
        finally:
            await advisory.unlock(conn, slice_name(run_id, position))
    yield None


# A slice no worker holds: no session has its advisory lock (pg_locks shows a bigint key in two halves).
_ANY_FREE = text(
    """
    SELECT EXISTS (
      SELECT 1 FROM sync_run_slices s
       WHERE s.sync_run_id = :run_id AND NOT s.done
         AND NOT EXISTS (
           SELECT 1 FROM pg_locks l
            WHERE l.locktype = 'advisory' AND l.objsubid = 1
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND ((l.classid::bigint << 32) | l.objid::bigint)
                  = hashtextextended(:prefix || ':' || s.sync_run_id || ':' || s.position, 0)))
    """
)


async def any_free(conn: AsyncConnection, run_id: str) -> bool:
    """Whether a slice of the run is not done and no one holds it (at this moment). It only looks:
    probing by taking each lock in turn made probes running at once see each other's locks, and a
    job then ended ("shared") where it should have been handed on."""
    free = bool((await conn.execute(_ANY_FREE, {"run_id": run_id, "prefix": LOCK_PREFIX})).scalar())
    await conn.commit()
    return free


async def checkpoint(session: AsyncSession, piece: Slice, token: dict[str, Any] | None) -> None:
    await session.execute(
        update(SyncRunSlice)
        .where(SyncRunSlice.sync_run_id == piece.run_id, SyncRunSlice.position == piece.position)
        .values(token=token)
    )


async def complete(session: AsyncSession, piece: Slice) -> int:
    """Mark the slice done, in the caller's transaction (which holds the run's row lock, so that two
    workers completing the last two slices see each other): how many slices are left."""
    await session.execute(
        update(SyncRunSlice)
        .where(SyncRunSlice.sync_run_id == piece.run_id, SyncRunSlice.position == piece.position)
        .values(done=True, token=None)
    )
    return await remaining(session, piece.run_id)


async def remaining(session: AsyncSession | AsyncConnection, run_id: str) -> int:
    left = await session.execute(
        select(func.count())
        .select_from(SyncRunSlice)
        .where(SyncRunSlice.sync_run_id == run_id, SyncRunSlice.done.is_(False))
    )
    return int(left.scalar_one())
