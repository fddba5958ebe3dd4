"""Refunded shipping and its tax in the books: the tax goes back to the accounts the order's shipping tax
was credited to, and shipping refunds take the shipping net of it. Worked examples checked by hand (a US
tax-exclusive order with two tax authorities on their own accounts, a UK VAT-inclusive one), then a
property: however line and shipping refunds are mixed over several partial refunds, no tax account gets
back more than the order credited it, and exactly that once all the tax has gone back. Last, migration
0010 on a database of its own: the columns, and which stored orders it marks to be written again."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from alembic import command
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerlink.canonical.records import Order, Refund, RefundLine, ShippingLine, TaxLine
from ledgerlink.db import migrate
from ledgerlink.ledger.account_map import AccountMap
from ledgerlink.ledger.accounts import Account, AccountType, default_chart
from ledgerlink.ledger.context import PostingContext
from ledgerlink.ledger.entries import JournalEntry
from ledgerlink.ledger.posting import post_order, post_refund
from ledgerlink.ledger.trial_balance import trial_balance
from ledgerlink.testing import create_test_database, drop_test_database
from tests.conftest import TEST_DATA_DIR
from tests.test_ledger_posting import AR, REFUNDED, RETURNS, SALES, SHIPPING, TAX, UK, line, order, rows, shop_ctx, tax

SHIPPING_REFUNDS = "4610"
STATE_TAX, COUNTY_TAX = "2210", "2220"
CHART = default_chart().with_accounts(
    Account(STATE_TAX, "CA state sales tax payable", AccountType.LIABILITY),
    Account(COUNTY_TAX, "LA county sales tax payable", AccountType.LIABILITY),
)


def two_authorities() -> PostingContext:
    """A US shop whose state and county taxes are owed to (and booked on) separate accounts."""
    accounts = AccountMap.build(
        CHART, provider="shopify", tax_accounts={"CA State Tax": STATE_TAX, "LA County Tax": COUNTY_TAX}
    )
    return PostingContext("int_shop", accounts, "USD")


def shipping_refund(shipping: int, shipping_tax: int, total: int, lines: tuple[RefundLine, ...] = ()) -> Refund:
    return Refund(
        external_id="rf_ship",
        processed_at=REFUNDED,
        amount=total,
        presentment_amount=total,
        shipping_amount=shipping,
        shipping_presentment_amount=shipping,
        shipping_tax_amount=shipping_tax,
        shipping_tax_presentment_amount=shipping_tax,
        lines=lines,
    )


# US (Los Angeles), tax-exclusive prices; CA state tax 6 % and LA county tax 2 % on goods and shipping:
#   line A: 1 x 50.00; state 50.00 x 6 % = 3.00, county 50.00 x 2 % = 1.00
#   shipping 10.00;    state 10.00 x 6 % = 0.60, county 10.00 x 2 % = 0.20
#   subtotal 50.00 + shipping 10.00 + tax 4.80 = total 64.80
#   invoice: Dr AR 64.80 / Cr sales 50.00, Cr shipping 10.00, Cr state 3.60 (3.00 + 0.60), Cr county 1.20
#   refund of the shipping with its tax: 10.00 + 0.80 = 10.80 given back:
#   Dr state 0.60, Dr county 0.20 (the shipping's own tax lines), Dr shipping refunds 10.00 / Cr AR 10.80
US_ORDER = order(
    "USD",
    (line("A", 1, 5000, (tax("CA State Tax", "0.06", 300), tax("LA County Tax", "0.02", 100))),),
    ship=ShippingLine(
        title="Ground",
        amount=1000,
        presentment_amount=1000,
        tax_lines=(tax("CA State Tax", "0.06", 60), tax("LA County Tax", "0.02", 20)),
    ),
    subtotal=5000,
    shipping=1000,
    tax=480,
    total=6480,
)


def test_us_tax_exclusive_shipping_refund_gives_its_tax_back_to_each_authority() -> None:
    ctx = two_authorities()
    invoice = post_order(US_ORDER, ctx)
    assert rows(invoice) == [
        (AR, 6480, 0),
        (SALES, 0, 5000),
        (SHIPPING, 0, 1000),
        (STATE_TAX, 0, 360),
        (COUNTY_TAX, 0, 120),
    ]

    credit = post_refund(US_ORDER, shipping_refund(1000, 80, 1080), ctx, settled=True)
    assert rows(credit) == [(STATE_TAX, 60, 0), (COUNTY_TAX, 20, 0), (SHIPPING_REFUNDS, 1000, 0), (AR, 0, 1080)]
    assert credit is not None
    assert [ln.memo for ln in credit.lines[:3]] == [
        "tax CA STATE TAX: CA State Tax 6%",
        "tax LA COUNTY TAX: LA County Tax 2%",
        "shipping refunded",
    ]
    # Nothing lands on returns: the 0.80 is itemised now. The authorities are owed the goods' tax only.
    balance = trial_balance([e for e in (invoice, credit) if e], "USD", CHART)
    assert balance.balanced
    assert {r.account: r.balance_minor for r in balance.rows} == {
        AR: 6480 - 1080,
        SALES: -5000,
        SHIPPING: -1000,
        SHIPPING_REFUNDS: 1000,
        STATE_TAX: -300,
        COUNTY_TAX: -100,
    }


def test_us_line_and_shipping_refunded_together() -> None:
    # Line A (50.00 + 4.00 tax) and the shipping (10.00 + 0.80): 64.80, the whole order.
    returned = RefundLine(
        line_external_id="A",
        quantity=1,
        amount=5000,
        presentment_amount=5000,
        tax_amount=400,
        tax_presentment_amount=400,
    )
    refund = shipping_refund(1000, 80, 6480, (returned,))
    credit = post_refund(US_ORDER, refund, two_authorities(), settled=True)
    # Dr returns 50.00, Dr state 3.00 + 0.60, Dr county 1.00 + 0.20, Dr shipping refunds 10.00 / Cr AR 64.80
    assert rows(credit) == [
        (RETURNS, 5000, 0),
        (STATE_TAX, 360, 0),
        (COUNTY_TAX, 120, 0),
        (SHIPPING_REFUNDS, 1000, 0),
        (AR, 0, 6480),
    ]


def test_uk_vat_inclusive_shipping_refund_takes_the_vat_out_of_shipping_refunds() -> None:
    # The UK order of test_ledger_posting: shipping 6.00 gross with 1.00 VAT (20 %, gross / 6) inside it.
    # Shipping given back: 6.00 to the buyer = Dr VAT 1.00 + Dr shipping refunds 5.00 (net) / Cr AR 6.00,
    # mirroring the invoice's Cr shipping 5.00 + Cr VAT 1.00 for it.
    ctx = shop_ctx("GBP")
    credit = post_refund(UK.order, shipping_refund(600, 100, 600), ctx, settled=True)
    assert rows(credit) == [(TAX, 100, 0), (SHIPPING_REFUNDS, 500, 0), (AR, 0, 600)]

    # Line B (29.99 gross, 5.00 VAT) with the shipping: 35.99 back.
    # Dr returns 24.99 net, Dr VAT 5.00 + 1.00, Dr shipping refunds 5.00 / Cr AR 35.99.
    returned = RefundLine(
        line_external_id="B",
        quantity=1,
        amount=2999,
        presentment_amount=2999,
        tax_amount=500,
        tax_presentment_amount=500,
    )
    both = post_refund(UK.order, shipping_refund(600, 100, 3599, (returned,)), ctx, settled=True)
    assert rows(both) == [(RETURNS, 2499, 0), (TAX, 600, 0), (SHIPPING_REFUNDS, 500, 0), (AR, 0, 3599)]


def test_shipping_tax_given_only_at_order_level_goes_back_to_the_orders_tax_lines() -> None:
    # Tax-exclusive, one order-level tax line (no line or shipping tax lines): 8 % on 50.00 + 10.00 = 4.80.
    # The shipping's 0.80 goes back to that line's account; the shipping's 10.00 to shipping refunds.
    flat = US_ORDER.model_copy(
        update={
            "lines": (line("A", 1, 5000, ()),),
            "shipping_lines": (ShippingLine(title="Ground", amount=1000, presentment_amount=1000),),
            "tax_lines": (tax("CA State Tax", "0.08", 480),),
        }
    )
    credit = post_refund(flat, shipping_refund(1000, 80, 1080), two_authorities(), settled=True)
    assert rows(credit) == [(STATE_TAX, 80, 0), (SHIPPING_REFUNDS, 1000, 0), (AR, 0, 1080)]


# --- the property -----------------------------------------------------------------------------------

TITLES = {"CA State Tax": ("0.06", STATE_TAX), "LA County Tax": ("0.02", COUNTY_TAX)}


@dataclass
class History:
    order: Order  # its refunds included
    pools_left: dict[str, int]  # tax still to give back, by where it can come from


def _tax_lines(draw: st.DrawFn, max_amount: int) -> tuple[TaxLine, ...]:
    titles = draw(st.lists(st.sampled_from(sorted(TITLES)), unique=True, max_size=2))
    return tuple(tax(t, TITLES[t][0], draw(st.integers(0, max_amount))) for t in titles)


@st.composite
def histories(draw: st.DrawFn) -> History:
    """An order (tax at line and shipping level, or at order level only; either pricing) and partial
    refunds that never give back more tax, from any line or the shipping, than the order charged there."""
    includes_tax = draw(st.booleans())
    order_level = draw(st.booleans())
    lines = []
    for n in range(draw(st.integers(1, 3))):
        unit = draw(st.integers(100, 10_000))
        lines.append(line(f"L{n}", 1, unit, () if order_level else _tax_lines(draw, unit // 5)))
    carriage = draw(st.integers(0, 2_000))
    ship = ShippingLine(
        title="Ship",
        amount=carriage,
        presentment_amount=carriage,
        tax_lines=() if order_level else _tax_lines(draw, carriage // 5),
    )
    order_taxes = _tax_lines(draw, 2_000) if order_level else ()
    tax_total = sum(t.amount for t in (*order_taxes, *ship.tax_lines, *(t for ln in lines for t in ln.tax_lines)))
    subtotal = sum(ln.unit_price for ln in lines)
    total = subtotal + carriage + (0 if includes_tax else tax_total)
    base = order("USD", tuple(lines), ship=ship, subtotal=subtotal, shipping=carriage, tax=tax_total, total=total)
    base = base.model_copy(update={"taxes_included": includes_tax, "tax_lines": order_taxes})

    def pool(target: str) -> str:
        return "order" if order_level else target

    left: dict[str, int] = {"order": sum(t.amount for t in order_taxes)} if order_level else {}
    if not order_level:
        left.update({f"line:{ln.external_id}": sum(t.amount for t in ln.tax_lines) for ln in lines})
        left["shipping"] = sum(t.amount for t in ship.tax_lines)

    def take(target: str, everything: bool) -> int:
        key = pool(target)
        amount = left[key] if everything else draw(st.integers(0, left[key]))
        left[key] -= amount
        return amount

    refunds = []
    count = draw(st.integers(1, 4))
    settle_all = draw(st.booleans())  # a last refund gives back all that is left
    for k in range(count):
        everything = settle_all and k == count - 1
        returned = []
        for ln in lines:
            if not everything and not draw(st.booleans()):
                continue
            tax_back = take(f"line:{ln.external_id}", everything)
            goods = draw(st.integers(0, ln.unit_price))
            gross = goods + tax_back
            returned.append(
                RefundLine(
                    line_external_id=ln.external_id,
                    quantity=1,
                    amount=gross if includes_tax else goods,
                    presentment_amount=gross if includes_tax else goods,
                    tax_amount=tax_back,
                    tax_presentment_amount=tax_back,
                )
            )
        shipping_tax = take("shipping", everything) if everything or draw(st.booleans()) else 0
        shipping = draw(st.integers(0, carriage)) + (shipping_tax if includes_tax else 0)
        amount = sum(r.amount for r in returned) + shipping
        if not includes_tax:
            amount += sum(r.tax_amount for r in returned) + shipping_tax
        refunds.append(
            Refund(
                external_id=f"rf_{k}",
                processed_at=REFUNDED,
                amount=amount,
                presentment_amount=amount,
                shipping_amount=shipping,
                shipping_presentment_amount=shipping,
                shipping_tax_amount=shipping_tax,
                shipping_tax_presentment_amount=shipping_tax,
                lines=tuple(returned),
            )
        )
    return History(base.model_copy(update={"refunds": tuple(refunds)}), left)


def _tax_by_account(entries: list[JournalEntry]) -> dict[str, int]:
    """Debits minus credits on the tax accounts."""
    moved: dict[str, int] = {}
    for entry in entries:
        for ln in entry.lines:
            if ln.account in (STATE_TAX, COUNTY_TAX, TAX):
                moved[ln.account] = moved.get(ln.account, 0) + ln.debit_minor - ln.credit_minor
    return moved


@settings(max_examples=300, deadline=None)
@given(histories())
def test_refunds_never_give_back_more_tax_than_the_order_posted(history: History) -> None:
    ctx = two_authorities()
    invoice = post_order(history.order, ctx)
    assert invoice is not None
    credits = [post_refund(history.order, r, ctx, settled=True) for r in history.order.refunds]
    posted = [c for c in credits if c is not None]
    for entry in posted:  # balanced, and the receivable credited with what the source gave back
        assert sum(ln.debit_minor for ln in entry.lines) == sum(ln.credit_minor for ln in entry.lines)
    assert sum(ln.credit_minor - ln.debit_minor for e in posted for ln in e.lines if ln.account == AR) == sum(
        r.amount for r in history.order.refunds
    )

    charged = {account: -amount for account, amount in _tax_by_account([invoice]).items()}
    given_back = _tax_by_account(posted)
    assert all(0 <= given_back.get(a, 0) <= charged.get(a, 0) for a in {*charged, *given_back}), (charged, given_back)
    assert sum(given_back.values()) == sum(rl.tax_amount for r in history.order.refunds for rl in r.lines) + sum(
        r.shipping_tax_amount for r in history.order.refunds
    )
    if not any(history.pools_left.values()):  # all of it went back: every authority is square
        assert given_back == {a: n for a, n in charged.items() if n}
    # A refund's entry depends only on the refunds before it: posting it with the later ones unknown
    # posts the same.
    for k, refund in enumerate(history.order.refunds):
        earlier = history.order.model_copy(update={"refunds": history.order.refunds[:k]})
        assert post_refund(earlier, refund, ctx, settled=True) == credits[k]


# --- migration 0010 ----------------------------------------------------------------------------------

SEED_0009 = """
INSERT INTO workspaces (id, name) VALUES ('ws_1', 'Shop');
INSERT INTO integrations (id, workspace_id, provider, name, status, credentials_encrypted, credentials_summary,
                          settings, mapping)
