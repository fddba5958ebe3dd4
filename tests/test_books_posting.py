"""The posting job against orders synced from the WooCommerce sandbox: every entry balanced, the trial
balance through the API balanced, re-running posts nothing, an order changed upstream posts a reversal
(and, changed back, a new entry) with the original untouched; the API's filters, scopes and
workspace isolation."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest
from sqlalchemy import select, text

from ledgerlink.books import store
from ledgerlink.books.posting import PostingRun, post_pending
from ledgerlink.models import JournalEntry as EntryRow
from ledgerlink.models import LedgerPostingError
from tests.conftest import make_tenant
from tests.helpers import assert_error
from tests.sync_support import setup_store, sync

pytestmark = pytest.mark.slow
PROVIDER = "woocommerce"
CHANGED = "100005"


async def post_everything(runtime) -> PostingRun:
    """Run the posting job (as the worker's periodic task does) until every event committed before this
    call is consumed: another session's open transaction may hold the horizon back for a moment."""
    async with runtime.sessions() as session:
        mark = (await session.execute(text("SELECT (pg_current_xact_id()::text)::bigint"))).scalar_one()
        await session.rollback()
    total, deadline = PostingRun(), time.monotonic() + 60
    while True:
        total.add(await post_pending(runtime))
        async with runtime.sessions() as session:
            horizon = (await session.execute(text("SELECT horizon FROM outbox_cursors WHERE name = 'ledger'"))).scalar()
        if horizon > mark:
            return total
        assert time.monotonic() < deadline, "the ledger cursor did not pass the events in a minute"
        await asyncio.sleep(0.2)


async def entries_of(runtime, integration_id: str) -> dict[str, object]:
    async with runtime.sessions() as session:
        rows = list(
            (await session.execute(select(EntryRow).where(EntryRow.integration_id == integration_id))).scalars()
        )
        return {e.id: e for e in await store.entries_by_id(session, rows)}


async def pages(client, path: str, headers: dict[str, str]) -> list[dict]:
    items, page = [], 1
    while True:
        body = (await client.get(f"{path}{'&' if '?' in path else '?'}limit=250&page={page}", headers=headers)).json()
        assert body["success"], body
        items += body["data"]
        if not body["pagination"]["hasMore"]:
            return items
        page += 1


@pytest.fixture
async def woo(client, runtime, sandbox):
    sandbox.reset(PROVIDER)
    tenant = await make_tenant(runtime)
    integration_id = await setup_store(client, tenant.headers, PROVIDER, sandbox.credentials(PROVIDER))
    run = await sync(client, runtime, tenant.headers, integration_id, "orders", batchSize=100)
    assert run["ordersCreated"] > 500, run
    yield tenant, integration_id
    sandbox.reset(PROVIDER)


async def test_synced_orders_are_posted_balanced_once_and_changes_reverse(client, runtime, sandbox, woo) -> None:
    tenant, iid = woo
    first = await post_everything(runtime)
    posted = await entries_of(runtime, iid)
    kinds = Counter(e.source.kind for e in posted.values())
    assert kinds["order"] > 400 and kinds["refund"] > 0, kinds  # the sandbox's refunds are credited
    assert first.entries >= len(posted)
    assert all(e.total_minor > 0 for e in posted.values())  # balanced: the domain re-checks on load
    async with runtime.sessions() as session:
        refused = list(
            (
                await session.execute(select(LedgerPostingError).where(LedgerPostingError.integration_id == iid))
            ).scalars()
        )
    assert not [(r.source_kind, r.source_external_id, r.message) for r in refused]

    balances = (await client.get("/v1/ledger/trial-balance", headers=tenant.headers)).json()["data"]
    # One per shop currency (the store books in USD; buyers' currencies stay on the receivable lines).
    assert [tb["currency"] for tb in balances] == ["USD"]
    for tb in balances:
        assert tb["balanced"] and tb["totalDebitsMinor"] == tb["totalCreditsMinor"] > 0, tb
        receivable = next(r for r in tb["rows"] if r["account"] == "1100")
        assert receivable["name"] == "Accounts receivable" and receivable["debitMinor"] > 0

    # Re-synced and re-posted: nothing new.
    again = await sync(client, runtime, tenant.headers, iid, "orders", syncType="full", batchSize=100)
    assert again["ordersUpdated"] == 0
    await post_everything(runtime)
    assert await entries_of(runtime, iid) == posted

    # Cancelled upstream: the order's entry is reversed (as are its refunds' credits), nothing edited.
    sandbox.control(PROVIDER, "POST", f"/_sandbox/orders/{CHANGED}/touch", json={"status": "cancelled"})
    await sync(client, runtime, tenant.headers, iid, "orders")
    await post_everything(runtime)
    after_cancel = await entries_of(runtime, iid)
    assert {k: after_cancel[k] for k in posted} == posted  # the originals, untouched
    (original,) = [e for e in posted.values() if e.source.document == (iid, "order", CHANGED)]
    new = [e for k, e in after_cancel.items() if k not in posted]
    assert [e.reverses for e in new if e.source.kind == "order"] == [original.id]
    assert all(e.reverses for e in new)

    # Reopened upstream: posted again as a new entry that supersedes the original.
    sandbox.control(PROVIDER, "POST", f"/_sandbox/orders/{CHANGED}/touch", json={"status": "processing"})
    await sync(client, runtime, tenant.headers, iid, "orders")
    await post_everything(runtime)
    reopened = [e for k, e in (await entries_of(runtime, iid)).items() if k not in after_cancel]
    (again_posted,) = [e for e in reopened if e.source.kind == "order"]
    assert again_posted.reverses is None and original.id in again_posted.supersedes
    assert again_posted.lines == original.lines and again_posted.id != original.id

    listed = await pages(client, f"/v1/ledger/journal-entries?integrationId={iid}&source=order", tenant.headers)
    history = [e for e in listed if e["source"]["externalId"] == CHANGED]
    assert len(history) == 3 and {e["source"]["eventId"][:4] for e in history} == {"evt_"}
    assert all(
        sum(ln["debitMinor"] for ln in e["lines"]) == sum(ln["creditMinor"] for ln in e["lines"]) for e in listed
    )
    for tb in (await client.get("/v1/ledger/trial-balance", headers=tenant.headers)).json()["data"]:
        assert tb["balanced"], tb


async def test_journal_api_filters_scopes_and_isolation(client, runtime, key_for, woo) -> None:
    tenant, iid = woo
    await post_everything(runtime)
    headers = tenant.headers
    everything = (await client.get("/v1/ledger/journal-entries?limit=5", headers=headers)).json()
    total = everything["pagination"]["total"]
    assert total > 400 and everything["pagination"]["hasMore"] and len(everything["data"]) == 5
    entry = everything["data"][0]
    assert set(entry) >= {"id", "date", "currency", "source", "lines"}
    assert set(entry["source"]) >= {"integrationId", "kind", "externalId", "event"}
    line = entry["lines"][0]
    assert set(line) >= {"account", "debitMinor", "creditMinor", "debit", "credit", "memo"}

    async def count(query: str) -> int:
        body = (await client.get(f"/v1/ledger/journal-entries?limit=1&{query}", headers=headers)).json()
        assert body["success"], body
        return int(body["pagination"]["total"])

    orders, refunds = await count("source=order"), await count("source=refund")
    assert orders + refunds == total and refunds > 0
    assert await count(f"integrationId={iid}") == total and await count("integrationId=int_unknown") == 0
    returns = await pages(client, "/v1/ledger/journal-entries?account=4600", headers)
    assert returns and all(any(ln["account"] == "4600" for ln in e["lines"]) for e in returns)
    dates = sorted(e["date"] for e in await pages(client, "/v1/ledger/journal-entries?source=order", headers))
    middle = dates[len(dates) // 2]
    early, late = await count(f"to={middle}"), await count(f"from={middle}")
    on_the_day = await count(f"from={middle}&to={middle}")
    assert early + late - on_the_day == total and 0 < on_the_day < total
    assert await count("currency=USD") == total and await count("currency=EUR") == 0
    foreign = [e for e in returns + everything["data"] if any("fx" in ln for ln in e["lines"])]
    assert all(ln["fx"]["currency"] != "USD" for e in foreign for ln in e["lines"] if "fx" in ln)
    usd_tb = (await client.get("/v1/ledger/trial-balance?currency=USD", headers=headers)).json()["data"]
    assert [tb["currency"] for tb in usd_tb] == ["USD"] and usd_tb[0]["balanced"]
    dated_tb = (await client.get(f"/v1/ledger/trial-balance?to={middle}", headers=headers)).json()["data"]
    assert all(tb["balanced"] for tb in dated_tb)
    assert_error(
        await client.get("/v1/ledger/journal-entries?from=yesterday", headers=headers), 400, "VALIDATION_ERROR"
    )

    # Scopes: read:ledger reads; other scopes do not.
    orders_only = {"X-API-Key": await key_for(tenant, ["read:orders"])}
    for path in (
        "/journal-entries",
        "/trial-balance",
        "/accounts",
        "/reconciliation",
        f"/journal-entries/{entry['id']}",
    ):
        error = assert_error(await client.get(f"/v1/ledger{path}", headers=orders_only), 403, "INSUFFICIENT_SCOPE")
        assert "read:ledger" in error["message"]
    reader = {"X-API-Key": await key_for(tenant, ["read:ledger"])}
    assert (await client.get(f"/v1/ledger/journal-entries/{entry['id']}", headers=reader)).status_code == 200

    # Another workspace sees none of it; an entry of this one is NOT_FOUND there.
    other = await make_tenant(runtime)
    theirs = (await client.get("/v1/ledger/journal-entries", headers=other.headers)).json()
    assert theirs["pagination"]["total"] == 0
    assert (await client.get("/v1/ledger/trial-balance", headers=other.headers)).json()["data"] == []
    assert_error(await client.get(f"/v1/ledger/journal-entries/{entry['id']}", headers=other.headers), 404, "NOT_FOUND")
    recon = (await client.get("/v1/ledger/reconciliation", headers=headers)).json()
    assert recon["success"] and recon["data"] == [] and recon["pagination"]["total"] == 0  # no payouts stored yet


async def test_a_mapping_to_an_unknown_account_is_recorded_then_retried(client, runtime, sandbox) -> None:
    sandbox.reset(PROVIDER)
    tenant = await make_tenant(runtime)
    iid = await setup_store(client, tenant.headers, PROVIDER, sandbox.credentials(PROVIDER))
    patched = await client.patch(
        f"/v1/integrations/{iid}", headers=tenant.headers, json={"mapping": {"shippingAccount": "4150"}}
    )
    assert patched.status_code == 200, patched.text
    run = await sync(client, runtime, tenant.headers, iid, "orders", batchSize=100)
    await post_everything(runtime)

    errors = (
        await client.get(f"/v1/ledger/posting-errors?integrationId={iid}&limit=250", headers=tenant.headers)
    ).json()
    assert errors["pagination"]["total"] >= run["ordersCreated"]  # every order (and refund) refused
    first = errors["data"][0]
    assert first["code"] == "CONFIGURATION_ERROR" and "shippingAccount" in first["message"], first
    assert first["eventId"].startswith("evt_") and first["attempts"] == 1
    assert (await client.get("/v1/ledger/journal-entries", headers=tenant.headers)).json()["pagination"]["total"] == 0

    # The account is added; the refused documents post on the job's next retry of them.
    added = await client.post(
        "/v1/ledger/accounts", headers=tenant.headers, json={"code": "4150", "name": "Carriage", "type": "revenue"}
    )
    assert added.status_code == 201, added.text
    async with runtime.sessions.begin() as session:
        await session.execute(
            text(
                "UPDATE ledger_posting_errors SET last_failed_at = now() - interval '1 hour' WHERE integration_id = :i"
            ),
            {"i": iid},
        )
    for _ in range(20):
        if not (await post_pending(runtime)).documents:
            break
    left = (await client.get(f"/v1/ledger/posting-errors?integrationId={iid}", headers=tenant.headers)).json()
    assert left["pagination"]["total"] == 0, left["data"][:3]
    shipped = (await client.get("/v1/ledger/journal-entries?account=4150&limit=1", headers=tenant.headers)).json()
    assert shipped["pagination"]["total"] > 0
    line = next(ln for ln in shipped["data"][0]["lines"] if ln["account"] == "4150")
    assert line["creditMinor"] > 0 and line["memo"] == "shipping"
    sandbox.reset(PROVIDER)
