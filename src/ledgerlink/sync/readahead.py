"""Pages read and mapped ahead of the writer, handed over as write batches of about `batchSize` records.

An upstream's page is often smaller than the batch a run asked for (WooCommerce serves at most 100
records a page, a Shopify page holds as many orders as its query cost allows), and every write
transaction has a fixed cost in the hub and in the database (~25 statements, a commit, a checkpoint).
So the reader runs ahead of the writer, and the writer takes every page already read, up to the batch
size, as one transaction; the engine, which writes two batches at once (sync/ordered_writes.py), waits
for a whole batch's worth (`take(whole=True)`) rather than taking the one page read so far. The reader
holds at most `limit` records it has not handed over (the engine lets it hold two batches: it then
keeps mapping while the writer waits on the database), so memory stays bounded whatever the size of
the run; a batch is never more than its size plus one page.

Nothing about resuming changes: a batch is checkpointed with the token after its last page, so a run
picked up again re-reads from the first page not yet committed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ledgerlink.connectors.framework.stream import Page
from ledgerlink.sync.context import Item, LoadResult
from ledgerlink.sync.loader import MappedPage

Token = dict[str, Any] | None


@dataclass(frozen=True)
class Read:
    token: Token  # what the page was read from (a retry run's batch of ids is named by it)
    page: Page
    mapped: MappedPage


@dataclass
class Batch:
    """Consecutive pages written as one transaction."""

    reads: list[Read]

    @property
    def items(self) -> list[Item]:
        return [item for read in self.reads for item in read.mapped.items]

    @property
    def unmapped(self) -> LoadResult:
        result = LoadResult()
        for read in self.reads:
            result.merge(read.mapped.result)
        return result

    @property
    def newest(self) -> datetime | None:
        return max((r.mapped.newest for r in self.reads if r.mapped.newest is not None), default=None)

    @property
    def last(self) -> Page:
        return self.reads[-1].page

    @property
    def total(self) -> int | None:
        """How many records the whole read covers, as the latest of its pages to say so stated it (an
        upstream says it on the first page only: a batch that starts there must not lose it)."""
        return next((r.page.total for r in reversed(self.reads) if r.page.total is not None), None)


class ReadAhead:
    """Reads pages from `token` on, one after another, with `read`, and maps each with `mapper`: two tasks,
    so the upstream serves the next page while this one is mapped (a page's request otherwise waits for
    its mapping, and the mapping for the request: measured, the hub sat idle a fifth of a sync waiting
    on the store while the writer waited on the database). `take` hands over what has been mapped. A
    failure to read or map is raised by `take` once the pages before it are taken."""

    def __init__(
        self,
        read: Callable[[Token], Awaitable[Page]],
        mapper: Callable[[Page], Awaitable[MappedPage]],
        token: Token,
        limit: int,
    ) -> None:
        self._read, self._map = read, mapper
        self._limit = max(1, limit)
        self._ready: deque[Read] = deque()
        self._held = 0  # records mapped and not yet taken
        self._error: Exception | None = None
        self._changed = asyncio.Condition()
        # One page read and waiting to be mapped, and the request after it in flight: no more.
        self._fetched: asyncio.Queue[tuple[Token, Page] | Exception] = asyncio.Queue(maxsize=1)
        self._tasks = (asyncio.create_task(self._fetch(token)), asyncio.create_task(self._map_each()))

    async def _fetch(self, token: Token) -> None:
        try:
            while True:
                page = await self._read(token)
                await self._fetched.put((token, page))
                if page.next_token is None:
                    return
                token = page.next_token
        except Exception as exc:  # handed on in order, after the pages read before it
            await self._fetched.put(exc)

    async def _map_each(self) -> None:
        try:
            while True:
                fetched = await self._fetched.get()
                if isinstance(fetched, Exception):
                    raise fetched
                token, page = fetched
                mapped = await self._map(page)
                async with self._changed:
                    self._ready.append(Read(token, page, mapped))
                    self._held += len(page.records)
                    self._changed.notify_all()
                    if page.next_token is None:
                        return
                    await self._changed.wait_for(lambda: self._held < self._limit)
        except Exception as exc:  # handed to the writer, in order, by take()
            async with self._changed:
                self._error = exc
                self._changed.notify_all()

    async def take(self, batch: int | None = None, *, whole: bool = False) -> Batch:
        """At least one page (waiting for it), then every page already read while the batch is under
        `batch` records (default: `limit`). `whole`: wait until a batch's worth is read (or the read's
        last page, or its failure) rather than for one page: a writer with transactions to spare would
        otherwise take a page or two at a time, and each transaction costs the same whatever its size."""
        batch = batch or self._limit
        wanted = min(batch, self._limit) if whole else 0
        async with self._changed:
            await self._changed.wait_for(
                lambda: (
                    bool(self._ready and (self._held >= wanted or self._ready[-1].page.next_token is None))
                    or self._error is not None
                )
            )
            if not self._ready:
                assert self._error is not None
                raise self._error
            reads = [self._ready.popleft()]
            size = len(reads[0].page.records)
            while self._ready and size < batch:
                reads.append(self._ready.popleft())
                size += len(reads[-1].page.records)
            self._held -= size
            self._changed.notify_all()
        return Batch(reads)

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
