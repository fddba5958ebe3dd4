"""Mapping a page read ahead gives way to I/O between chunks (sync/loader.map_page)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from ledgerlink.canonical import records as rec
from ledgerlink.sync.loader import map_page


class Counting:
    """A stream whose records map to locations; counts the mappings, and calls `on_first` at the
    first one (to have a socket become readable while a chunk is mapped)."""

    name = "locations"
    resource_type = "location"

    def __init__(self, on_first: Callable[[], Any]) -> None:
        self.mapped = 0
        self.on_first = on_first

    def external_id(self, raw: Any) -> str:
        return str(raw)

    def updated_at(self, raw: Any) -> datetime | None:
        return datetime(2024, 1, 1, tzinfo=UTC)

    def map(self, raw: Any) -> rec.Location:
        if self.mapped == 0:
            self.on_first()
        self.mapped += 1
        return rec.Location(external_id=str(raw), name=f"Location {raw}")


async def _mapped_before_the_writer_ran() -> int:
    """The database driver's way to wait (psycopg's wait_async): a socket callback resolves a future
    the writer task awaits. How many records were mapped when the writer got its turn?"""
    loop = asyncio.get_running_loop()
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    answered: asyncio.Future[None] = loop.create_future()
    stream = Counting(lambda: theirs.send(b"x"))

    def readable() -> None:
        loop.remove_reader(ours)
        if not answered.done():
            answered.set_result(None)

    async def writer() -> int:
        await answered
        return stream.mapped

    loop.add_reader(ours, readable)
    waiting = asyncio.create_task(writer())
    try:
        await asyncio.sleep(0)  # the writer is waiting on its future
        mapped = await map_page(stream, list(range(40)), chunk=8)
        assert len(mapped.items) == 40
        return await waiting
    finally:
        loop.remove_reader(ours)
        ours.close()
        theirs.close()


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_a_task_io_wakes_during_a_chunk_runs_before_the_next_chunk(loop: str) -> None:
    factory = None
    if loop == "uvloop":
        uvloop = pytest.importorskip("uvloop")
        factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        assert runner.run(_mapped_before_the_writer_ran()) == 8  # not 16: it did not wait for another chunk
