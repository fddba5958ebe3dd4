"""Amazon settlements (Finances v0 financial event groups), against the Amazon sandbox: the sandbox
settles its financial events into open and closed groups whose events add up to their totals (but
the one seeded mismatch), paged and within their usage plans; the connector reads the closed ones
over several pages into payouts with an item per event; the sync engine loads them idempotently
(again, and from an overlapping window, nothing new) with the service fees each group billed; the
reconciliation endpoint matches every settlement to its events and reports the seeded mismatch with
its exact difference; a transfer that goes through turns the payout paid; and the books post each
paid settlement Dr bank / Cr Amazon clearing with a balanced trial balance.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from ledgerlink.books import store
from ledgerlink.books.context import posting_context
from ledgerlink.books.gateway_job import post_gateway_pending
from ledgerlink.canonical import payments as pay
from ledgerlink.canonical.money import to_minor
from ledgerlink.connectors.amazon.connector import AmazonConnector
from ledgerlink.connectors.amazon.fees import event_id
from ledgerlink.connectors.framework.window import SyncWindow
from ledgerlink.ledger.accounts import DEFAULT_CLEARING, AccountRole
from ledgerlink.models import BalanceEntry, Integration, Payment, PayoutItem
from ledgerlink.models import JournalEntry as EntryRow
from ledgerlink.sandbox.amazon.settlements import SEEDED_DIFFERENCE, Group
from ledgerlink.sync.engine import execute_run
from ledgerlink.upstream.budget import Budget
from tests.conftest import make_tenant
from tests.sync_support import setup_store, sync
from tests.test_amazon_connector import FAST, Live, map_all, read_stream
from tests.test_amazon_sandbox import connect, make_sandbox, serving

pytestmark = pytest.mark.slow
GROUPS = "/finances/v0/financialEventGroups"
JANUARY = {"from": "2024-01-01", "to": "2024-01-31"}
WINTER = {
    "FinancialEventGroupStartedAfter": "2023-12-01T00:00:00Z",
    "FinancialEventGroupStartedBefore": "2024-03-01T00:00:00Z",
}


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    sandbox = make_sandbox()
    with serving(sandbox) as mount:
        yield Live(sandbox, mount)


@pytest.fixture(autouse=True)
def planned(live: Live, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Usage plans on (sped up, the same in sandbox and connector); never once over them."""
    for path in ("/_sandbox/faults", "/_sandbox/rate-limits", "/_sandbox/lwa"):
        live.control("DELETE", path)
    live.plans(FAST)
    live.control("POST", "/_sandbox/faults", json={"rate_limits": True})
    monkeypatch.setattr(AmazonConnector, "plans", FAST)
    yield
    assert live.control("GET", "/_sandbox/faults")["stats"]["throttled"] == 0


def minor(group: Group, value: Decimal) -> int:
    return to_minor(value, group.currency, exact=True)


def closed(live: Live) -> list[Group]:
    return [g for g in live.sandbox.groups if g.closed]


def seeded(live: Live) -> Group:
    (group,) = [g for g in live.sandbox.groups if g.difference]
    return group


