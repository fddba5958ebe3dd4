"""A BigCommerce orders run cut into slices (sync/slices.py): counted by /v2/orders/count, cut at the
orders of equal positions of the date_modified listing, and read as [since, until) although BigCommerce's
`max_date_modified` includes its instant: the order a cut falls on is read by the later slice only."""

from __future__ import annotations

import asyncio

import pytest

from ledgerlink.connectors.framework.parsing import utc_time
from ledgerlink.connectors.framework.rest import RestStream
from ledgerlink.connectors.framework.stream import RecordParts, read_all
from ledgerlink.connectors.framework.window import SyncWindow
from ledgerlink.integrations.connectors import connector_for
from ledgerlink.models import Integration
from ledgerlink.sync.engine import execute_run
from ledgerlink.sync.slices import bounds
from tests.conftest import SANDBOX_ORDERS
from tests.sync_support import assert_each_order_once, start
from tests.test_sync_bigcommerce import bc  # noqa: F401 (the fixture)
from tests.test_sync_resume import _idle_sync_queue, _run
from tests.test_sync_slices import _slices, _until_cut, other_process, sliced_runtime  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow


async def _orders_stream(runtime, iid):
    async with runtime.sessions() as session:
        connector = connector_for(runtime, await session.get(Integration, iid))
    return connector, connector.streams["orders"]


async def test_cuts_divide_the_orders_into_disjoint_slices_that_cover_them(runtime, bc):  # noqa: F811
    _, iid = bc
    connector, stream = await _orders_stream(runtime, iid)
    async with connector.client() as upstream:
        cuts = await stream.cut(upstream, SyncWindow(page_size=250), 3, 100)
        assert cuts is not None and cuts.total == SANDBOX_ORDERS and len(cuts.at) == 2
        parts = [await read_all(stream, upstream, SyncWindow(since=s, until=u, page_size=250)) for s, u in bounds(cuts)]
        # Asked for the window a slice ends at, BigCommerce includes the orders at that instant.
        last_of_first = await read_all(stream, upstream, SyncWindow(since=cuts.at[0], until=cuts.at[0], page_size=250))
    ids = [stream.external_id(r) for part in parts for r in part]
    assert len(ids) == len(set(ids)) == SANDBOX_ORDERS
    assert all(SANDBOX_ORDERS // 3 - 60 <= len(part) <= SANDBOX_ORDERS // 3 + 60 for part in parts)
    # Each cut falls on an order: it is the first of the later slice, and not in the earlier one.
    for n, at in enumerate(cuts.at):
        assert stream.updated_at(parts[n + 1][0]) == at
        stamps = [stream.updated_at(r) for r in parts[n]]
        assert all(t < at for t in stamps if t is not None)  # (a malformed order's stamp may not parse)
    assert last_of_first == []  # [at, at) is empty, though max_date_modified=at lists the orders at `at`


async def test_a_run_read_status_by_status_is_not_cut(runtime, bc):  # noqa: F811
    _, iid = bc
    connector, stream = await _orders_stream(runtime, iid)
    async with connector.client() as upstream:
        assert await stream.cut(upstream, SyncWindow(filters={"orderStatus": "shipped"}), 3, 100) is None


async def test_a_cut_run_shared_by_two_workers_writes_every_order_once(
    client,
    runtime,
    sliced_runtime,  # noqa: F811
    other_process,  # noqa: F811
    bc,  # noqa: F811
    database_url,
):
    _idle_sync_queue(database_url)
    tenant, iid = bc
    run_id = (await start(client, tenant.headers, iid, "orders", batchSize=50))["syncId"]
    first = asyncio.create_task(execute_run(sliced_runtime, run_id))
    await _until_cut(runtime, run_id)
    second = asyncio.create_task(execute_run(other_process, run_id))
    outcomes = sorted(await asyncio.gather(first, second))
    assert "succeeded" in outcomes and set(outcomes) <= {"succeeded", "shared"}, outcomes
    run = await _run(runtime, run_id)
    await assert_each_order_once(runtime, tenant.workspace_id, iid, run)
    assert run.to_process == SANDBOX_ORDERS
    parts = await _slices(runtime, run_id)
    assert len(parts) == 3 and all(p.done for p in parts)


@pytest.mark.parametrize("name", ["products", "customers"])
async def test_v3_streams_are_cut_by_the_total_their_pages_carry(runtime, bc, name):  # noqa: F811
    _, iid = bc
    async with runtime.sessions() as session:
        connector = connector_for(runtime, await session.get(Integration, iid))
    stream = connector.streams[name]
    async with connector.client() as upstream:
        everything = await read_all(stream, upstream, SyncWindow(page_size=250))
        cuts = await stream.cut(upstream, SyncWindow(page_size=250), 3, 5)
        assert cuts is not None and cuts.total == len(everything) and len(cuts.at) == 2
        parts = [await read_all(stream, upstream, SyncWindow(since=s, until=u, page_size=250)) for s, u in bounds(cuts)]
    ids = [stream.external_id(r) for part in parts for r in part]
    assert sorted(ids) == sorted(stream.external_id(r) for r in everything)


@pytest.mark.parametrize("said", [-5, "600", 6.0, True, None, {"total": 1}])
def test_a_total_in_the_body_that_is_not_a_count_is_none(said):
    import httpx

    from ledgerlink.upstream.client import Reply

    stream = RestStream("x", "order", "/x", RecordParts("id", None, utc_time, lambda r: r), total_at="meta.total")
    reply = Reply(httpx.Response(200), {"meta": {"total": said}})
    assert stream._total(reply) is None
    assert stream._total(Reply(httpx.Response(200), {"meta": {"total": 600}})) == 600
