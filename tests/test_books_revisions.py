"""Gateway rows that change after they were posted (books/gateway_job.py, books/revisions_store.py),
against real PostgreSQL: a charge whose amount and fee are corrected posts one reversal and one new
entry, the books then equal posting the new version alone, and running again posts nothing; a dispute
settled and later won posts the reversal of its withdrawal and its net entry; a payout that fails
after it was paid is only reversed; a re-sync that rewrites a row unchanged posts nothing."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from sqlalchemy import select, update

from ledgerlink.books import gateway, store
from ledgerlink.books.context import in_currency, posting_context
from ledgerlink.books.gateway_job import post_gateway_pending
from ledgerlink.ids import new_id
from ledgerlink.ledger.entries import JournalEntry
from ledgerlink.ledger.gateway_posting import post_event
from ledgerlink.models import Integration, Payment
from ledgerlink.models import JournalEntry as EntryRow

AT = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)


async def _integration(runtime, workspace_id: str) -> str:
    iid = new_id("int")
    async with runtime.sessions.begin() as session:
        session.add(
            Integration(
                id=iid,
                workspace_id=workspace_id,
                provider="stripe",
                name="stripe",
                status="active",
                credentials_encrypted=runtime.secrets.encrypt_json({"secretKey": "sk_test_" + "x" * 24}),
            )
        )
    return iid


async def _add(runtime, workspace_id: str, iid: str, **columns) -> str:
    row = Payment(
        id=new_id("pay"), workspace_id=workspace_id, integration_id=iid, currency="USD", processed_at=AT,
        attributes={}, **columns,
    )  # fmt: skip
    async with runtime.sessions.begin() as session:
        session.add(row)
    return row.id


async def _change(runtime, payment_id: str, **columns) -> None:
    async with runtime.sessions.begin() as session:
        await session.execute(update(Payment).where(Payment.id == payment_id).values(**columns))


async def _entries(runtime, iid: str) -> list[JournalEntry]:
    async with runtime.sessions() as session:
        query = select(EntryRow).where(EntryRow.integration_id == iid).order_by(EntryRow.created_at, EntryRow.id)
        return await store.entries_by_id(session, list((await session.execute(query)).scalars()))


async def _alone(runtime, payment_ids: list[str]) -> dict[str, int]:
    """Each account's balance had the rows, as they stand now, been posted once each."""
    net: dict[str, int] = defaultdict(int)
    async with runtime.sessions() as session:
        for payment_id in payment_ids:
            row = await session.get(Payment, payment_id)
            assert row is not None
            integration = await session.get(Integration, row.integration_id)
            event = gateway.from_payment(row)
            entry = post_event(event, in_currency(await posting_context(session, integration), event.currency))
            for line in entry.lines if entry else ():
                net[line.account] += line.net_minor
    return {a: v for a, v in net.items() if v}


async def _balances(client, headers) -> dict[str, int]:
    (tb,) = (await client.get("/v1/ledger/trial-balance", headers=headers)).json()["data"]
    assert tb["balanced"] and tb["totalDebitsMinor"] == tb["totalCreditsMinor"], tb
    return {r["account"]: r["balanceMinor"] for r in tb["rows"] if r["balanceMinor"]}


async def _run(runtime, iid: str) -> list[JournalEntry]:
    """One run of the job; the entries it posted for this integration, reversals first (one transaction
    posts them all, so their creation times tie)."""
    before = {e.id for e in await _entries(runtime, iid)}
    await post_gateway_pending(runtime)  # other tests' rows share the database: ours are checked by entry
    added = [e for e in await _entries(runtime, iid) if e.id not in before]
    return sorted(added, key=lambda e: e.reverses is None)


async def test_a_corrected_charge_posts_a_reversal_and_a_new_entry_once(client, runtime, tenant) -> None:
    iid = await _integration(runtime, tenant.workspace_id)
    settled = {"settlement_currency": "USD", "external_id": "ch_fix", "kind": "charge", "status": "succeeded"}
    charge = await _add(
        runtime, tenant.workspace_id, iid, amount=10000, settlement_amount=10000, settlement_fee=320, **settled
    )
    (first,) = await _run(runtime, iid)
    assert first.source.document == (iid, "charge", "ch_fix")
    assert await _run(runtime, iid) == []

    # Upstream corrects the amount and the fee: the original stays, a reversal and the new entry follow.
    await _change(runtime, charge, amount=12000, settlement_amount=12000, settlement_fee=380)
    reversal, replacement = await _run(runtime, iid)
    assert reversal.reverses == first.id and [ln.reversed() for ln in first.lines] == list(reversal.lines)
    assert replacement.reverses is None and replacement.supersedes == (first.id,)
    assert sorted(ln.debit_minor for ln in replacement.lines if ln.debit_minor) == [380, 12000]
    assert (await _entries(runtime, iid))[0] == first  # never edited
    assert await _balances(client, tenant.headers) == await _alone(runtime, [charge])

    # Run again, or a re-sync that rewrites the row with the same figures: nothing new.
    assert await _run(runtime, iid) == []
    await _change(runtime, charge, updated_at=datetime.now(UTC), description="re-synced")
    assert await _run(runtime, iid) == []
    assert len(await _entries(runtime, iid)) == 3


async def test_a_dispute_won_after_its_withdrawal_posted_is_reversed_to_its_fee(client, runtime, tenant) -> None:
    iid = await _integration(runtime, tenant.workspace_id)
    dispute = await _add(
        runtime, tenant.workspace_id, iid, kind="chargeback", status="needs_response", external_id="dp_1",
        amount=5000, settlement_amount=-5000, settlement_currency="USD", settlement_fee=1500,
    )  # fmt: skip
    (withdrawal,) = await _run(runtime, iid)
    assert withdrawal.total_minor == 5000 + 1500

    # Won: the funds come back (the net movement is the fee alone).
    await _change(runtime, dispute, status="won", settlement_amount=0)
    reversal, net = await _run(runtime, iid)
    assert reversal.reverses == withdrawal.id and reversal.total_minor == withdrawal.total_minor
    assert sorted(ln.debit_minor + ln.credit_minor for ln in net.lines) == [1500, 1500]
    assert await _balances(client, tenant.headers) == await _alone(runtime, [dispute])
    assert await _run(runtime, iid) == []


async def test_a_payout_failed_after_it_was_paid_is_reversed_and_a_pending_one_waits(client, runtime, tenant) -> None:
    iid = await _integration(runtime, tenant.workspace_id)
    common = {"kind": "payout", "amount": 7000}
    paid = await _add(runtime, tenant.workspace_id, iid, status="paid", external_id="po_paid", **common)
    await _add(runtime, tenant.workspace_id, iid, status="in_transit", external_id="po_wait", **common)
    (posted,) = await _run(runtime, iid)
    assert posted.source.external_id == "po_paid"

    await _change(runtime, paid, status="failed")
    (reversal,) = await _run(runtime, iid)
    assert reversal.reverses == posted.id
    assert await _balances(client, tenant.headers) == {}
    assert await _run(runtime, iid) == []