async def test_the_sandbox_settles_every_event_into_one_group():
    sandbox = make_sandbox()
    groups = sandbox.groups
    placed = Counter(e.key for g in groups for e in g.events)
    assert sorted(placed) == sorted(e.key for e in sandbox.events) and set(placed.values()) == {1}
    assert {g.closed for g in groups} == {True, False}
    assert {g.currency for g in groups if g.closed} == {"USD", "CAD", "GBP", "EUR", "JPY"}
    assert all(g.total > 0 for g in groups if g.closed)  # a disbursement each, never a charge
    assert sorted(g.transfer for g in groups if g.closed).count("Processing") == 1
    assert [g.difference for g in groups if g.difference] == [SEEDED_DIFFERENCE]

    async with connect(sandbox) as api:
        listed, pages, token = [], 0, None
        while True:
            params = {**WINTER, "MaxResultsPerPage": 3}
            reply = await api.get(GROUPS, params={**params, **({"NextToken": token} if token else {})})
            assert reply.status_code == 200, reply.text
            listed += reply.json()["payload"]["FinancialEventGroupList"]
            pages += 1
            if not (token := reply.json()["payload"].get("NextToken")):
                break
        assert pages == -(-len(groups) // 3) >= 3
        assert [g["FinancialEventGroupId"] for g in listed] == [g.id for g in groups]
        for body, group in zip(listed, groups, strict=True):
            assert body["ProcessingStatus"] == ("Closed" if group.closed else "Open")
            assert ("FundTransferDate" in body) is group.closed and ("FinancialEventGroupEnd" in body) is group.closed
            events, token = [], None
            while True:  # its events, two a page
                path = f"{GROUPS}/{group.id}/financialEvents"
                reply = await api.get(path, params={"MaxResultsPerPage": 2, **({"NextToken": token} if token else {})})
                payload = reply.json()["payload"]
                events += [e for listed_events in payload["FinancialEvents"].values() for e in listed_events]
                if not (token := payload.get("NextToken")):
                    break
            moved = sum(_amounts(events), Decimal(0))
            stated = Decimal(str(body["OriginalTotal"]["CurrencyAmount"]))
            assert stated - moved == group.difference  # 0 but for the seeded group
            assert body["ConvertedTotal"] == body["OriginalTotal"]

        # Refusals, as Finances gives them.
        late = await api.get(GROUPS, params={"FinancialEventGroupStartedAfter": "2999-01-01T00:00:00Z"})
        assert late.status_code == 400 and late.json()["errors"][0]["code"] == "InvalidInput"
        wide = {**WINTER, "FinancialEventGroupStartedAfter": "2023-06-01T00:00:00Z"}  # over 180 days: nothing
        assert (await api.get(GROUPS, params=wide)).json()["payload"]["FinancialEventGroupList"] == []
        since = {"FinancialEventGroupStartedAfter": "2023-12-01T00:00:00Z"}  # up to now: over 180 days too
        assert (await api.get(GROUPS, params=since)).json()["payload"]["FinancialEventGroupList"] == []
        alien = await api.get(GROUPS, params={**WINTER, "MaxResultsPerPage": 3, "NextToken": "bm90LW91cnM"})
        assert alien.status_code == 400
        assert (await api.get(f"{GROUPS}/nosuchgroup/financialEvents")).status_code == 404

        # Each operation has its own bucket, and says its plan.
        sandbox.injector.faults.rate_limits = True
        await api.post("/_sandbox/rate-limits", json={"listFinancialEventGroups": {"rate": 0.01, "burst": 1}})
        assert (await api.get(GROUPS, params=WINTER)).status_code == 200
        throttled = await api.get(GROUPS, params=WINTER)
        assert throttled.status_code == 429 and throttled.headers["x-amzn-RateLimit-Limit"] == "0.01"
        assert (await api.get(f"{GROUPS}/{groups[0].id}/financialEvents")).status_code == 200


def _amounts(node: Any) -> Iterator[Decimal]:
    if isinstance(node, dict):
        if "CurrencyAmount" in node:
            yield Decimal(str(node["CurrencyAmount"]))
        else:
            for value in node.values():
                yield from _amounts(value)
    elif isinstance(node, list):
        for value in node:
            yield from _amounts(value)


async def test_the_payouts_stream_reads_closed_settlements_over_several_pages(live, runtime):
    # Spending each operation's budget (in PostgreSQL), as a sync does: never once over a usage plan.
    bucket = f"upstream:test-{secrets.token_hex(6)}"
    connector = live.connector(budget=Budget(runtime.bookkeeping, bucket, AmazonConnector.default_limit))
    records, pages, _ = await read_stream(connector, "payouts", SyncWindow(page_size=2))
    expected = closed(live)
    assert pages >= len(expected) // 2 >= 3
    mapped, failed = map_all(connector, "payouts", records)
    assert not failed and sorted(mapped) == sorted(g.id for g in expected)
    for group in expected:
        payout = mapped[group.id]
        assert isinstance(payout, pay.Payout) and payout.currency == group.currency
        assert payout.amount == minor(group, group.total)
        assert payout.status == {"Succeeded": "paid", "Processing": "in_transit"}[group.transfer or ""]
        assert payout.items is not None and len(payout.items) == len(group.events)
        assert payout.unreconciled() == minor(group, group.difference)  # 0 but for the seeded one
        kinds = {"ShipmentEventList": "charge", "RefundEventList": "refund", "ServiceFeeEventList": "fee"}
        assert sorted((i.kind, i.source_external_id or "", i.net) for i in payout.items) == sorted(
            (kinds[e.list], e.body.get("AmazonOrderId", ""), minor(group, e.total)) for e in group.events
        )
        assert all(i.net == i.amount - i.fee and (i.fee > 0) is (i.kind != "refund") for i in payout.items)
    again, _, _ = await read_stream(connector, "payouts", SyncWindow(page_size=100))
    remapped, _ = map_all(connector, "payouts", again)
    assert remapped == mapped  # the same keys and figures, read in other pages


async def _count(runtime: Any, model: Any, *where: Any) -> int:
    async with runtime.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(model).where(*where))).scalar_one())


