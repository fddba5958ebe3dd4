"""Write transactions that overlap but commit in order (sync/ordered_writes.py), on the real database."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.ids import new_id
from ledgerlink.runtime import Runtime
from ledgerlink.sync.ordered_writes import OrderedWrites, Turn


@pytest.fixture
async def table(runtime: Runtime) -> AsyncIterator[str]:
    name = f"ordered_{new_id('job').split('_')[1]}"
    async with runtime.engine.begin() as conn:
        await conn.execute(text(f"CREATE TABLE {name} (k text PRIMARY KEY, n int NOT NULL)"))
        await conn.execute(text(f"INSERT INTO {name} VALUES ('a', 0), ('b', 0)"))
    yield name
    async with runtime.engine.begin() as conn:
        await conn.execute(text(f"DROP TABLE {name}"))


async def _rows(runtime: Runtime, table: str) -> dict[str, int]:
    async with runtime.engine.connect() as conn:
        return {k: n for k, n in await conn.execute(text(f"SELECT k, n FROM {table}"))}


async def _add(session: AsyncSession, table: str, key: str, n: int) -> None:
    await session.execute(
        text(f"INSERT INTO {table} VALUES (:k, :n) ON CONFLICT (k) DO UPDATE SET n = {table}.n + :n"),
        {"k": key, "n": n},
    )


async def test_the_next_write_works_while_the_one_before_it_is_open_and_commits_after_it(
    runtime: Runtime, table: str
) -> None:
    second_started = asyncio.Event()
    seen_by_second: list[dict[str, int]] = []

    async def first(session: AsyncSession, turn: Turn) -> None:
        await _add(session, table, "first", 1)
        # Still open, and the second write is at work meanwhile (with one at a time this would time out).
        await asyncio.wait_for(second_started.wait(), 5)
        await asyncio.sleep(0.1)

    async def second(session: AsyncSession, turn: Turn) -> None:
        await _add(session, table, "second", 1)
        second_started.set()
        await turn()
        # Its turn comes once the first has committed: a statement now sees the first's row.
        seen_by_second.append({k: n for k, n in await session.execute(text(f"SELECT k, n FROM {table}"))})

    async with OrderedWrites(runtime.sessions, f"test:{table}") as writes:
        await writes.submit(first)
        await writes.submit(second)
    assert seen_by_second == [{"a": 0, "b": 0, "first": 1, "second": 1}]
    assert await _rows(runtime, table) == {"a": 0, "b": 0, "first": 1, "second": 1}


async def test_a_write_that_never_asks_for_its_turn_still_commits_after_the_one_before_it(
    runtime: Runtime, table: str
) -> None:
    quick_done = asyncio.Event()

    async def slow(session: AsyncSession, turn: Turn) -> None:
        await _add(session, table, "slow", 1)
        await asyncio.wait_for(quick_done.wait(), 5)
        await asyncio.sleep(0.2)
        # The quick one's work is done, yet nothing of it is committed while this one is open.
        assert await _rows(runtime, table) == {"a": 0, "b": 0}

    async def quick(session: AsyncSession, turn: Turn) -> None:
        await _add(session, table, "quick", 1)
        quick_done.set()

    async with OrderedWrites(runtime.sessions, f"test:{table}") as writes:
        await writes.submit(slow)
        await writes.submit(quick)
    assert await _rows(runtime, table) == {"a": 0, "b": 0, "slow": 1, "quick": 1}


async def test_a_failed_write_rolls_back_the_one_after_it_and_is_raised(runtime: Runtime, table: str) -> None:
    second_wrote = asyncio.Event()

    async def failing(session: AsyncSession, turn: Turn) -> None:
        await _add(session, table, "first", 1)
        await asyncio.wait_for(second_wrote.wait(), 5)
        raise RuntimeError("the first write broke")

    async def second(session: AsyncSession, turn: Turn) -> None:
        await _add(session, table, "second", 1)
        second_wrote.set()
        await turn()

    with pytest.raises(RuntimeError, match="the first write broke"):
        async with OrderedWrites(runtime.sessions, f"test:{table}") as writes:
            await writes.submit(failing)
            await writes.submit(second)
    # Nothing of either: the second finished its work first, but may not commit before the first.
    assert await _rows(runtime, table) == {"a": 0, "b": 0}


async def test_a_deadlock_between_two_writes_is_broken_and_both_are_written_once_in_order(
    runtime: Runtime, table: str
) -> None:
    """The second write holds a row the first needs, then waits for its turn (the first's commit): a
    cycle PostgreSQL sees and breaks. What it aborted is written again, and both count exactly once."""
    second_holds_b = asyncio.Event()
    attempts: list[str] = []

    async def first(session: AsyncSession, turn: Turn) -> None:
        attempts.append("first")
        await _add(session, table, "a", 1)
        if attempts.count("first") == 1:  # its first attempt, though the second may have begun before it
            await asyncio.wait_for(second_holds_b.wait(), 5)
        await _add(session, table, "b", 1)  # waits for the second, which waits for this one

    async def second(session: AsyncSession, turn: Turn) -> None:
        attempts.append("second")
        await _add(session, table, "b", 10)
        second_holds_b.set()
        await turn()
        await _add(session, table, "a", 10)

    async def both() -> None:
        async with OrderedWrites(runtime.sessions, f"test:{table}") as writes:
            await writes.submit(first)
            await writes.submit(second)

    # A wait PostgreSQL cannot see would hang here for good (deadlock_timeout is 1 s by default).
    await asyncio.wait_for(both(), 30)
    assert await _rows(runtime, table) == {"a": 11, "b": 11}
    # Both began (either may reach its work first: each waits for a connection of its own), and whichever
    # PostgreSQL aborted is written again, and so is every write after it, in order.
    assert sorted(attempts[:2]) == ["first", "second"]
    assert attempts[2:] in (["first", "second"], ["second"])


class _SlowFirstBegin:
    """The runtime's sessions, but the first transaction begins late (a connection slow to open)."""

    def __init__(self, runtime: Runtime, delay: float) -> None:
        self.runtime, self.delay, self.begun = runtime, delay, 0

    @contextlib.asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncSession]:
        self.begun += 1
        if self.begun == 1:
            await asyncio.sleep(self.delay)
        async with self.runtime.sessions.begin() as session:
            yield session


