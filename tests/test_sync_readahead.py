"""Pages read ahead of the writer and handed over as write batches (sync/readahead.py)."""

from __future__ import annotations

import asyncio

import pytest

from ledgerlink.connectors.framework.stream import Page
from ledgerlink.errors import UpstreamUnavailable
from ledgerlink.sync.context import LoadResult
from ledgerlink.sync.loader import MappedPage
from ledgerlink.sync.readahead import Batch, Read, ReadAhead


class Upstream:
    """`pages` pages of `size` records; `fail_at` raises instead of serving that page."""

    def __init__(self, pages: int, size: int, fail_at: int | None = None) -> None:
        self.pages, self.size, self.fail_at = pages, size, fail_at
        self.served = 0

    async def read(self, token: dict | None) -> Page:
        n = (token or {}).get("page", 0)
        await asyncio.sleep(0)
        if n == self.fail_at:
            raise UpstreamUnavailable("the store went away")
        self.served += 1
        records = [f"{n}-{i}" for i in range(self.size)]
        nxt = {"page": n + 1} if n + 1 < self.pages else None
        return Page(records, nxt, self.pages * self.size)

    async def map(self, page: Page) -> MappedPage:
        await asyncio.sleep(0)
        return MappedPage([], LoadResult(), None)

    def ahead(self, limit: int) -> ReadAhead:
        return ReadAhead(self.read, self.map, None, limit)


async def _drain(ahead: ReadAhead) -> list[list[int]]:
    batches = []
    while True:
        batch = await ahead.take()
        batches.append([(r.token or {}).get("page", 0) for r in batch.reads])
        if batch.last.next_token is None:
            return batches


async def test_pages_read_while_a_batch_is_written_are_taken_together_up_to_the_limit() -> None:
    upstream = Upstream(pages=10, size=100)
    ahead = upstream.ahead(250)
    try:
        first = await ahead.take()
        assert [r.page.records[0] for r in first.reads] == ["0-0"]  # the first page is not kept waiting
        await asyncio.sleep(0.05)  # "writing": the reader goes on meanwhile, and stops at the limit
        # pages 1-3 mapped and held (300 records >= 250), page 4 read and waiting to be mapped, page 5
        # read and waiting for room: nothing more
        assert upstream.served == 6
        rest = await _drain(ahead)
    finally:
        await ahead.aclose()
    assert rest[0] == [1, 2, 3]  # one transaction for three upstream pages
    assert [p for b in rest for p in b] == list(range(1, 10))  # every page once, in order
    assert all(len(b) * 100 < 250 + 100 for b in rest)  # never more than the limit plus a page


async def test_a_failed_read_is_raised_after_the_pages_before_it() -> None:
    ahead = Upstream(pages=10, size=10, fail_at=3).ahead(1000)
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
    ahead = upstream.ahead(500)
    try:
        await asyncio.sleep(0.05)
        assert upstream.served == 7  # 500 records mapped and held, one page waiting, one more read
        batch = await ahead.take(250)
        assert [r.page.records[0] for r in batch.reads] == ["0-0", "1-0", "2-0"]  # a batch is its own size
        await asyncio.sleep(0.05)
        assert upstream.served == 10  # room for three more pages: the rest of the ten
    finally:
        await ahead.aclose()


async def test_closing_stops_the_reader() -> None:
    upstream = Upstream(pages=1000, size=10)
    ahead = upstream.ahead(30)
    await ahead.take()
    await ahead.aclose()
    served = upstream.served
    await asyncio.sleep(0.02)
    assert upstream.served == served <= 5


async def test_the_next_page_is_read_while_this_one_is_mapped() -> None:
    """Mapping a page waits here until the page after it has been read: were reading and mapping one
    task, the next read would only start after this mapping and the run would hang."""
    upstream = Upstream(pages=5, size=10)

    async def map_once_next_is_read(page: Page) -> MappedPage:
        n = int(page.records[0].split("-")[0])
        while page.next_token is not None and upstream.served < n + 2:
            await asyncio.sleep(0.001)
        return MappedPage([], LoadResult(), None)

    ahead = ReadAhead(upstream.read, map_once_next_is_read, None, limit=1000)
    try:
        pages = await asyncio.wait_for(_drain(ahead), timeout=5)
    finally:
        await ahead.aclose()
    assert [p for b in pages for p in b] == [0, 1, 2, 3, 4]


def test_a_batch_keeps_the_total_its_first_page_stated() -> None:
    """An upstream states how many records a read covers on its first page only (X-WP-Total): the
    run's ordersToProcess comes from it even when that page is written together with the next."""
    first = Read(None, Page(["a"], {"page": 2}, total=250), MappedPage([], LoadResult(), None))
    second = Read({"page": 2}, Page(["b"], {"page": 3}), MappedPage([], LoadResult(), None))
    assert Batch([first, second]).total == 250
    assert Batch([second]).total is None


async def test_a_whole_batch_waits_for_its_size_the_last_page_or_a_failure() -> None:
    """A writer with a transaction to spare takes whole batches: not the one page read so far."""
    ahead = Upstream(pages=6, size=100).ahead(500)
    try:
        batches = []
        while not batches or batches[-1][-1] != 5:
            batch = await ahead.take(250, whole=True)
            batches.append([(r.token or {}).get("page", 0) for r in batch.reads])
    finally:
        await ahead.aclose()
    assert batches == [[0, 1, 2], [3, 4, 5]]  # the second ends at the read's last page

    failing = Upstream(pages=10, size=100, fail_at=1).ahead(500)
    try:
        assert [r.page.records[0] for r in (await failing.take(250, whole=True)).reads] == ["0-0"]
        with pytest.raises(UpstreamUnavailable):
            await failing.take(250, whole=True)
    finally:
        await failing.aclose()