async def _sync_fees(client: Any, runtime: Any, headers: dict[str, str], iid: str, **date_range: str) -> dict[str, Any]:
    body = {"integrationId": iid, "reportType": "settlement", "dateRange": date_range}
    r = await client.post("/v1/integrations/amazon/sync-fees", headers=headers, json=body)
    assert r.status_code == 202, r.text
    started = r.json()["data"]
    # The fees run leads the settlements (payouts) run: one request, both executed here as workers would.
    assert [m["stream"] for m in started["runs"]] == ["fees", "payouts"]
    for member in started["runs"]:
        assert await execute_run(runtime, member["syncId"]) == "succeeded"
    return (await client.get(f"/v1/sync-runs/{started['syncId']}", headers=headers)).json()["data"]


async def test_settlements_load_once_reconcile_and_post(client, runtime, live):
    tenant = await make_tenant(runtime)
    headers = tenant.headers
    iid = await setup_store(client, headers, "amazon", live.sandbox.credentials(live.mount))
    expected = closed(live)
    service = [e for g in expected for e in g.events if e.list == "ServiceFeeEventList"]
    dated = [e for e in live.sandbox.events if e.list != "ServiceFeeEventList"]

    # Fees: the dated events' and the service fees each settlement billed, once however often read;
    # the same request reads the settlements, one payout per closed one.
    fees = await _sync_fees(client, runtime, headers, iid, **JANUARY)
    assert fees["feesCreated"] == len(dated) + len(service) >= len(dated) + 1, fees
    [settlements] = [m for m in fees["runs"] if m["stream"] == "payouts"]
    assert settlements["created"] == len(expected) and settlements["failed"] == 0, fees
    overlapping = await _sync_fees(client, runtime, headers, iid, **{"from": "2024-01-03", "to": "2024-02-15"})
    assert overlapping["feesCreated"] == 0 and overlapping["feesUnchanged"] == overlapping["feesProcessed"] > 0
    service_entries = (BalanceEntry.integration_id == iid, BalanceEntry.upstream_type == "ServiceFeeEvent")
    assert await _count(runtime, BalanceEntry, *service_entries) == len(service)

    # Payouts read again on their own, over several pages: the same settlements, nothing new.
    run = await sync(client, runtime, headers, iid, "payouts", batchSize=2, dateRange=JANUARY)
    assert run["state"] == "succeeded" and run["pages"] >= 3, run
    assert run["payoutsCreated"] == 0 and run["payoutsUnchanged"] == len(expected) and run["payoutsFailed"] == 0, run
    again = await sync(client, runtime, headers, iid, "payouts", batchSize=100, dateRange=JANUARY)
    assert again["payoutsCreated"] == again["payoutsUpdated"] == 0 and again["payoutsUnchanged"] == len(expected)
    assert await _count(runtime, Payment, Payment.integration_id == iid, Payment.kind == "payout") == len(expected)
    events = sum(len(g.events) for g in expected)
    assert await _count(runtime, PayoutItem, PayoutItem.integration_id == iid) == events
    # The fees recorded are linked to the settlement that paid them out.
    linked = await _count(runtime, BalanceEntry, BalanceEntry.integration_id == iid, BalanceEntry.payout_id.isnot(None))
    assert linked == events

    # Reconciliation: every settlement matched to its events but the seeded one, off by its exact difference.
    body = (await client.get(f"/v1/ledger/reconciliation?integrationId={iid}&limit=100", headers=headers)).json()
    views = {v["externalId"]: v for v in body["data"]}
    assert sorted(views) == sorted(g.id for g in expected)
    mismatched = seeded(live)
    for group in expected:
        view = views[group.id]
        assert view["gateway"] == "amazon" and view["currency"] == group.currency
        assert view["matched"] == view["items"] == len(group.events), view
        assert view["payoutMinor"] == minor(group, group.total)
        assert view["itemsNetMinor"] == minor(group, group.events_total)
        assert view["reconciled"] is (group is not mismatched)
    (total,) = views[mismatched.id]["mismatches"]
    difference = minor(mismatched, SEEDED_DIFFERENCE)
    assert (total["reason"], total["externalId"], total["differenceMinor"]) == ("total", mismatched.id, difference)
    assert total["actualMinor"] - total["expectedMinor"] == difference and total["difference"] == "-2.50"

    # Fees the books recorded otherwise than the settlement withheld them: an `amount` mismatch, by as much.
    sale = next(e for e in expected[0].events if e.list == "ShipmentEventList")
    key = event_id("ShipmentEvent", sale.body)
    await _shift_recorded_fee(runtime, iid, key, -7)
    try:
        body = (await client.get(f"/v1/ledger/reconciliation?integrationId={iid}&limit=100", headers=headers)).json()
        (off,) = next(v for v in body["data"] if v["externalId"] == expected[0].id)["mismatches"]
        assert (off["reason"], off["kind"], off["externalId"], off["differenceMinor"]) == ("amount", "charge", key, 7)
    finally:
        await _shift_recorded_fee(runtime, iid, key, 7)

    # A transfer goes through: the payout turns paid; the books post every paid settlement.
    (pending,) = [g for g in expected if g.transfer == "Processing"]
    assert views[pending.id]["status"] == "in_transit"
    first = await post_gateway_pending(runtime)
    assert first.failed == 0, first
    live.control("POST", f"/_sandbox/financial-event-groups/{pending.id}/transfer", json={"status": "Succeeded"})
    try:
        moved = await sync(client, runtime, headers, iid, "payouts", dateRange=JANUARY)
        assert moved["payoutsUpdated"] == 1 and moved["payoutsCreated"] == 0, moved
        second = await post_gateway_pending(runtime)
        assert (second.entries, second.failed) == (1, 0), second
    finally:
        live.control("POST", f"/_sandbox/financial-event-groups/{pending.id}/transfer", json={"status": "Processing"})
    await _check_books(client, runtime, headers, iid, expected)


