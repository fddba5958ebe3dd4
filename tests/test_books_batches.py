"""Batch periods through the posting job (books/posting.py, books/batching.py), against real PostgreSQL:
orders written by the sync's own writer, posted from their events, with a daily period set (seed 003).
Orders over two days post as two batch entries whose lines are the per-document entries netted; a
refund as its own credit batch; a late order for a closed day and a change to a batched order post as
adjustment batch entries of that day; an open period waits; re-running posts nothing; the trial
balance through the API equals every document's entry posted one by one. With the invoice and credit
flags off, nothing is posted, staged or refused."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, text

from ledgerlink.books import store
from ledgerlink.books.batching import post_closed_batches
from ledgerlink.books.context import in_currency, posting_context
from ledgerlink.canonical import records as rec
from ledgerlink.ids import new_id
from ledgerlink.ledger.entries import JournalEntry
from ledgerlink.ledger.posting import post_order, post_refund
from ledgerlink.models import Integration, LedgerPostingError
from ledgerlink.models import JournalEntry as EntryRow
from ledgerlink.sync.context import Item, LoadContext
from ledgerlink.sync.write_orders import write_orders
from tests.helpers import SHOPIFY_CREDS
from tests.test_books_posting import post_everything
from tests.test_ledger_posting import US

pytestmark = pytest.mark.slow
DAY_1, DAY_2 = date(2026, 1, 5), date(2026, 1, 6)
DAILY = {"batch_period_sales_order_fulfillments": "daily", "batch_period_customer_returns": "daily"}


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _order(external_id: str, placed: datetime, *, extra_shipping: int = 0, refunded: bool = False) -> rec.Order:
    update = {
        "external_id": external_id,
        "number": f"#{external_id}",
        "placed_at": placed,
        "updated_at": placed,
        "shipping": US.order.shipping + extra_shipping,
        "total": US.order.total + extra_shipping,
        "financial_status": "paid",
    }
    if refunded:
        update["refunds"] = (US.refund.model_copy(update={"external_id": f"rf_{external_id}"}),)
    return US.order.model_copy(update=update)


async def _integration(runtime, workspace_id: str, settings: dict) -> str:
    iid = new_id("int")
    async with runtime.sessions.begin() as session:
        session.add(
            Integration(
                id=iid, workspace_id=workspace_id, provider="shopify", name="shop", status="active",
                credentials_encrypted=runtime.secrets.encrypt_json(SHOPIFY_CREDS), settings=settings,
                mapping={"defaultTaxCode": "SST"},
            )
        )  # fmt: skip
    return iid


async def _write(runtime, workspace_id: str, iid: str, orders: list[rec.Order], version: str = "1") -> None:
    """The orders as a sync page writes them (their events included), then the posting job until done."""
    items = [Item(o.external_id, o, f"{o.external_id}:{version}", o.updated_at) for o in orders]
    async with runtime.sessions.begin() as session:
        await write_orders(session, LoadContext(workspace_id, iid, "shopify"), items)
    await post_everything(runtime)


async def _entries(runtime, iid: str, **where) -> list[JournalEntry]:
    async with runtime.sessions() as session:
        query = select(EntryRow).where(EntryRow.integration_id == iid).order_by(EntryRow.date, EntryRow.created_at)
        for column, value in where.items():
            query = query.where(getattr(EntryRow, column) == value)
        return await store.entries_by_id(session, list((await session.execute(query)).scalars()))


async def _one_by_one(runtime, iid: str, orders: list[rec.Order]) -> list[JournalEntry]:
    """What each document would post on its own, by the domain's rules and the integration's accounts."""
    async with runtime.sessions() as session:
        integration = await session.get(Integration, iid)
        ctx = in_currency(await posting_context(session, integration), "USD")
    entries = [post_order(o, ctx) for o in orders]
    entries += [post_refund(o, r, ctx, settled=True) for o in orders for r in o.refunds]
    return [e for e in entries if e is not None]


def _net(entries: list[JournalEntry]) -> dict[str, int]:
    net: dict[str, int] = defaultdict(int)
    for entry in entries:
        for line in entry.lines:
            net[line.account] += line.net_minor
    return {a: v for a, v in sorted(net.items()) if v}


async def _balances(client, headers) -> dict[str, int]:
    (tb,) = (await client.get("/v1/ledger/trial-balance", headers=headers)).json()["data"]
    assert tb["balanced"] and tb["totalDebitsMinor"] == tb["totalCreditsMinor"], tb
    return {r["account"]: r["balanceMinor"] for r in tb["rows"] if r["balanceMinor"]}


async def test_daily_batches_late_orders_and_changes_post_once_per_period(client, runtime, tenant) -> None:
    iid = await _integration(runtime, tenant.workspace_id, DAILY)
    day_1 = [_order("B1", _at(DAY_1, 9)), _order("B2", _at(DAY_1, 15), extra_shipping=500)]
    day_2 = [_order("B3", _at(DAY_2, 8), refunded=True), _order("B4", _at(DAY_2, 23), extra_shipping=250)]
    await _write(runtime, tenant.workspace_id, iid, day_1 + day_2)
    assert await _entries(runtime, iid) == []  # staged, not posted one by one

    assert await post_closed_batches(runtime) >= 3
    batches = await _entries(runtime, iid)
    assert {e.source.kind for e in batches} == {"batch"}
    orders = [e for e in batches if e.source.external_id.startswith("order:")]
    (credits,) = [e for e in batches if e.source.external_id.startswith("refund:")]
    assert [(e.date, e.source.external_id) for e in orders] == [
        (DAY_1, f"order:daily:{DAY_1}:USD"),
        (DAY_2, f"order:daily:{DAY_2}:USD"),
    ]
    for entry, members in zip(orders, (day_1, day_2), strict=True):
        assert _net([entry]) == _net(
            [post for post in await _one_by_one(runtime, iid, members) if post.source.kind == "order"]
        )
        assert all(line.memo == "2 order entries" for line in entry.lines)
    assert credits.date == US.refund.processed_at.date()
    assert _net([credits]) == _net([e for e in await _one_by_one(runtime, iid, day_2) if e.source.kind == "refund"])

    # Re-running the job and the batches: nothing new.
    await post_everything(runtime)
    await post_closed_batches(runtime)
    assert await _entries(runtime, iid) == batches

    # A late order for day 1, and a change to B4 of day 2: one adjustment entry per day, nothing edited.
    late, changed = _order("B5", _at(DAY_1, 20)), _order("B4", _at(DAY_2, 23), extra_shipping=400)
    await _write(runtime, tenant.workspace_id, iid, [late, changed], version="2")
    await post_closed_batches(runtime)
    adjustments = [e for e in await _entries(runtime, iid) if e not in batches]
    assert [(e.date, e.source.external_id) for e in adjustments] == [
        (DAY_1, f"order:daily:{DAY_1}:USD"),
        (DAY_2, f"order:daily:{DAY_2}:USD"),
    ]
    assert all(e.memo.endswith("adjustment") for e in adjustments)
    assert _net([adjustments[0]]) == _net(await _one_by_one(runtime, iid, [late]))
    assert _net([adjustments[1]]) == {"1100": 150, "4100": -150}  # receivable and shipping, 1.50 more
    await post_closed_batches(runtime)
    assert len(await _entries(runtime, iid)) == len(batches) + 2

    # The books equal every document posted one by one, as it stands now.
    now = [*day_1, day_2[0], changed, late]
    assert await _balances(client, tenant.headers) == _net(await _one_by_one(runtime, iid, now))
    listed = (
        await client.get(f"/v1/ledger/journal-entries?integrationId={iid}&source=batch", headers=tenant.headers)
    ).json()
    assert listed["pagination"]["total"] == 5


async def test_an_open_period_waits_until_it_has_closed(runtime, tenant) -> None:
    iid = await _integration(runtime, tenant.workspace_id, DAILY)
    today = datetime.now(UTC).date()
    await _write(runtime, tenant.workspace_id, iid, [_order("T1", _at(today, 0))])
    await post_closed_batches(runtime, today)
    assert await _entries(runtime, iid) == []
    await post_closed_batches(runtime, today + timedelta(days=1))
    (entry,) = await _entries(runtime, iid)
    assert entry.date == today and entry.source.external_id == f"order:daily:{today}:USD"


async def test_an_order_moved_to_another_day_leaves_its_first_batch(runtime, tenant) -> None:
    iid = await _integration(runtime, tenant.workspace_id, DAILY)
    moved = _order("M1", _at(DAY_1, 10))
    await _write(runtime, tenant.workspace_id, iid, [moved, _order("M2", _at(DAY_1, 11))])
    await post_closed_batches(runtime)
    (day_1,) = await _entries(runtime, iid)
    await _write(runtime, tenant.workspace_id, iid, [_order("M1", _at(DAY_2, 10))], version="2")
    await post_closed_batches(runtime)
    entries = await _entries(runtime, iid)
    (withdrawn,) = [e for e in entries if e.date == DAY_1 and e != day_1]
    (day_2,) = [e for e in entries if e.date == DAY_2]
    alone = _net(await _one_by_one(runtime, iid, [moved]))
    assert _net([withdrawn]) == {a: -v for a, v in alone.items()} and _net([day_2]) == alone
    assert _net([day_1, withdrawn]) == alone  # day 1 now holds M2 alone


async def test_turning_batching_on_reverses_what_posted_one_by_one(runtime, tenant) -> None:
    iid = await _integration(runtime, tenant.workspace_id, {})
    first = _order("S1", _at(DAY_1, 10))
    await _write(runtime, tenant.workspace_id, iid, [first])
    (single,) = await _entries(runtime, iid)
    async with runtime.sessions.begin() as session:
        integration = await session.get(Integration, iid)
        integration.settings = DAILY
    await _write(runtime, tenant.workspace_id, iid, [first.model_copy(update={"note": "touched"})], version="2")
    await post_closed_batches(runtime)
    entries = await _entries(runtime, iid)
    (reversal,) = [e for e in entries if e.reverses]
    (batch,) = [e for e in entries if e.source.kind == "batch"]
    assert reversal.reverses == single.id and _net([batch]) == _net([single])
    assert _net(entries) == _net([single])  # in the books once


@pytest.mark.parametrize("batching", [{}, DAILY], ids=["one-by-one", "daily"])
async def test_invoice_and_credit_flags_off_post_nothing_and_refuse_nothing(runtime, tenant, batching) -> None:
    flags = {"sync_sales_order_invoices_to_accounting": False, "sync_sales_credit_to_accounting": False}
    iid = await _integration(runtime, tenant.workspace_id, {**flags, **batching})
    await _write(runtime, tenant.workspace_id, iid, [_order("F1", _at(DAY_1, 9), refunded=True)])
    await post_closed_batches(runtime)
    assert await _entries(runtime, iid) == []
    async with runtime.sessions() as session:
        refused = (
            await session.execute(select(LedgerPostingError).where(LedgerPostingError.integration_id == iid))
        ).all()
        staged = (
            await session.execute(
                text("SELECT count(*) FROM ledger_batch_members WHERE integration_id = :i"), {"i": iid}
            )
        ).scalar_one()
    assert refused == [] and staged == 0
