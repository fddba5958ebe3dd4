"""Gateway money to the books, against the Stripe sandbox: the account's charges, refunds, disputes,
fees and payouts synced, then posted (books/gateway_job.py): every kind is journaled, every entry
balances, the trial balance per currency is balanced, a second run posts nothing, and the clearing
account nets, per currency, to what the synced rows moved (charges - fees - refunds - chargebacks -
payouts), with one charge's lines checked by hand."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from ledgerlink.books import gateway, store
from ledgerlink.books.context import posting_context
from ledgerlink.books.gateway_job import post_gateway_pending
from ledgerlink.ledger.account_map import AccountMap
from ledgerlink.ledger.accounts import AccountRole, default_chart
from ledgerlink.ledger.context import PostingContext
from ledgerlink.ledger.errors import PostingError
from ledgerlink.ledger.gateway_posting import post_gateway_refund
from ledgerlink.ledger.settings import LedgerSettings
from ledgerlink.models import BalanceEntry, Integration, LedgerPostingError, Payment
from ledgerlink.models import JournalEntry as EntryRow
from tests.test_sync_stripe import stripe, stripe_sandbox, sync_payments  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow


async def test_synced_stripe_money_is_journaled_balanced_and_once(client, runtime, stripe) -> None:  # noqa: F811
    tenant, iid = stripe
    done = await sync_payments(client, runtime, tenant.headers, iid, batchSize=50)
    assert done["paymentsCreated"] > 0, done

    first = await post_gateway_pending(runtime, batch=40)  # several batches
    assert first.failed == 0 and first.entries > 0, first

    async with runtime.sessions() as session:
        rows = list((await session.execute(select(EntryRow).where(EntryRow.integration_id == iid))).scalars())
        entries = await store.entries_by_id(session, rows)
        payments = list((await session.execute(select(Payment).where(Payment.integration_id == iid))).scalars())
        fees = list(
            (
                await session.execute(
                    select(BalanceEntry).where(BalanceEntry.integration_id == iid, BalanceEntry.kind == "fee")
                )
            ).scalars()
        )
        errors = (
            await session.execute(select(LedgerPostingError).where(LedgerPostingError.integration_id == iid))
        ).all()
        integration = await session.get(Integration, iid)
        assert integration is not None
        clearing = (await posting_context(session, integration)).account(AccountRole.CLEARING)
    assert not errors

    # Every kind of gateway money is journaled, one entry per settled row.
    kinds = Counter(e.source.kind for e in entries)
    for kind in ("charge", "gateway_refund", "chargeback", "payout"):
        assert kinds[kind] > 0, kinds
    succeeded = Counter(p.kind for p in payments if p.kind in ("charge", "refund") and p.status == "succeeded")
    assert kinds["charge"] == succeeded["charge"]
    assert kinds["gateway_refund"] == succeeded["refund"]
    assert kinds["payout"] == sum(p.kind == "payout" and p.status == "paid" for p in payments)
    assert kinds["processor_fee"] == sum(f.net != 0 for f in fees)
    assert all(e.reverses is None for e in entries)
    fee_lines = sum(1 for e in entries if e.source.kind == "charge" for line in e.lines if "fee" in line.memo)
    assert fee_lines > 0  # charges' processor fees

    # A dispute won before it was posted leaves only its fee: withdrawal and reinstatement net out.
    won = [p for p in payments if p.kind == "chargeback" and p.status == "won" and p.settlement_amount == 0]
    assert won
    for dispute in won:
        posted_dispute = next(e for e in entries if e.source.external_id == dispute.external_id)
        assert sorted(line.debit_minor + line.credit_minor for line in posted_dispute.lines) == [
            dispute.settlement_fee,
            dispute.settlement_fee,
        ]

    # Every entry balances, and so does the trial balance of each currency.
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for entry in entries:
        assert sum(line.debit_minor for line in entry.lines) == sum(line.credit_minor for line in entry.lines) > 0
        totals[entry.currency][0] += sum(line.debit_minor for line in entry.lines)
        totals[entry.currency][1] += sum(line.credit_minor for line in entry.lines)
    assert all(debits == credits for debits, credits in totals.values()), totals

    # A second run posts nothing.
    again = await post_gateway_pending(runtime)
    assert (again.entries, again.failed) == (0, 0), again

    # The clearing account nets to charges - fees - refunds - chargebacks - payouts, per currency.
    posted: dict[str, int] = defaultdict(int)
    for entry in entries:
        for line in entry.lines:
            if line.account == clearing:
                posted[entry.currency] += line.debit_minor - line.credit_minor
    expected: dict[str, int] = defaultdict(int)
    for p in payments:
        if (p.kind in ("charge", "refund") and p.status == "succeeded") or p.kind == "chargeback":
            if p.settlement_net is not None:
                expected[p.settlement_currency] += p.settlement_net  # signed as the balance moved, fee off
        elif p.kind == "payout" and p.status == "paid":
            expected[p.currency] -= p.amount
    for f in fees:
        expected[f.currency] += f.net
    assert {c: v for c, v in posted.items() if v} == {c: v for c, v in expected.items() if v}

    # One currency by hand, from the rows themselves.
    currency = max(posted, key=lambda c: kinds_in(entries, c))
    charges = [
        p for p in payments if p.kind == "charge" and p.status == "succeeded" and p.settlement_currency == currency
    ]
    refunds = [
        p for p in payments if p.kind == "refund" and p.status == "succeeded" and p.settlement_currency == currency
    ]
    disputes = [p for p in payments if p.kind == "chargeback" and p.settlement_currency == currency]
    paid = [p for p in payments if p.kind == "payout" and p.status == "paid" and p.currency == currency]
    by_hand = (
        sum(p.settlement_amount for p in charges)
        - sum(p.settlement_fee for p in charges)
        - sum(-p.settlement_amount + p.settlement_fee for p in refunds)
        - sum(-p.settlement_amount + p.settlement_fee for p in disputes)
        - sum(-f.net for f in fees if f.currency == currency)
        - sum(p.amount for p in paid)
    )
    assert posted[currency] == by_hand

    # And one charge's lines, figure by figure.
    charge = next(p for p in charges if p.settlement_fee)
    entry = next(e for e in entries if e.source.kind == "charge" and e.source.external_id == charge.external_id)
    customer = AccountRole.RECEIVABLE if charge.order_external_id else AccountRole.UNAPPLIED_CASH
    async with runtime.sessions() as session:
        ctx = await posting_context(session, integration)
    assert entry.currency == charge.settlement_currency
    assert [(line.account, line.debit_minor, line.credit_minor) for line in entry.lines] == [
        (clearing, charge.settlement_amount, 0),
        (ctx.account(customer), 0, charge.settlement_amount),
        (ctx.account(AccountRole.PROCESSOR_FEES), charge.settlement_fee, 0),
        (clearing, 0, charge.settlement_fee),
    ]


def kinds_in(entries, currency: str) -> int:
    """How many kinds of gateway money a currency's entries cover (the busiest currency is checked)."""
    return len({e.source.kind for e in entries if e.currency == currency})


