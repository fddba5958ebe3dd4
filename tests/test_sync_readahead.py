"""Pages read ahead of the writer and handed over as write batches (sync/readahead.py)."""

from __future__ import annotations

import asyncio

import pytest

from ledgerlink.connectors.framework.stream import Page
from ledgerlink.errors import UpstreamUnavailable
from ledgerlink.sync.context import LoadResult
from ledgerlink.sync.loader import MappedPage
from ledgerlink.sync.readahead import ReadAhead


class Upstream:
    """`pages` pages of `size` records; `fail_at` raises instead of serving that page."""

    def __init__(self, pages: int, size: int, fail_at: int | None = None) -> None:
        self.pages, self.size, self.fail_at = pages, size, fail_at
        self.served = 0

    async def read(self, token: dict | None) -> tuple[Page, MappedPage]:
        n = (token or {}).get("page", 0)
        await asyncio.sleep(0)
        if n == self.fail_at:
            raise UpstreamUnavailable("the store went away")
        self.served += 1
        records = [f"{n}-{i}" for i in range(self.size)]
        nxt = {"page": n + 1} if n + 1 < self.pages else None
        return Page(records, nxt, self.pages * self.size), MappedPage([], LoadResult(), None)


async def _drain(ahead: ReadAhead) -> list[list[int]]:
    batches = []
    while True:
        batch = await ahead.take()
        batches.append([(r.token or {}).get("page", 0) for r in batch.reads])
        if batch.last.next_token is None:
            return batches


async def test_pages_read_while_a_batch_is_written_are_taken_together_up_to_the_limit() -> None:
    upstream = Upstream(pages=10, size=100)
    ahead = ReadAhead(upstream.read, None, limit=250)
    try:
        first = await ahead.take()
        assert [r.page.records[0] for r in first.reads] == ["0-0"]  # the first page is not kept waiting
        await asyncio.sleep(0.05)  # "writing": the reader goes on meanwhile, and stops at the limit
        assert upstream.served == 4  # pages 1-3 held (300 records >= 250), nothing more
        rest = await _drain(ahead)
    finally:
        await ahead.aclose()
    assert rest[0] == [1, 2, 3]  # one transaction for three upstream pages
    assert [p for b in rest for p in b] == list(range(1, 10))  # every page once, in order
    assert all(len(b) * 100 < 250 + 100 for b in rest)  # never more than the limit plus a page


async def test_a_failed_read_is_raised_after_the_pages_before_it() -> None:
    ahead = ReadAhead(Upstream(pages=10, size=10, fail_at=3).read, None, limit=1000)
    try:
        await asyncio.sleep(0.05)
        batch = await ahead.take()
        assert [(r.token or {}).get("page", 0) for r in batch.reads] == [0, 1, 2]
        with pytest.raises(UpstreamUnavailable):
            await ahead.take()
    finally:
        await ahead.aclose()


async def test_the_reader_may_hold_more_than_a_batch() -> None:
    upstream = Upstream(pages=10, size=100)
    ahead = ReadAhead(upstream.read, None, limit=500)
    try:
        await asyncio.sleep(0.05)
        assert upstream.served == 5  # held 500 records, then waited
        batch = await ahead.take(250)
        assert [r.page.records[0] for r in batch.reads] == ["0-0", "1-0", "2-0"]  # a batch is its own size
        await asyncio.sleep(0.05)
        assert upstream.served == 8  # room for three more pages
    finally:
        await ahead.aclose()


async def test_closing_stops_the_reader() -> None:
    upstream = Upstream(pages=1000, size=10)
    ahead = ReadAhead(upstream.read, None, limit=30)
    await ahead.take()
    await ahead.aclose()
    served = upstream.served
    await asyncio.sleep(0.02)
    assert upstream.served == served <= 5