VALUES ('int_s', 'ws_1', 'shopify', 'Shopify', 'active', '', '{}', '{}', '{}'),
       ('int_w', 'ws_1', 'woocommerce', 'Woo', 'active', '', '{}', '{}', '{}');
INSERT INTO orders (id, workspace_id, integration_id, status, currency, presentment_currency, taxes_included,
                    subtotal_amount, subtotal_presentment_amount, discount_amount, discount_presentment_amount,
                    shipping_amount, shipping_presentment_amount, tax_amount, tax_presentment_amount,
                    total_amount, total_presentment_amount, tags, attributes)
SELECT id, 'ws_1', integration, 'open', 'USD', 'USD', false, 5000, 5000, 0, 0, 1000, 1000, 480, 480, 6480, 6480,
       '{}', '{}'
FROM (VALUES ('ord_ship', 'int_s'), ('ord_lines', 'int_s'), ('ord_woo', 'int_w')) AS o (id, integration);
INSERT INTO refunds (id, workspace_id, order_id, amount, presentment_amount, shipping_amount,
                     shipping_presentment_amount)
VALUES ('rfd_1', 'ws_1', 'ord_ship', 1080, 1080, 1000, 1000),
       ('rfd_2', 'ws_1', 'ord_lines', 5400, 5400, 0, 0),
       ('rfd_3', 'ws_1', 'ord_woo', 1000, 1000, 1000, 1000);