async def test_a_write_waits_for_its_predecessor_to_begin_before_its_turn(runtime: Runtime, table: str) -> None:
    """The second write reaches its turn before the first has even begun, holding a row the first will
    need. Its wait must still be one PostgreSQL sees (the first's lock, once taken), or the cycle that
    follows would hang for good."""

    async def first(session: AsyncSession, turn: Turn) -> None:
        await _add(session, table, "a", 1)
        await _add(session, table, "b", 1)  # the second holds it until the first commits

    async def second(session: AsyncSession, turn: Turn) -> None:
        await _add(session, table, "b", 10)
        await turn()
        await _add(session, table, "a", 10)

    async def both() -> None:
        async with OrderedWrites(_SlowFirstBegin(runtime, 0.3), f"test:{table}") as writes:  # type: ignore[arg-type]
            await writes.submit(first)
            await writes.submit(second)

    await asyncio.wait_for(both(), 15)
    assert await _rows(runtime, table) == {"a": 11, "b": 11}


async def test_at_most_depth_writes_are_open_at_once(runtime: Runtime, table: str) -> None:
    open_now, most = 0, 0

    async def write(session: AsyncSession, turn: Turn) -> None:
        nonlocal open_now, most
        open_now += 1
        most = max(most, open_now)
        await asyncio.sleep(0.02)
        await turn()
        open_now -= 1

    async with OrderedWrites(runtime.sessions, f"test:{table}", depth=2) as writes:
        for _ in range(6):
            await writes.submit(write)
    assert most == 2
