"""Posting rules on worked examples whose every figure was checked by hand (in the comments), then the
cases that break naive ledgers: 0- and 3-decimal currencies, a buyer's other currency, tax lines that
do not add up, a changed document, a refund not yet settled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from ledgerlink.canonical.money import to_minor
from ledgerlink.canonical.records import Discount, Order, OrderLine, Refund, RefundLine, ShippingLine, TaxLine
from ledgerlink.ledger.account_map import AccountMap
from ledgerlink.ledger.accounts import default_chart
from ledgerlink.ledger.context import PostingContext
from ledgerlink.ledger.entries import JournalEntry
from ledgerlink.ledger.errors import PostingError
from ledgerlink.ledger.fx import FixedRates, functional_lines
from ledgerlink.ledger.gateway_posting import post_charge, post_gateway_refund, post_payout
from ledgerlink.ledger.inputs import GatewayCharge, GatewayRefund, Payout
from ledgerlink.ledger.journal import Journal
from ledgerlink.ledger.posting import post_order, post_refund, repost_order
from ledgerlink.ledger.reconciliation import payout_item, reconcile_payout
from ledgerlink.ledger.render import decimal_string, entry_view, trial_balance_view
from ledgerlink.ledger.trial_balance import trial_balance

# The default chart's codes, by name, so the expectations read as accounts.
BANK, AR, STRIPE, TAX = "1000", "1100", "1110", "2200"
SALES, SHIPPING, DISCOUNTS, RETURNS = "4000", "4100", "4500", "4600"
FEES, ROUNDING = "6100", "6900"
CHART = default_chart()
PLACED = datetime(2024, 3, 5, 14, 0, tzinfo=UTC)
PAID = datetime(2024, 3, 5, 14, 1, tzinfo=UTC)
REFUNDED = datetime(2024, 3, 8, 9, 30, tzinfo=UTC)
PAID_OUT = datetime(2024, 3, 10, 6, 0, tzinfo=UTC)


def shop_ctx(base: str = "USD", rates: FixedRates | None = None) -> PostingContext:
    accounts = AccountMap.build(CHART, provider="shopify", mapping={"defaultTaxCode": "SST"})
    return PostingContext("int_shop", accounts, base, rates=rates)


def stripe_ctx(base: str = "USD", rates: FixedRates | None = None) -> PostingContext:
    return PostingContext("int_stripe", AccountMap.build(CHART, provider="stripe"), base, rates=rates)


def rows(entry: JournalEntry | None) -> list[tuple[str, int, int]]:
    assert entry is not None
    return [(line.account, line.debit_minor, line.credit_minor) for line in entry.lines]


def tax(title: str, rate: str, amount: int, *, included: bool = False) -> TaxLine:
    return TaxLine(
        title=title, rate=Decimal(rate), amount=amount, presentment_amount=amount, price_includes_tax=included
    )


def line(external_id: str, qty: int, unit: int, taxes: tuple[TaxLine, ...], discount: int = 0) -> OrderLine:
    return OrderLine(
        external_id=external_id,
        title=f"Item {external_id}",
        quantity=qty,
        unit_price=unit,
        unit_price_presentment=unit,
        discount=discount,
        discount_presentment=discount,
        tax_lines=taxes,
    )


def order(
    currency: str, lines: tuple[OrderLine, ...], *, ship: ShippingLine | None = None, **totals: int | bool
) -> Order:
    """An order in one currency (presentment = shop) with its headline totals as given."""
    subtotal, discount, carriage, tax_, total = (
        totals.pop(k, 0) for k in ("subtotal", "discount", "shipping", "tax", "total")
    )
    return Order(
        external_id="1001",
        number="#1001",
        currency=currency,
        presentment_currency=currency,
        taxes_included=bool(totals.pop("taxes_included", False)),
        subtotal=subtotal,
        subtotal_presentment=subtotal,
        discount=discount,
        discount_presentment=discount,
        shipping=carriage,
        shipping_presentment=carriage,
        tax=tax_,
        tax_presentment=tax_,
        total=total,
        total_presentment=total,
        placed_at=PLACED,
        lines=lines,
        shipping_lines=(ship,) if ship else (),
        discounts=(Discount(code="SAVE", amount=discount, presentment_amount=discount),) if discount else (),
    )


def shipping_line(amount: int, taxes: tuple[TaxLine, ...] = ()) -> ShippingLine:
    return ShippingLine(title="Standard", amount=amount, presentment_amount=amount, tax_lines=taxes)


def refund_of_line(external_id: str, amount: int, tax_amount: int, total: int) -> Refund:
    refunded = RefundLine(
        line_external_id=external_id,
        quantity=1,
        amount=amount,
        presentment_amount=amount,
        tax_amount=tax_amount,
        tax_presentment_amount=tax_amount,
    )
    return Refund(external_id="rf_1", processed_at=REFUNDED, amount=total, presentment_amount=total, lines=(refunded,))


@dataclass
class WorkedExample:
    order: Order
    refund: Refund
    currency: str
    fee: int  # Stripe: 2.9 % + 30 minor units of the total, to the cent
    payout: int
    order_rows: list[tuple[str, int, int]]
    credit_rows: list[tuple[str, int, int]]
    balances: dict[str, tuple[int, int]]  # account -> (debits, credits) over every entry


# US shop, tax-exclusive prices, 8.25 % sales tax on goods (shipping untaxed):
#   line A: 2 x 40.00 = 80.00, less a 10.00 code discount -> 70.00 taxable; tax 70.00 x 8.25 % = 5.775 -> 5.78
#   line B: 1 x 25.00 = 25.00;                                            tax 25.00 x 8.25 % = 2.0625 -> 2.06
#   subtotal 105.00 - discount 10.00 + shipping 10.00 + tax 7.84 = total 112.84
#   invoice: Dr AR 112.84 + Dr discounts 10.00 = 122.84 = Cr sales 105.00 + shipping 10.00 + tax 7.84
#   Stripe fee: 112.84 x 2.9 % = 3.27236, + 0.30 = 3.57236 -> 3.57
#   refund of line B with its tax: 25.00 + 2.06 = 27.06
#   payout: 112.84 - 3.57 - 27.06 = 82.21
US = WorkedExample(
    order=order(
        "USD",
        (
            line("A", 2, 4000, (tax("CA State Tax", "0.0825", 578),), discount=1000),
            line("B", 1, 2500, (tax("CA State Tax", "0.0825", 206),)),
        ),
        ship=shipping_line(1000),
        subtotal=10500,
        discount=1000,
        shipping=1000,
        tax=784,
        total=11284,
    ),
    refund=refund_of_line("B", 2500, 206, 2706),
    currency="USD",
    fee=357,
    payout=8221,
    order_rows=[(AR, 11284, 0), (DISCOUNTS, 1000, 0), (SALES, 0, 10500), (SHIPPING, 0, 1000), (TAX, 0, 784)],
    credit_rows=[(RETURNS, 2500, 0), (TAX, 206, 0), (AR, 0, 2706)],
    # AR: 112.84 + 27.06 in, 112.84 + 27.06 out; Stripe clearing: 112.84 in, 3.57 + 27.06 + 82.21 = 112.84 out;
    # tax: 7.84 collected, 2.06 given back -> 5.78 owed.
    balances={
        BANK: (8221, 0),
        AR: (13990, 13990),
        STRIPE: (11284, 11284),
        TAX: (206, 784),
        SALES: (0, 10500),
        SHIPPING: (0, 1000),
        DISCOUNTS: (1000, 0),
        RETURNS: (2500, 0),
        FEES: (357, 0),
    },
)

# UK shop, tax-inclusive prices, 20 % VAT on goods and shipping (tax = gross / 6):
#   line A: 2 x 48.00 = 96.00, less 12.00 discount -> 84.00 gross; VAT 84.00 / 6 = 14.00
#   line B: 1 x 29.99 gross;                              VAT 29.99 / 6 = 4.998 -> 5.00
#   shipping 6.00 gross;                                  VAT 6.00 / 6 = 1.00
#   total = subtotal 125.99 - discount 12.00 + shipping 6.00 = 119.99 (VAT 20.00 inside it)
#   taking VAT out: goods VAT 19.00 on 113.99 gross after discount; the discount's share of it is
#   12.00 x 19.00 / 113.99 = 2.0002 -> 2.00, so discounts net 10.00 and sales net 125.99 - 19.00 - 2.00 = 104.99;
#   shipping net 6.00 - 1.00 = 5.00. Check: Dr 119.99 + 10.00 = 129.99 = Cr 104.99 + 5.00 + 20.00.
#   Stripe fee: 119.99 x 2.9 % = 3.47971, + 0.30 = 3.77971 -> 3.78
#   refund of line B with its VAT: 29.99 gross = 24.99 net + 5.00 VAT; payout 119.99 - 3.78 - 29.99 = 86.22
UK = WorkedExample(
    order=order(
        "GBP",
        (
            line("A", 2, 4800, (tax("VAT", "0.20", 1400, included=True),), discount=1200),
            line("B", 1, 2999, (tax("VAT", "0.20", 500, included=True),)),
        ),
        ship=shipping_line(600, (tax("VAT", "0.20", 100, included=True),)),
        subtotal=12599,
        discount=1200,
        shipping=600,
        tax=2000,
        total=11999,
        taxes_included=True,
    ),
    refund=refund_of_line("B", 2999, 500, 2999),
    currency="GBP",
    fee=378,
    payout=8622,
    order_rows=[(AR, 11999, 0), (DISCOUNTS, 1000, 0), (SALES, 0, 10499), (SHIPPING, 0, 500), (TAX, 0, 2000)],
    credit_rows=[(RETURNS, 2499, 0), (TAX, 500, 0), (AR, 0, 2999)],
    balances={
        BANK: (8622, 0),
        AR: (14998, 14998),
        STRIPE: (11999, 11999),
        TAX: (500, 2000),
        SALES: (0, 10499),
        SHIPPING: (0, 500),
        DISCOUNTS: (1000, 0),
        RETURNS: (2499, 0),
        FEES: (378, 0),
    },
)


@pytest.mark.parametrize("example", [US, UK], ids=["us-tax-exclusive", "uk-vat-inclusive"])
def test_worked_example_order_payment_partial_refund_payout(example: WorkedExample) -> None:
    shop, stripe = shop_ctx(example.currency), stripe_ctx(example.currency)
    total, refunded = example.order.total, example.refund.amount
    charge = GatewayCharge(
        external_id="ch_1",
        currency=example.currency,
        amount_minor=total,
        fee_minor=example.fee,
        occurred_at=PAID,
        order_external_id="1001",
    )
    gateway_refund = GatewayRefund(
        external_id="re_1",
        currency=example.currency,
        amount_minor=refunded,
        occurred_at=REFUNDED,
        order_external_id="1001",
    )
    payout = Payout(external_id="po_1", currency=example.currency, amount_minor=example.payout, occurred_at=PAID_OUT)

    invoice = post_order(example.order, shop)
    payment = post_charge(charge, stripe)
    credit_note = post_refund(example.order, example.refund, shop, settled=True)
    refund_out = post_gateway_refund(gateway_refund, stripe)
    transfer = post_payout(payout, stripe)

    assert rows(invoice) == example.order_rows
    assert rows(payment) == [(STRIPE, total, 0), (AR, 0, total), (FEES, example.fee, 0), (STRIPE, 0, example.fee)]
    assert rows(credit_note) == example.credit_rows
    assert rows(refund_out) == [(AR, refunded, 0), (STRIPE, 0, refunded)]
    assert rows(transfer) == [(BANK, example.payout, 0), (STRIPE, 0, example.payout)]
    assert total - example.fee - refunded == example.payout

    entries = [e for e in (invoice, payment, credit_note, refund_out, transfer) if e is not None]
    assert [e.date for e in entries] == [
        date(2024, 3, 5),
        date(2024, 3, 5),
        date(2024, 3, 8),
        date(2024, 3, 8),
        date(2024, 3, 10),
    ]
    assert all(e.base is None and e.currency == example.currency for e in entries)
    balance = trial_balance(entries, example.currency, CHART)
    assert {r.account: (r.debit_minor, r.credit_minor) for r in balance.rows} == example.balances
    assert balance.balanced and balance.total_debits_minor == sum(d for d, _ in example.balances.values())
    assert balance.row(STRIPE).balance_minor == 0 and balance.row(AR).balance_minor == 0  # type: ignore[union-attr]

    # The payout holds the charge (net of its fee) and the refund, and matches the books.
    contained = [payout_item(charge), payout_item(gateway_refund)]
    result = reconcile_payout(payout, contained, recorded=contained)
    assert result.reconciled and result.items_net_minor == example.payout and len(result.matched) == 2


def test_the_api_view_of_an_entry_and_a_trial_balance() -> None:
    invoice = post_order(US.order, shop_ctx())
    assert invoice is not None
    view = entry_view(invoice)
    assert view["source"] == {
        "integration": "int_shop",
        "event": "order",
        "externalId": "1001",
        "version": invoice.source.version,
    }
    assert view["lines"][0] == {
        "account": AR,
        "debitMinor": 11284,
        "creditMinor": 0,
        "debit": "112.84",
        "credit": "0.00",
        "memo": "Order #1001",
    }
    assert view["lines"][4]["memo"] == "tax SST: CA State Tax 8.25%"
    assert view["id"].startswith("je_") and view["rateToBase"] == "1"
    tb = trial_balance_view(trial_balance([invoice], "USD", CHART))
    assert (tb["totalDebitsMinor"], tb["totalCredits"], tb["balanced"]) == (12284, "122.84", True)
    assert tb["rows"][0]["name"] == "Accounts receivable"


def test_jpy_has_no_decimals_and_keeps_its_rate_to_the_base_currency() -> None:
    # Japan, tax-inclusive 10 % consumption tax: goods 3,300 yen (tax 300), shipping 550 yen (tax 50).
    # Sales 3,000, shipping 500, tax 350, total 3,850 yen.
    jpy_order = order(
        "JPY",
        (line("A", 1, to_minor("3300", "JPY"), (tax("JCT", "0.10", 300, included=True),)),),
        ship=shipping_line(550, (tax("JCT", "0.10", 50, included=True),)),
        subtotal=3300,
        shipping=550,
        tax=350,
        total=3850,
        taxes_included=True,
    )
    ctx = shop_ctx("USD", FixedRates({"JPY": "0.0067"}))
    invoice = post_order(jpy_order, ctx)
    assert rows(invoice) == [(AR, 3850, 0), (SALES, 0, 3000), (SHIPPING, 0, 500), (TAX, 0, 350)]
    assert invoice is not None and invoice.currency == "JPY"
    assert (invoice.base.currency, invoice.base.rate) == ("USD", Decimal("0.0067"))  # type: ignore[union-attr]
    assert entry_view(invoice)["lines"][0]["debit"] == "3850" and decimal_string(3850, "JPY") == "3850"
    # In dollars, each line rounded half-even: 3850 x 0.0067 = 25.795 -> 25.80; 3000 -> 20.10;
    # 500 -> 3.35; 350 -> 2.345 -> 2.34. Debits 25.80 vs credits 25.79: the cent goes on a rounding line.
    functional = [(line.account, line.debit_minor, line.credit_minor) for line in functional_lines(invoice, ROUNDING)]
    assert functional == [(AR, 2580, 0), (SALES, 0, 2010), (SHIPPING, 0, 335), (TAX, 0, 234), (ROUNDING, 0, 1)]


def test_kwd_has_three_decimals() -> None:
    # Kuwait, no VAT: 12.345 KWD of goods + 1.500 shipping = 13.845 (13,845 fils); fee 0.400; payout 13.445.
    kwd_order = order(
        "KWD",
        (line("A", 1, to_minor("12.345", "KWD"), ()),),
        ship=shipping_line(to_minor("1.5", "KWD")),
        subtotal=12345,
        shipping=1500,
        total=13845,
    )
    ctx, stripe = shop_ctx("KWD"), stripe_ctx("KWD")
    invoice = post_order(kwd_order, ctx)
    charge = GatewayCharge(
        external_id="ch_k",
        currency="KWD",
        amount_minor=13845,
        fee_minor=400,
        occurred_at=PAID,
        order_external_id="1001",
    )
    payout = post_payout(Payout(external_id="po_k", currency="KWD", amount_minor=13445, occurred_at=PAID_OUT), stripe)
    assert rows(invoice) == [(AR, 13845, 0), (SALES, 0, 12345), (SHIPPING, 0, 1500)]
    assert entry_view(invoice)["lines"][0]["debit"] == "13.845"  # type: ignore[arg-type]
    assert rows(post_charge(charge, stripe)) == [(STRIPE, 13845, 0), (AR, 0, 13845), (FEES, 400, 0), (STRIPE, 0, 400)]
    assert rows(payout) == [(BANK, 13445, 0), (STRIPE, 0, 13445)]
    assert decimal_string(-400, "KWD") == "-0.400"


def test_buyers_currency_is_kept_on_the_receivable_line() -> None:
    # Shop books in EUR; the buyer paid 108.00 USD at 0.925 EUR per USD = 99.90 EUR.
    euro = US.order.model_copy(
        update={
            "currency": "EUR",
            "presentment_currency": "USD",
            "exchange_rate": Decimal("0.925"),
            "total": 9990,
            "subtotal": 9990,
            "tax": 0,
            "discount": 0,
            "shipping": 0,
            "total_presentment": 10800,
            "lines": (line("A", 1, 9990, ()),),
            "shipping_lines": (),
            "discounts": (),
        }
    )
    invoice = post_order(euro, shop_ctx("EUR"))
    assert invoice is not None and rows(invoice) == [(AR, 9990, 0), (SALES, 0, 9990)]
    fx = invoice.lines[0].fx
    assert fx is not None and (fx.currency, fx.amount_minor, fx.rate) == ("USD", 10800, Decimal("0.925"))


def test_tax_lines_that_do_not_add_up_get_an_explicit_rounding_line() -> None:
    # Two 9.99 lines at 8.25 %: each line's tax 0.824 -> 0.82 (0.82 + 0.82 = 1.64), but the source
    # taxed the order as a whole: 19.98 x 8.25 % = 1.648 -> 1.65, total 21.63. Posted as given:
    # Dr AR 21.63 against Cr sales 19.98 + Cr tax 1.64 = 21.62 -> Cr rounding 0.01.
    odd = order(
        "USD",
        (line("A", 1, 999, (tax("CA", "0.0825", 82),)), line("B", 1, 999, (tax("CA", "0.0825", 82),))),
        subtotal=1998,
        tax=165,
        total=2163,
    )
    entry = post_order(odd, shop_ctx())
    assert rows(entry) == [(AR, 2163, 0), (SALES, 0, 1998), (TAX, 0, 164), (ROUNDING, 0, 1)]
    assert entry is not None and entry.lines[-1].memo.startswith("rounding")


def test_totals_that_disagree_beyond_rounding_are_refused() -> None:
    wrong = order("USD", (line("A", 1, 999, (tax("CA", "0.0825", 82),)),), subtotal=999, tax=82, total=1581)
    with pytest.raises(PostingError, match="disagree by 500"):
        post_order(wrong, shop_ctx())


def test_a_changed_order_posts_a_reversal_and_a_new_entry() -> None:
    ctx, journal = shop_ctx(), Journal()
    document = ("int_shop", "order", "1001")
    first = post_order(US.order, ctx)
    assert first is not None
    assert journal.apply(document, first) == [first]
    assert journal.apply(document, post_order(US.order, ctx)) == []  # re-synced, unchanged: nothing
    assert post_order(US.order, ctx) == first  # same document, same entry and id

    # Shipping goes from 10.00 to 12.00 (total 114.84).
    changed = US.order.model_copy(update={"shipping": 1200, "total": 11484})
    posted = repost_order([first], changed, ctx)
    assert posted == repost_order([first], changed, ctx)  # deterministic: a retry posts the same ids
    reversal, replacement = posted
    assert reversal.reverses == first.id
    assert rows(reversal) == [(a, c, d) for a, d, c in rows(first)]
    assert replacement.supersedes == (first.id,)
    assert rows(replacement) == [
        (AR, 11484, 0),
        (DISCOUNTS, 1000, 0),
        (SALES, 0, 10500),
        (SHIPPING, 0, 1200),
        (TAX, 0, 784),
    ]
    assert journal.apply(document, post_order(changed, ctx)) == posted
    assert journal.apply(document, post_order(changed, ctx)) == []

    # Changed back: the first version again, as a new entry (the first is reversed, its id taken).
    back = journal.apply(document, post_order(US.order, ctx))
    assert [e.reverses for e in back] == [replacement.id, None]
    assert rows(back[1]) == rows(first) and back[1].id != first.id
    assert back[1].supersedes == tuple(sorted([first.id, replacement.id]))
    shipping = trial_balance(journal.entries, "USD").row(SHIPPING)
    assert shipping is not None and shipping.balance_minor == -1000  # 10.00 of shipping revenue stands

    # Cancelled: only the reversal remains to post; reopened: posted afresh under a new key.
    cancelled = US.order.model_copy(update={"status": "cancelled"})
    (gone,) = journal.apply(document, post_order(cancelled, ctx))
    assert gone.reverses == back[1].id
    assert all(r.balance_minor == 0 for r in trial_balance(journal.entries, "USD").rows)
    (reopened,) = journal.apply(document, post_order(US.order, ctx))
    assert rows(reopened) == rows(first) and reopened.id not in {first.id, back[1].id}
    assert journal.live(document) == [reopened]


def test_an_unsettled_refund_posts_nothing_yet() -> None:
    ctx, stripe = shop_ctx(), stripe_ctx()
    assert post_refund(US.order, US.refund, ctx, settled=False) is None
    pending = GatewayRefund(external_id="re_1", currency="USD", amount_minor=2706, occurred_at=REFUNDED, settled=False)
    assert post_gateway_refund(pending, stripe) is None
