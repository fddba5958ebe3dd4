"""The rules beyond the worked example: proforma fees and their true-up, the accounting flags,
chargebacks, marketplace fees, money with no order, batch periods and payout mismatches."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from ledgerlink.canonical.records import Order, OrderLine, Refund
from ledgerlink.ledger.account_map import AccountMap
from ledgerlink.ledger.accounts import default_chart
from ledgerlink.ledger.batches import period_bounds, summarise
from ledgerlink.ledger.context import PostingContext
from ledgerlink.ledger.entries import JournalEntry
from ledgerlink.ledger.gateway_posting import (
    post_charge,
    post_chargeback,
    post_gateway_refund,
    post_marketplace_fee,
    post_payout,
)
from ledgerlink.ledger.inputs import Chargeback, GatewayCharge, GatewayRefund, MarketplaceFee, Payout
from ledgerlink.ledger.posting import post_order, post_refund
from ledgerlink.ledger.proforma import proforma_fees
from ledgerlink.ledger.reconciliation import PayoutItem, reconcile_payout
from ledgerlink.ledger.settings import BatchPeriod, LedgerSettings
from ledgerlink.ledger.trial_balance import trial_balance

CHART = default_chart()
BANK, AR, STRIPE, AMAZON, UNAPPLIED, ACCRUED_PAY, ACCRUED_MKT = "1000", "1100", "1110", "1130", "2300", "2410", "2420"
SALES, RETURNS, FEES, MKT_FEES, CHARGEBACKS = "4000", "4600", "6100", "6200", "6300"
AT = datetime(2024, 5, 31, 23, 30, tzinfo=UTC)


def ctx(provider: str, settings: LedgerSettings | None = None) -> PostingContext:
    accounts = AccountMap.build(CHART, provider=provider)
    return PostingContext(f"int_{provider}", accounts, "USD", settings or LedgerSettings())


def rows(entry: JournalEntry | None) -> list[tuple[str, int, int]]:
    assert entry is not None
    return [(line.account, line.debit_minor, line.credit_minor) for line in entry.lines]


def simple_order(total: int, external_id: str = "9") -> Order:
    line = OrderLine(external_id="L", title="x", quantity=1, unit_price=total, unit_price_presentment=total)
    return Order(
        external_id=external_id,
        currency="USD",
        presentment_currency="USD",
        subtotal=total,
        subtotal_presentment=total,
        total=total,
        total_presentment=total,
        placed_at=AT,
        lines=(line,),
    )


def test_proforma_fees_are_estimated_on_the_order_and_trued_up_by_the_real_fees() -> None:
    settings = LedgerSettings(
        proforma_payment_cost_percentage=Decimal("2.9"), proforma_marketplace_cost_percentage=Decimal("15")
    )
    order = simple_order(10000)  # 100.00: estimates 2.90 payment, 15.00 marketplace
    assert proforma_fees(order, settings).payment_minor == 290
    assert rows(post_order(order, ctx("shopify", settings))) == [
        (AR, 10000, 0),
        (SALES, 0, 10000),
        (FEES, 290, 0),
        (ACCRUED_PAY, 0, 290),
        (MKT_FEES, 1500, 0),
        (ACCRUED_MKT, 0, 1500),
    ]
    charge = GatewayCharge(
        external_id="ch_9", currency="USD", amount_minor=10000, fee_minor=320, occurred_at=AT, order_external_id="9"
    )
    # The real fee is 3.20: the 2.90 accrual is cleared and 0.30 more goes to expense.
    assert rows(post_charge(charge, ctx("stripe"), estimated_fee_minor=290)) == [
        (STRIPE, 10000, 0),
        (AR, 0, 10000),
        (ACCRUED_PAY, 290, 0),
        (FEES, 30, 0),
        (STRIPE, 0, 320),
    ]
    # The marketplace took 14.00, less than the 15.00 estimate: 1.00 comes back off expense.
    fee = MarketplaceFee(external_id="mf_9", currency="USD", amount_minor=1400, occurred_at=AT, order_external_id="9")
    assert rows(post_marketplace_fee(fee, ctx("amazon"), estimated_fee_minor=1500)) == [
        (ACCRUED_MKT, 1500, 0),
        (MKT_FEES, 0, 100),
        (AMAZON, 0, 1400),
    ]


def test_the_accounting_flags_turn_off_invoices_and_credit_notes() -> None:
    order = simple_order(5000)
    refund = Refund(external_id="r9", processed_at=AT, amount=1000, presentment_amount=1000)
    off = LedgerSettings(sync_sales_order_invoices_to_accounting=False, sync_sales_credit_to_accounting=False)
    assert post_order(order, ctx("shopify", off)) is None
    assert post_refund(order, refund, ctx("shopify", off), settled=True) is None
    # A refund with nothing itemised is an allowance, on an explicit line.
    assert rows(post_refund(order, refund, ctx("shopify"), settled=True)) == [(RETURNS, 1000, 0), (AR, 0, 1000)]


def test_chargebacks_and_their_fees_and_a_won_dispute() -> None:
    lost = Chargeback(
        external_id="dp_1", currency="USD", amount_minor=5000, fee_minor=1500, occurred_at=AT, order_external_id="9"
    )
    assert rows(post_chargeback(lost, ctx("stripe"))) == [
        (CHARGEBACKS, 5000, 0),
        (STRIPE, 0, 5000),
        (FEES, 1500, 0),
        (STRIPE, 0, 1500),
    ]
    won = Chargeback(external_id="dp_1r", currency="USD", amount_minor=5000, occurred_at=AT, reinstated=True)
    assert rows(post_chargeback(won, ctx("stripe"))) == [(CHARGEBACKS, 0, 5000), (STRIPE, 5000, 0)]


def test_money_with_no_order_waits_in_unapplied_cash_and_payouts_can_debit_the_bank() -> None:
    charge = GatewayCharge(external_id="ch_x", currency="USD", amount_minor=700, occurred_at=AT)
    assert rows(post_charge(charge, ctx("paypal"))) == [("1120", 700, 0), (UNAPPLIED, 0, 700)]
    refund = GatewayRefund(external_id="re_x", currency="USD", amount_minor=200, fee_minor=5, occurred_at=AT)
    assert rows(post_gateway_refund(refund, ctx("paypal"))) == [
        (UNAPPLIED, 200, 0),
        ("1120", 0, 200),
        (FEES, 5, 0),
        ("1120", 0, 5),
    ]
    negative = Payout(external_id="po_neg", currency="USD", amount_minor=-900, occurred_at=AT)
    assert rows(post_payout(negative, ctx("stripe"))) == [(BANK, 0, 900), (STRIPE, 900, 0)]
    assert (
        post_payout(
            Payout(external_id="po_p", currency="USD", amount_minor=900, occurred_at=AT, settled=False), ctx("stripe")
        )
        is None
    )


def test_a_batch_period_posts_one_netted_entry_per_period_and_currency() -> None:
    shop = ctx("shopify")
    orders = [
        simple_order(1000 * n, str(n)).model_copy(update={"placed_at": datetime(2024, 5, n, tzinfo=UTC)})
        for n in (6, 7, 12, 13)
    ]
    entries = [post_order(o, shop) for o in orders]
    batches = summarise([e for e in entries if e], BatchPeriod.WEEKLY)
    # 6-7 May fall in the week of Monday 6 May, 12 May is its Sunday; 13 May starts the next week.
    assert [(b.entry.date, rows(b.entry)) for b in batches] == [
        (date(2024, 5, 12), [(AR, 25000, 0), (SALES, 0, 25000)]),
        (date(2024, 5, 19), [(AR, 13000, 0), (SALES, 0, 13000)]),
    ]
    assert [len(b.member_ids) for b in batches] == [3, 1]
    assert batches[0].entry.source.external_id == "order:weekly:2024-05-06:USD"
    assert period_bounds(date(2024, 2, 10), BatchPeriod.MONTHLY) == (date(2024, 2, 1), date(2024, 2, 29))
    assert trial_balance([b.entry for b in batches], "USD").balanced


def test_payout_mismatches_are_listed_with_amounts() -> None:
    payout = Payout(external_id="po_1", currency="USD", amount_minor=10_000, occurred_at=AT)
    contained = [
        PayoutItem("charge", "ch_1", 10_900, 320),  # the processor kept 3.20
        PayoutItem("refund", "re_1", -500),
        PayoutItem("adjustment", "adj_1", -75),
    ]
    recorded = [
        PayoutItem("charge", "ch_1", 10_900, 317),
        PayoutItem("refund", "re_1", -500),
        PayoutItem("charge", "ch_2", 2_000, 88),
    ]
    result = reconcile_payout(payout, contained, recorded)
    assert [m.external_id for m in result.matched] == ["re_1"]
    assert [
        (m.reason, m.external_id, m.expected_minor, m.actual_minor, m.difference_minor) for m in result.mismatches
    ] == [
        ("amount", "ch_1", 10_583, 10_580, -3),
        ("not_recorded", "adj_1", 0, -75, -75),
        ("not_in_payout", "ch_2", 1_912, 0, -1_912),
        ("total", "po_1", 10_005, 10_000, -5),
    ]
    assert not result.reconciled


def test_a_marketplace_order_is_owed_by_the_marketplace_so_its_fees_and_settlement_clear_it() -> None:
    """Amazon collects the buyer's 100.00, keeps a 15.00 commission and settles 85.00: its clearing
    account ends at zero, and nothing is left receivable from the customer."""
    amazon = ctx("amazon")
    order = rows(post_order(simple_order(10000, "114-1"), amazon))
    assert order == [(AMAZON, 10000, 0), (SALES, 0, 10000)]
    fee = MarketplaceFee(
        external_id="mf_1", currency="USD", amount_minor=1500, occurred_at=AT, order_external_id="114-1"
    )
    settlement = Payout(external_id="grp_1", currency="USD", amount_minor=8500, occurred_at=AT)
    entries = [order, rows(post_marketplace_fee(fee, amazon)), rows(post_payout(settlement, amazon))]
    balance: dict[str, int] = {}
    for account, debit, credit in (line for entry in entries for line in entry):
        balance[account] = balance.get(account, 0) + debit - credit
    assert balance == {AMAZON: 0, SALES: -10000, MKT_FEES: 1500, BANK: 8500}
    assert AR not in balance


def test_refunded_shipping_without_its_tax_leaves_the_difference_on_returns() -> None:
    """A refund stored before the shipping's tax was kept (migration 0010) states none: on a tax-exclusive
    order the tax it gave back is not itemised, so it stays on the explicit returns line, not on tax."""
    order = simple_order(5000)
    refund = Refund(
        external_id="r_old",
        processed_at=AT,
        amount=1080,
        presentment_amount=1080,
        shipping_amount=1000,
        shipping_presentment_amount=1000,
    )
    assert rows(post_refund(order, refund, ctx("shopify"), settled=True)) == [
        ("4610", 1000, 0),
        (RETURNS, 80, 0),
        (AR, 0, 1080),
    ]
    # With the tax stated it goes back to tax payable (the order had no tax lines: the default account).
    stated = refund.model_copy(update={"shipping_tax_amount": 80, "shipping_tax_presentment_amount": 80})
    assert rows(post_refund(order, stated, ctx("shopify"), settled=True)) == [
        ("2200", 80, 0),
        ("4610", 1000, 0),
        (AR, 0, 1080),
    ]
