"""Ledger properties over generated histories: orders (tax-inclusive and -exclusive, with rounding
noise), partial refunds, payments, chargebacks, fees and payouts in currencies of 0, 2 and 3 decimals.
Every entry balances, every trial balance is zero (in each currency and in the base currency),
replaying any part of the history posts nothing new, changed orders leave one live entry each, and
batch summaries keep every account's movement."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerlink.canonical.records import Order, OrderLine, Refund, RefundLine, ShippingLine, TaxLine
from ledgerlink.ledger.account_map import AccountMap
from ledgerlink.ledger.accounts import AccountRole, default_chart
from ledgerlink.ledger.batches import summarise
from ledgerlink.ledger.context import PostingContext
from ledgerlink.ledger.entries import JournalEntry
from ledgerlink.ledger.gateway_posting import post_event
from ledgerlink.ledger.inputs import (
    Chargeback,
    GatewayCharge,
    GatewayEvent,
    GatewayRefund,
    MarketplaceFee,
    Payout,
    ProcessorFee,
)
from ledgerlink.ledger.journal import Journal
from ledgerlink.ledger.posting import post_order, post_refund
from ledgerlink.ledger.settings import BatchPeriod, LedgerSettings
from ledgerlink.ledger.trial_balance import functional_trial_balance, trial_balances

CHART = default_chart()
BASE = "USD"
RATES = {"USD": Decimal(1), "EUR": Decimal("1.0843"), "JPY": Decimal("0.006713"), "KWD": Decimal("3.2519")}
TAX_RATES = [Decimal(0), Decimal("0.05"), Decimal("0.0825"), Decimal("0.2")]
START = datetime(2024, 1, 1, tzinfo=UTC)


def _fixed_rates(currency: str, on: object) -> Decimal | None:
    return RATES.get(currency)


SETTINGS = LedgerSettings(proforma_payment_cost_percentage=Decimal("2.9"))
SHOP = PostingContext("int_shop", AccountMap.build(CHART, provider="shopify"), BASE, SETTINGS, _fixed_rates)
STRIPE = PostingContext("int_stripe", AccountMap.build(CHART, provider="stripe"), BASE, SETTINGS, _fixed_rates)
AMAZON = PostingContext("int_amazon", AccountMap.build(CHART, provider="amazon"), BASE, SETTINGS, _fixed_rates)
ROUNDING = SHOP.account(AccountRole.ROUNDING)


def _round(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_HALF_EVEN))


def _tax(amount: int, rate: Decimal, included: bool) -> int:
    return _round(amount * rate / (1 + rate)) if included else _round(amount * rate)


@dataclass
class History:
    orders: list[Order] = field(default_factory=list)
    refunds: list[tuple[Order, Refund, bool]] = field(default_factory=list)  # (order, refund, settled)
    events: list[tuple[GatewayEvent, PostingContext]] = field(default_factory=list)


@st.composite
def orders(draw: st.DrawFn, number: int) -> Order:
    currency = draw(st.sampled_from(sorted(RATES)))
    included = draw(st.booleans())
    rate = draw(st.sampled_from(TAX_RATES))
    lines, taxes = [], 0
    for i in range(draw(st.integers(1, 3))):
        unit, quantity = draw(st.integers(0, 60_000)), draw(st.integers(1, 4))
        discount = draw(st.integers(0, unit * quantity))
        line_tax = _tax(unit * quantity - discount, rate, included)
        taxes += line_tax
        tax_lines = (TaxLine(title="Tax", rate=rate, amount=line_tax, presentment_amount=line_tax),) if rate else ()
        lines.append(
            OrderLine(
                external_id=f"{number}-{i}",
                title="x",
                quantity=quantity,
                unit_price=unit,
                unit_price_presentment=unit,
                discount=discount,
                discount_presentment=discount,
                tax_lines=tax_lines,
            )
        )
    shipping = draw(st.integers(0, 3_000))
    shipping_tax = _tax(shipping, rate, included)
    taxes += shipping_tax
    ship_taxes = (
        (TaxLine(title="Tax", rate=rate, amount=shipping_tax, presentment_amount=shipping_tax),) if rate else ()
    )
    subtotal = sum(line.unit_price * line.quantity for line in lines)
    discount = sum(line.discount for line in lines)
    noise = draw(st.sampled_from([0, 0, 0, 1, -1]))  # a source whose total is a unit off its lines
    total = max(0, subtotal - discount + shipping + (0 if included else taxes) + noise)
    return Order(
        external_id=f"o{number}",
        currency=currency,
        presentment_currency=currency,
        taxes_included=included,
        subtotal=subtotal,
        subtotal_presentment=subtotal,
        discount=discount,
        discount_presentment=discount,
        shipping=shipping,
        shipping_presentment=shipping,
        tax=taxes,
        tax_presentment=taxes,
        total=total,
        total_presentment=total,
        placed_at=START + timedelta(days=draw(st.integers(0, 60))),
        lines=tuple(lines),
        shipping_lines=(ShippingLine(title="s", amount=shipping, presentment_amount=shipping, tax_lines=ship_taxes),),
    )


@st.composite
def partial_refund(draw: st.DrawFn, order: Order, number: int) -> Refund:
    line = draw(st.sampled_from(order.lines))
    tax = sum(t.amount for t in line.tax_lines) // line.quantity
    amount = line.unit_price
    extra = draw(st.integers(-50, 200))  # what the refund total does not itemise
    total = max(0, amount + (0 if order.taxes_included else tax) + extra)
    refunded = RefundLine(
        line_external_id=line.external_id,
        quantity=1,
        amount=amount,
        presentment_amount=amount,
        tax_amount=tax,
        tax_presentment_amount=tax,
    )
    when = order.placed_at + timedelta(days=draw(st.integers(0, 40)))  # type: ignore[operator]
    return Refund(
        external_id=f"r{number}", processed_at=when, amount=total, presentment_amount=total, lines=(refunded,)
    )


@st.composite
def histories(draw: st.DrawFn) -> History:
    history = History()
    for n in range(draw(st.integers(1, 4))):
        order = draw(orders(n))
        history.orders.append(order)
        when = order.placed_at + timedelta(hours=1)  # type: ignore[operator]
        money = {"currency": order.currency, "occurred_at": when, "order_external_id": order.external_id}
        fee = draw(st.integers(0, max(0, order.total // 10)))
        history.events.append(
            (GatewayCharge(external_id=f"ch{n}", amount_minor=order.total, fee_minor=fee, **money), STRIPE)
        )
        if draw(st.booleans()):
            refund = draw(partial_refund(order, n))
            settled = draw(st.booleans())
            history.refunds.append((order, refund, settled))
            history.events.append(
                (GatewayRefund(external_id=f"re{n}", amount_minor=refund.amount, settled=settled, **money), STRIPE)
            )
        if draw(st.booleans()):
            chargeback = Chargeback(
                external_id=f"dp{n}",
                amount_minor=draw(st.integers(0, order.total)),
                fee_minor=1500,
                reinstated=draw(st.booleans()),
                **money,
            )
            history.events.append((chargeback, STRIPE))
        if draw(st.booleans()):
            history.events.append(
                (ProcessorFee(external_id=f"fee{n}", amount_minor=draw(st.integers(-500, 500)), **money), STRIPE)
            )
            history.events.append(
                (MarketplaceFee(external_id=f"mf{n}", amount_minor=draw(st.integers(0, 5000)), **money), AMAZON)
            )
        payout = Payout(
            external_id=f"po{n}",
            amount_minor=draw(st.integers(-1000, order.total)),
            settled=draw(st.booleans()),
            **{**money, "order_external_id": None},
        )
        history.events.append((payout, STRIPE))
    return history


def post_all(history: History) -> list[JournalEntry]:
    posted = [post_order(order, SHOP) for order in history.orders]
    posted += [post_refund(order, refund, SHOP, settled=settled) for order, refund, settled in history.refunds]
    posted += [post_event(event, ctx) for event, ctx in history.events]
    return [e for e in posted if e is not None]


def net_by_account(entries: list[JournalEntry]) -> Counter[tuple[str, str]]:
    net: Counter[tuple[str, str]] = Counter()
    for entry in entries:
        for line in entry.lines:
            net[(entry.currency, line.account)] += line.net_minor
    return +net + -net  # drop zeros, keep signs


@settings(max_examples=150, deadline=None)
@given(histories())
def test_every_entry_balances_and_every_trial_balance_is_zero(history: History) -> None:
    entries = post_all(history)
    for entry in entries:
        assert sum(line.debit_minor for line in entry.lines) == sum(line.credit_minor for line in entry.lines)
        assert all((line.debit_minor == 0) != (line.credit_minor == 0) for line in entry.lines)
        assert (entry.base is None) == (entry.currency == BASE)
    for balance in trial_balances(entries, CHART).values():
        assert balance.balanced and sum(row.balance_minor for row in balance.rows) == 0
    assert functional_trial_balance(entries, BASE, ROUNDING, CHART).balanced


@settings(max_examples=150, deadline=None)
@given(histories(), st.data())
def test_replaying_any_part_of_a_history_posts_nothing_new(history: History, data: st.DataObject) -> None:
    journal = Journal()
    first = journal.post(post_all(history))
    assert len({e.id for e in first}) == len(first) == len(post_all(history))  # no two sources share a key
    assert journal.post(post_all(history)) == []  # re-synced or redelivered in full
    again = post_all(history)
    part = data.draw(st.lists(st.sampled_from(again), max_size=len(again)) if again else st.just([]))
    assert journal.post(part + part) == []  # any part of it, twice
    for order in history.orders:  # re-synced as documents: unchanged, so nothing to reverse
        assert journal.apply((SHOP.integration_id, "order", order.external_id), post_order(order, SHOP)) == []
    assert journal.entries == tuple(first)


@settings(max_examples=100, deadline=None)
@given(histories(), st.data())
def test_changed_orders_keep_one_live_entry_and_the_books_balanced(history: History, data: st.DataObject) -> None:
    journal = Journal()
    journal.post(post_all(history))
    for order in history.orders:
        document = (SHOP.integration_id, "order", order.external_id)
        extra = data.draw(st.integers(0, 500))
        changed = order.model_copy(update={"shipping": order.shipping + extra, "total": order.total + extra})
        for version in (changed, order, changed):  # changed, changed back, changed again
            journal.apply(document, post_order(version, SHOP))
        expected = post_order(changed, SHOP)  # None for an order of nothing
        assert [e.lines for e in journal.live(document)] == ([expected.lines] if expected else [])
    for balance in trial_balances(journal.entries).values():
        assert balance.balanced
    # What stands is the other postings plus each order's live entry: the superseded ones cancel out.
    others = post_all(History([], history.refunds, history.events))
    live = [e for o in history.orders for e in journal.live((SHOP.integration_id, "order", o.external_id))]
    assert net_by_account(list(journal.entries)) == net_by_account(others + live)


@settings(max_examples=150, deadline=None)
@given(histories(), st.sampled_from(list(BatchPeriod)))
def test_batches_stay_balanced_and_keep_every_accounts_movement(history: History, period: BatchPeriod) -> None:
    entries = post_all(history)
    batches = summarise(entries, period)
    for batch in batches:
        assert batch.entry.total_minor > 0  # balanced by construction, and not empty
    assert net_by_account([b.entry for b in batches]) == net_by_account(entries)
    members = [i for b in batches for i in b.member_ids]
    assert len(members) == len(set(members)) and set(members) <= {e.id for e in entries}
    assert len({b.entry.id for b in batches}) == len(batches)
    assert summarise(entries, period) == batches  # deterministic: the same batch ids on a re-run
