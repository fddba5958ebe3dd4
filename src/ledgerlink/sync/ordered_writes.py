"""Write transactions that overlap but commit in the order they were started.

A sync's writer spends about half of each batch waiting on the database (its COPYs, their foreign-key
checks, the commit) while the hub has nothing else to do once the reader is two batches ahead:
measured, the hub sat idle ~18% of a sync. So the next batch's transaction starts while the one before
it is still at work, on its own connection, and each waits for its turn only before the part that must
follow the one before it (the run's checkpoint: a resume token and counters must never run ahead of
what is committed).

That wait is a lock PostgreSQL can see. Each transaction first takes a transaction-level advisory
lock of its own (run, sequence number); its turn comes when it can take its predecessor's, that is
when the predecessor has committed or rolled back. (So a transaction starts its work only once its
predecessor holds that lock: asked for earlier, the turn would come at once and the wait fall to the
application.) A wait in the application instead would be a
deadlock PostgreSQL cannot break: the later transaction holding a row the earlier one needs (the same
record twice in a run, an error row) while it waits for the earlier one to commit. Seen by PostgreSQL,
such a cycle is broken by its deadlock detector; the transaction it aborts, and every one after it
(they cannot commit before it), are written again one at a time.

A transaction commits only after its predecessor did: if an earlier write fails, the later ones roll
back, and the failure is raised by the next `submit` or by leaving the block, in order.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger(__name__)

# Its turn: `write` awaits it before what must follow the earlier transactions; the pipeline awaits it
# before committing in any case.
Turn = Callable[[], Awaitable[None]]
Write = Callable[[AsyncSession, Turn], Awaitable[None]]

_MINE = text("SELECT pg_advisory_xact_lock(hashtext(:name), :seq)")
_AFTER = text("SELECT pg_advisory_xact_lock_shared(hashtext(:name), :seq)")
DEADLOCK = "40P01"


class EarlierWriteFailed(Exception):
    """A transaction rolled back because one started before it did not commit."""


def is_deadlock(exc: BaseException) -> bool:
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) == DEADLOCK


@dataclass
class _InFlight:
    write: Write
    seq: int
    task: asyncio.Task[None]
    begun: asyncio.Event  # set once its transaction holds its own lock (or will never take it)


class OrderedWrites:
    """At most `depth` write transactions in flight, named `name` (one sync run), committed in order."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], name: str, depth: int = 2) -> None:
        self._sessions, self._name, self._depth = sessions, name, max(1, depth)
        self._in_flight: deque[_InFlight] = deque()
        self._seq = 0

    async def __aenter__(self) -> OrderedWrites:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        # Whatever ends the block (the last batch, a failed read), what is in flight is finished:
        # batches written before a read failed are kept, checkpoint and all.
        while self._in_flight:
            await self._settle_oldest()

    async def submit(self, write: Write) -> None:
        """Start `write` in its own transaction once fewer than `depth` are in flight. Raises the first
        failure of an earlier write."""
        while len(self._in_flight) >= self._depth:
            await self._settle_oldest()
        self._seq += 1
        before = self._in_flight[-1] if self._in_flight else None
        begun = asyncio.Event()
        task = asyncio.create_task(self._transaction(write, self._seq, before, begun))
        self._in_flight.append(_InFlight(write, self._seq, task, begun))

    async def _transaction(self, write: Write, seq: int, before: _InFlight | None, begun: asyncio.Event) -> None:
        try:
            async with self._sessions.begin() as session:
                await session.execute(_MINE, {"name": self._name, "seq": seq})
                begun.set()
                if before is not None:
                    # Its turn is a wait on the predecessor's lock, which the predecessor takes first
                    # thing; a connection slow to come could let this one ask before it is taken, and
                    # then wait where PostgreSQL cannot see. Nothing of this one is held yet but its
                    # own lock, which the predecessor never waits for.
                    await before.begun.wait()
                await self._work(session, write, before)
        finally:
            begun.set()

    async def _work(self, session: AsyncSession, write: Write, before: _InFlight | None) -> None:
        waited = before is None

        async def turn() -> None:
            nonlocal waited
            if waited:
                return
            waited = True
            assert before is not None
            await session.execute(_AFTER, {"name": self._name, "seq": before.seq})
            # Its predecessor's transaction has ended; whether it committed is its task's outcome.
            try:
                await asyncio.shield(before.task)
            except Exception as exc:
                raise EarlierWriteFailed(f"write {before.seq} of {self._name} did not commit") from exc

        await write(session, turn)
        await turn()

    async def _settle_oldest(self) -> None:
        oldest = self._in_flight.popleft()
        try:
            await oldest.task
            return
        except Exception as exc:
            if not is_deadlock(exc):
                await self._drain_after_failure()
                raise
            log.info(
                "write transactions deadlocked; writing again one at a time",
                extra={"name": self._name, "seq": oldest.seq},
            )
        # The aborted one and every one after it rolled back (none commits before it): again, in order.
        again = [oldest, *self._in_flight]
        self._in_flight.clear()
        await asyncio.gather(*(w.task for w in again[1:]), return_exceptions=True)
        for w in again:
            self._seq += 1
            await self._transaction(w.write, self._seq, None, asyncio.Event())

    async def _drain_after_failure(self) -> None:
        """The later transactions roll back (their turn never comes); wait until they have."""
        later = [w.task for w in self._in_flight]
        self._in_flight.clear()
        for outcome in await asyncio.gather(*later, return_exceptions=True):
            if isinstance(outcome, BaseException) and not isinstance(outcome, EarlierWriteFailed):
                log.warning("write rolled back after an earlier one failed", exc_info=outcome)