INSERT INTO external_refs (id, workspace_id, integration_id, resource_type, external_id, canonical_id, payload_hash)
VALUES ('ref_1', 'ws_1', 'int_s', 'order', '1', 'ord_ship', 'h1'),
       ('ref_2', 'ws_1', 'int_s', 'order', '2', 'ord_lines', 'h2'),
       ('ref_3', 'ws_1', 'int_w', 'order', '3', 'ord_woo', 'h3'),
       ('ref_4', 'ws_1', 'int_s', 'refund', '10', 'rfd_1', 'h4');
"""


@pytest.fixture
def database_at_0009() -> Iterator[str]:
    url = create_test_database(TEST_DATA_DIR)
    try:
        migrate.upgrade(url, "0009")
        yield url
    finally:
        drop_test_database(url)


def _refund_columns(url: str) -> list[tuple[str, str | None]]:
    with psycopg.connect(url) as conn:
        found = conn.execute(
            "SELECT column_name, column_default FROM information_schema.columns "
            "WHERE table_name = 'refunds' AND column_name LIKE 'shipping_tax%' ORDER BY column_name"
        ).fetchall()
    return [(name, default) for name, default in found]


def test_migration_0010_adds_the_tax_and_marks_shopify_orders_with_refunded_shipping(database_at_0009: str) -> None:
    url = database_at_0009
    with psycopg.connect(url) as conn:
        conn.execute(SEED_0009)
    migrate.upgrade(url)
    # Both columns, with no default left behind (the models have none); existing refunds read 0.
    assert _refund_columns(url) == [("shipping_tax_amount", None), ("shipping_tax_presentment_amount", None)]
    with psycopg.connect(url) as conn:
        taxes = conn.execute(
            "SELECT id, shipping_tax_amount, shipping_tax_presentment_amount FROM refunds ORDER BY id"
        ).fetchall()
        hashes = dict(conn.execute("SELECT id, payload_hash FROM external_refs").fetchall())
    assert taxes == [("rfd_1", 0, 0), ("rfd_2", 0, 0), ("rfd_3", 0, 0)]
    # Only the Shopify order whose refund gave shipping back is to be written again on its next read.
    assert hashes == {"ref_1": "", "ref_2": "h2", "ref_3": "h3", "ref_4": "h4"}

    command.downgrade(migrate.alembic_config(url), "0009")
    assert _refund_columns(url) == []
    migrate.upgrade(url)
    assert len(_refund_columns(url)) == 2
