"""The journal in PostgreSQL: the worked example of test_ledger_posting posted through the store and read
back through the API unchanged; idempotent re-posting; a change as reversal plus new entry with the
original rows untouched; the chart of accounts API; the database's own guards."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ledgerlink.books import store
from ledgerlink.ids import new_id
from ledgerlink.ledger.account_map import AccountMap
from ledgerlink.ledger.context import PostingContext
from ledgerlink.ledger.entries import JournalEntry
from ledgerlink.ledger.gateway_posting import post_charge, post_gateway_refund, post_payout
from ledgerlink.ledger.inputs import GatewayCharge, GatewayRefund, Payout
from ledgerlink.ledger.posting import post_order, post_refund
from ledgerlink.ledger.render import entry_view
from ledgerlink.models import BalanceEntry, Integration, Payment, PayoutItem
from tests.conftest import make_tenant
from tests.helpers import assert_error
from tests.test_ledger_posting import CHART, PAID, PAID_OUT, REFUNDED, UK, US, WorkedExample

API_ONLY_SOURCE_KEYS = {"integrationId", "kind", "eventId"}


def contexts(example: WorkedExample) -> tuple[PostingContext, PostingContext]:
    """The worked example's shop and Stripe contexts, under integration ids of their own (entry ids derive
    from them, and this database is shared by every test of the session)."""
    tag = secrets.token_hex(4)
    shop = AccountMap.build(CHART, provider="shopify", mapping={"defaultTaxCode": "SST"})
    stripe = AccountMap.build(CHART, provider="stripe")
    return (
        PostingContext(f"int_shop{tag}", shop, example.currency),
        PostingContext(f"int_stripe{tag}", stripe, example.currency),
    )


def worked_entries(example: WorkedExample) -> list[JournalEntry]:
    shop, stripe = contexts(example)
    total, refunded = example.order.total, example.refund.amount
    common = {"currency": example.currency, "order_external_id": "1001"}
    entries = [
        post_order(example.order, shop),
        post_charge(
            GatewayCharge(external_id="ch_1", amount_minor=total, fee_minor=example.fee, occurred_at=PAID, **common),
            stripe,
        ),
        post_refund(example.order, example.refund, shop, settled=True),
        post_gateway_refund(
            GatewayRefund(external_id="re_1", amount_minor=refunded, occurred_at=REFUNDED, **common), stripe
        ),
        post_payout(
            Payout(external_id="po_1", currency=example.currency, amount_minor=example.payout, occurred_at=PAID_OUT),
            stripe,
        ),
    ]
    assert all(e is not None for e in entries)
    return [e for e in entries if e is not None]


async def post(runtime, workspace_id: str, entries: list[JournalEntry | None], documents=None) -> list[JournalEntry]:
    postings = [
        store.Posting(workspace_id, doc or e.source.document, e)  # type: ignore[union-attr]
        for e, doc in zip(entries, documents or [None] * len(entries), strict=True)
    ]
    async with runtime.sessions.begin() as session:
        return await store.post(session, postings)


@pytest.mark.parametrize("example", [US, UK], ids=["us-tax-exclusive", "uk-vat-inclusive"])
async def test_worked_example_through_the_store_reads_back_unchanged(client, runtime, tenant, example) -> None:
    entries = worked_entries(example)
    assert await post(runtime, tenant.workspace_id, entries) == entries
    assert await post(runtime, tenant.workspace_id, entries) == []  # re-posted: nothing new

    async with runtime.sessions() as session:
        rows = (
            await session.execute(
                text("SELECT * FROM journal_entries WHERE workspace_id = :w"), {"w": tenant.workspace_id}
            )
        ).all()
        stored = {e.id: e for e in await store.entries_by_id(session, rows)}
    assert stored == {e.id: e for e in entries}  # every field, every line, as posted

    listed = (await client.get("/v1/ledger/journal-entries?limit=250", headers=tenant.headers)).json()
    assert listed["success"] and listed["pagination"]["total"] == 5
    by_id = {v["id"]: v for v in listed["data"]}
    for entry in entries:
        view = by_id[entry.id]
        expected = entry_view(entry)
        assert set(view["source"]) - set(expected["source"]) == API_ONLY_SOURCE_KEYS
        assert view["source"]["integrationId"] == entry.source.integration_id
        assert view["source"]["kind"] == entry.source.kind and view["source"]["eventId"] is None
        view = {**view, "source": {k: v for k, v in view["source"].items() if k not in API_ONLY_SOURCE_KEYS}}
        view.pop("createdAt")
        assert view == expected
        one = (await client.get(f"/v1/ledger/journal-entries/{entry.id}", headers=tenant.headers)).json()["data"]
        assert one["lines"] == expected["lines"]

    balances = (await client.get("/v1/ledger/trial-balance", headers=tenant.headers)).json()["data"]
    assert len(balances) == 1
    (tb,) = balances
    assert tb["currency"] == example.currency and tb["balanced"] is True
    assert {r["account"]: (r["debitMinor"], r["creditMinor"]) for r in tb["rows"]} == example.balances
    assert tb["totalDebitsMinor"] == tb["totalCreditsMinor"] == sum(d for d, _ in example.balances.values())
    clearing = next(r for r in tb["rows"] if r["account"] == "1110")
    assert clearing["name"] == "Stripe clearing" and clearing["balanceMinor"] == 0 and clearing["balance"] == "0.00"
    bank = next(r for r in tb["rows"] if r["account"] == "1000")
    assert bank["debit"] == f"{example.payout / 100:.2f}"


async def test_a_change_posts_a_reversal_and_a_new_entry_and_keeps_the_original(client, runtime, tenant) -> None:
    shop, _ = contexts(US)
    first = post_order(US.order, shop)
    assert first is not None
    document = first.source.document
    assert await post(runtime, tenant.workspace_id, [first]) == [first]
    changed = post_order(US.order.model_copy(update={"shipping": 1200, "total": 11484}), shop)
    reversal, replacement = await post(runtime, tenant.workspace_id, [changed])
    assert reversal.reverses == first.id and replacement.supersedes == (first.id,)
    assert await post(runtime, tenant.workspace_id, [changed]) == []  # re-synced: nothing more
    cancelled = await post(runtime, tenant.workspace_id, [None], [document])
    assert [e.reverses for e in cancelled] == [replacement.id]

    async with runtime.sessions() as session:
        history = (await store.histories(session, [document]))[document]
    assert history[0] == first  # the original entry is untouched
    assert {e.id for e in history} == {first.id, reversal.id, replacement.id, cancelled[0].id}
    tb = (await client.get("/v1/ledger/trial-balance", headers=tenant.headers)).json()["data"][0]
    assert tb["balanced"] and all(r["balanceMinor"] == 0 for r in tb["rows"])
    reversals = (
        await client.get(
            f"/v1/ledger/journal-entries?account=4100&integrationId={shop.integration_id}", headers=tenant.headers
        )
    ).json()
    assert reversals["pagination"]["total"] == 4


async def test_the_database_refuses_edits_and_unbalanced_lines(runtime, tenant) -> None:
    shop, _ = contexts(US)
    (entry,) = await post(runtime, tenant.workspace_id, [post_order(US.order, shop)])
    for statement in (
        "UPDATE journal_entries SET memo = 'edited' WHERE id = :id",
        "UPDATE journal_lines SET debit_minor = debit_minor + 1 WHERE entry_id = :id AND position = 0",
        "INSERT INTO journal_lines (entry_id, position, account, debit_minor, credit_minor, memo)"
        " VALUES (:id, 99, '1000', 5, 0, '')",
        "INSERT INTO journal_lines (entry_id, position, account, debit_minor, credit_minor, memo)"
        " VALUES (:id, 99, '1000', 5, 5, '')",
    ):
        with pytest.raises(DBAPIError):
            async with runtime.sessions.begin() as session:
                await session.execute(text(statement), {"id": entry.id})


async def test_chart_of_accounts_is_seeded_and_editable(client, runtime, tenant, key_for) -> None:
    listed = (await client.get("/v1/ledger/accounts", headers=tenant.headers)).json()["data"]
    codes = {a["code"]: a for a in listed}
    assert set(codes) == set(CHART) and codes["4000"]["normalBalance"] == "credit"
    assert codes["4500"] == {**codes["4500"], "type": "contra-revenue", "normalBalance": "debit", "active": True}

    added = await client.post(
        "/v1/ledger/accounts", headers=tenant.headers, json={"code": "4150", "name": "Gift wrap", "type": "revenue"}
    )
    assert added.status_code == 201, added.text
    assert added.json()["data"]["id"].startswith("acct_")
    edited = await client.post(
        "/v1/ledger/accounts",
        headers=tenant.headers,
        json={"code": "4150", "name": "Gift wrapping", "type": "revenue", "active": False},
    )
    assert edited.status_code == 200 and edited.json()["data"]["name"] == "Gift wrapping"
    assert edited.json()["data"]["id"] == added.json()["data"]["id"] and edited.json()["data"]["active"] is False
    listed = (await client.get("/v1/ledger/accounts", headers=tenant.headers)).json()["data"]
    assert len(listed) == len(CHART) + 1

    bad_type = await client.post(
        "/v1/ledger/accounts", headers=tenant.headers, json={"code": "9", "name": "x", "type": "income"}
    )
    assert_error(bad_type, 400, "VALIDATION_ERROR")
    bad_code = await client.post(
        "/v1/ledger/accounts", headers=tenant.headers, json={"code": " 41", "name": "x", "type": "revenue"}
    )
    assert_error(bad_code, 400, "VALIDATION_ERROR")

    reader = {"X-API-Key": await key_for(tenant, ["read:ledger"])}
    assert (await client.get("/v1/ledger/accounts", headers=reader)).status_code == 200
    refused = await client.post(
        "/v1/ledger/accounts", headers=reader, json={"code": "4151", "name": "x", "type": "revenue"}
    )
    assert "write:ledger" in assert_error(refused, 403, "INSUFFICIENT_SCOPE")["message"]

    other = await make_tenant(runtime)
    theirs = (await client.get("/v1/ledger/accounts", headers=other.headers)).json()["data"]
    assert "4150" not in {a["code"] for a in theirs}


async def test_payout_reconciliation_lists_mismatches_with_amounts(client, runtime, tenant) -> None:
    ws, at = tenant.workspace_id, datetime(2024, 3, 10, 6, 0, tzinfo=UTC)
    iid = new_id("int")

    def payout(amount: int, external_id: str) -> Payment:
        return Payment(
            id=new_id("pay"), workspace_id=ws, integration_id=iid, kind="payout", status="paid",
            amount=amount, currency="USD", external_id=external_id, processed_at=at, attributes={},
        )  # fmt: skip

    def item(po: Payment, external_id: str, kind: str, amount: int, fee: int, n: int) -> PayoutItem:
        return PayoutItem(
            id=new_id("pay"), workspace_id=ws, integration_id=iid, payout_id=po.id, external_id=external_id,
            kind=kind, amount=amount, fee=fee, net=amount - fee, currency="USD", position=n,
        )  # fmt: skip

    def entry(external_id: str, kind: str, amount: int, fee: int) -> BalanceEntry:
        return BalanceEntry(
            id=new_id("pay"), workspace_id=ws, integration_id=iid, external_id=external_id, kind=kind,
            upstream_type=kind, amount=amount, fee=fee, net=amount - fee, currency="USD", status="available",
            occurred_at=at,
        )  # fmt: skip

    # po_1 pays out a charge (100.00 less 3.20) and a refund (20.00) = 76.80; the balance ledger recorded
    # the refund as 25.00. po_2 says 50.00 for a charge netting 51.00 that the ledger has not seen.
    po_1, po_2 = payout(7680, "po_1"), payout(5000, "po_2")
    async with runtime.sessions.begin() as session:
        session.add(
            Integration(
                id=iid,
                workspace_id=ws,
                provider="stripe",
                name="s",
                status="active",
                credentials_encrypted=runtime.secrets.encrypt_json({"secretKey": "sk_test_" + "x" * 24}),
            )
        )
        await session.flush()
        session.add_all([po_1, po_2])
        await session.flush()
        session.add_all(
            [
                item(po_1, "txn_1", "charge", 10000, 320, 0),
                item(po_1, "txn_2", "refund", -2000, 0, 1),
                item(po_1, "txn_po1", "payout", -7680, 0, 2),
                item(po_2, "txn_3", "charge", 5200, 100, 0),
                entry("txn_1", "charge", 10000, 320),
                entry("txn_2", "refund", -2500, 0),
            ]
        )

    body = (await client.get(f"/v1/ledger/reconciliation?integrationId={iid}", headers=tenant.headers)).json()
    assert body["pagination"]["total"] == 2
    views = {v["externalId"]: v for v in body["data"]}
    first, second = views["po_1"], views["po_2"]
    assert (first["payoutMinor"], first["itemsNetMinor"], first["payout"], first["matched"]) == (7680, 7680, "76.80", 1)
    assert first["reconciled"] is False
    assert first["mismatches"] == [
        {
            "reason": "amount", "kind": "refund", "externalId": "txn_2", "expectedMinor": -2500, "actualMinor": -2000,
            "differenceMinor": 500, "expected": "-25.00", "actual": "-20.00", "difference": "5.00",
        }
    ]  # fmt: skip
    assert [(m["reason"], m["externalId"], m["expectedMinor"], m["actualMinor"]) for m in second["mismatches"]] == [
        ("not_recorded", "txn_3", 0, 5100),
        ("total", "po_2", 5100, 5000),
    ]
    other = await make_tenant(runtime)
    assert (await client.get("/v1/ledger/reconciliation", headers=other.headers)).json()["data"] == []