def _row(**values):
    base = {
        "external_id": "x_1",
        "processed_at": datetime(2026, 1, 2, tzinfo=UTC),
        "order_external_id": None,
        "status": "succeeded",
        "amount": 1000,
        "currency": "USD",
        "captured_amount": None,
        "settlement_amount": None,
        "settlement_currency": None,
        "settlement_fee": None,
    }
    return type("Row", (), {**base, **values})()


def test_the_adapter_turns_signs_and_settles_by_status() -> None:
    refund = gateway.from_payment(
        _row(kind="refund", status="pending", settlement_amount=-500, settlement_currency="EUR", settlement_fee=0)
    )
    assert (type(refund).__name__, refund.amount_minor, refund.currency, refund.settled) == (
        "GatewayRefund",
        500,
        "EUR",
        False,
    )
    lost = gateway.from_payment(
        _row(kind="chargeback", status="lost", settlement_amount=-1000, settlement_currency="USD", settlement_fee=1500)
    )
    assert (lost.amount_minor, lost.fee_minor, lost.reinstated) == (1000, 1500, False)
    won = gateway.from_payment(
        _row(kind="chargeback", status="won", settlement_amount=0, settlement_currency="USD", settlement_fee=1500)
    )
    assert (won.amount_minor, won.fee_minor, won.reinstated) == (0, 1500, False)  # only the fee stays
    back = gateway.from_payment(
        _row(kind="chargeback", status="won", settlement_amount=200, settlement_currency="USD", settlement_fee=-100)
    )
    assert (back.amount_minor, back.fee_minor, back.reinstated) == (200, 100, True)
    payout = gateway.from_payment(_row(kind="payout", status="in_transit", amount=-300))
    assert (payout.amount_minor, payout.settled) == (-300, False)
    fee = type("Row", (), {"external_id": "txn_1", "currency": "USD", "net": -250, "source_external_id": "111-2"})
    fee.occurred_at = datetime(2026, 1, 2, tzinfo=UTC)
    stripe_fee, amazon_fee = gateway.from_fee_entry(fee, "stripe"), gateway.from_fee_entry(fee, "amazon")
    assert (type(stripe_fee).__name__, stripe_fee.amount_minor, stripe_fee.order_external_id) == (
        "ProcessorFee",
        250,
        None,
    )
    assert (type(amazon_fee).__name__, amazon_fee.amount_minor, amazon_fee.order_external_id) == (
        "MarketplaceFee",
        250,
        "111-2",
    )
    with pytest.raises(PostingError):
        gateway.from_payment(_row(kind="charge", settlement_amount=1000, settlement_currency="USD", settlement_fee=-5))


def test_a_refund_that_returns_part_of_the_fee_posts_the_fee_back() -> None:
    """PayPal returns part of its fee when a payment is refunded: the refund's fee is negative, and
    posts as a credit to the fee expense, the clearing account receiving it."""
    refund = gateway.from_payment(
        _row(kind="refund", settlement_amount=-2000, settlement_currency="USD", settlement_fee=-40)
    )
    assert (refund.amount_minor, refund.fee_minor, refund.settled) == (2000, -40, True)
    ctx = PostingContext("int_paypal", AccountMap.build(default_chart(), provider="paypal"), "USD", LedgerSettings())
    entry = post_gateway_refund(refund, ctx)
    assert entry is not None
    clearing, fees = ctx.account(AccountRole.CLEARING), ctx.account(AccountRole.PROCESSOR_FEES)
    lines = [(line.account, line.debit_minor, line.credit_minor) for line in entry.lines]
    assert (clearing, 0, 2000) in lines and (fees, 0, 40) in lines and (clearing, 40, 0) in lines
    assert sum(d for _, d, _ in lines) == sum(c for _, _, c in lines)