async def _shift_recorded_fee(runtime: Any, iid: str, external_id: str, by: int) -> None:
    async with runtime.sessions.begin() as session:
        entry = (
            await session.execute(
                select(BalanceEntry).where(BalanceEntry.integration_id == iid, BalanceEntry.external_id == external_id)
            )
        ).scalar_one()
        entry.amount, entry.net = entry.amount + by, entry.net + by


async def _check_books(client: Any, runtime: Any, headers: dict[str, str], iid: str, groups: list[Group]) -> None:
    async with runtime.sessions() as session:
        rows = (
            await session.execute(
                select(EntryRow).where(EntryRow.integration_id == iid, EntryRow.source_kind == "payout")
            )
        ).scalars()
        entries = await store.entries_by_id(session, list(rows))
        integration = await session.get(Integration, iid)
        assert integration is not None
        ctx = await posting_context(session, integration)
    bank, clearing = ctx.account(AccountRole.BANK), ctx.account(AccountRole.CLEARING)
    assert clearing == DEFAULT_CLEARING["amazon"]  # Amazon clearing
    by_source = {e.source.external_id: e for e in entries}
    assert sorted(by_source) == sorted(g.id for g in groups)
    for group in groups:
        entry, amount = by_source[group.id], minor(group, group.total)
        assert entry.currency == group.currency
        assert [(line.account, line.debit_minor, line.credit_minor) for line in entry.lines] == [
            (bank, amount, 0),
            (clearing, 0, amount),
        ]
    balances = (await client.get("/v1/ledger/trial-balance", headers=headers)).json()["data"]
    assert {b["currency"] for b in balances} >= {g.currency for g in groups}
    for balance in balances:
        assert balance["balanced"] and balance["totalDebitsMinor"] == balance["totalCreditsMinor"] > 0, balance
