"""The BigCommerce order mapper, on generated orders written the way BigCommerce writes them: store
amounts as 4-decimal strings, ex/inc-tax pairs, a presentment currency at a 10-decimal rate."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerlink.canonical import records as rec
from ledgerlink.canonical.money import exponent
from ledgerlink.connectors.bigcommerce.mappers import map_order

SHOP_CURRENCIES = ("USD", "JPY", "KWD")
PRESENTMENT_CURRENCIES = ("USD", "EUR", "JPY", "KWD", "GBP")
ORDER_MONEY = (
    "subtotal_ex_tax", "subtotal_inc_tax", "subtotal_tax", "shipping_cost_ex_tax", "shipping_cost_inc_tax",
    "shipping_cost_tax", "handling_cost_ex_tax", "handling_cost_inc_tax", "handling_cost_tax", "total_ex_tax",
    "total_inc_tax", "total_tax", "discount_amount", "coupon_discount", "refunded_amount",
)  # fmt: skip
LINE_MONEY = ("price_ex_tax", "price_inc_tax", "price_tax", "total_ex_tax", "total_inc_tax", "total_tax")


def m4(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN))


def minor(value: Decimal | str, currency: str) -> int:
    """What the mapper must produce, computed apart: exact Decimal arithmetic, half-even, no float."""
    return int(Decimal(value).scaleb(exponent(currency)).to_integral_value(rounding=ROUND_HALF_EVEN))


@dataclass(frozen=True)
class Taxed:
    ex: Decimal
    inc: Decimal
    tax: Decimal

    @classmethod
    def entered(cls, amount: Decimal, rate: Decimal, included: bool, currency: str) -> Taxed:
        """A price as the merchant entered it, and the tax the store charges on it (rounded to the currency)."""
        step = Decimal(1).scaleb(-exponent(currency))
        tax = (amount - amount / (1 + rate) if included else amount * rate).quantize(step, ROUND_HALF_EVEN)
        return cls(amount - tax, amount, tax) if included else cls(amount, amount + tax, tax)

    def fields(self, prefix: str, tax: str | None = None) -> dict[str, str]:
        return {
            f"{prefix}_ex_tax": m4(self.ex),
            f"{prefix}_inc_tax": m4(self.inc),
            tax or f"{prefix}_tax": m4(self.tax),
        }

    def __add__(self, other: Taxed) -> Taxed:
        return Taxed(self.ex + other.ex, self.inc + other.inc, self.tax + other.tax)


ZERO = Taxed(Decimal(0), Decimal(0), Decimal(0))


@st.composite
def line_specs(draw: st.DrawFn) -> tuple[int, int, Decimal, int]:
    """(unit price in minor units, quantity, tax rate, discount in minor units)."""
    unit = draw(st.integers(min_value=1, max_value=500_000))
    quantity = draw(st.integers(min_value=1, max_value=25))
    rate = draw(st.decimals(min_value=0, max_value=Decimal("0.3"), places=4))
    discount = draw(st.integers(min_value=0, max_value=unit * quantity))
    return unit, quantity, rate, discount


def _line(n: int, spec: tuple[int, int, Decimal, int], shop: str, included: bool) -> tuple[dict[str, Any], Taxed]:
    unit, quantity, rate, discount = spec
    entered = Decimal(unit).scaleb(-exponent(shop))
    total = Taxed.entered(entered * quantity, rate, included, shop)
    row = {
        "id": 1000 + n, "product_id": 77, "variant_id": 500 + n, "sku": f"SKU-{n}", "name": f"Item {n}",
        "type": "physical", "quantity": quantity, "base_price": m4(entered),
        "price_ex_tax": m4(total.ex / quantity), "price_inc_tax": m4(total.inc / quantity),
        "price_tax": m4(total.tax / quantity), **total.fields("total"),
        "applied_discounts": [{"id": "d", "amount": m4(Decimal(discount).scaleb(-exponent(shop))), "target": "product"}]
        if discount else [],
    }  # fmt: skip
    return row, total


@dataclass(frozen=True)
class Spec:
    shop: str
    presentment: str
    rate: Decimal  # presentment units per shop unit
    included: bool
    tax_rate: Decimal
    lines: list[tuple[int, int, Decimal, int]]
    shipping: int  # minor units
    coupon: int  # minor units


def order_doc(spec: Spec) -> dict[str, Any]:
    """The v2 order (enriched as the connector enriches it) BigCommerce would send for `spec`."""
    shop, step = spec.shop, exponent(spec.shop)
    rows, subtotal = [], ZERO
    for n, line in enumerate(spec.lines):
        row, total = _line(n, line, shop, spec.included)
        rows.append(row)
        subtotal += total
    shipping = Taxed.entered(Decimal(spec.shipping).scaleb(-step), spec.tax_rate, spec.included, shop)
    discounts = sum((Decimal(d["amount"]) for r in rows for d in r["applied_discounts"]), Decimal(0))
    coupon = Decimal(spec.coupon).scaleb(-step)
    total_inc = subtotal.inc + shipping.inc - discounts - coupon
    total_tax = subtotal.tax + shipping.tax
    return {
        "id": 101, "customer_id": 0, "status_id": 11, "items_total": 1, "items_shipped": 0,
        "date_created": "Tue, 05 Mar 2019 21:40:11 +0000", "date_modified": "Mon, 11 Mar 2019 15:17:25 +0000",
        "is_tax_inclusive_pricing": spec.included, "default_currency_code": shop, "currency_code": spec.presentment,
        "currency_exchange_rate": str(spec.rate if spec.presentment != shop else Decimal(1)),
        **subtotal.fields("subtotal"), **shipping.fields("shipping_cost"), **ZERO.fields("handling_cost"),
        "total_ex_tax": m4(total_inc - total_tax), "total_inc_tax": m4(total_inc), "total_tax": m4(total_tax),
        "discount_amount": m4(discounts), "coupon_discount": m4(coupon), "refunded_amount": m4(Decimal(0)),
        "billing_address": {"first_name": "Jane", "street_1": "1 Main St", "zip": 78108, "country_iso2": "US"},
        "_products": rows,
        "_shipping_addresses": [{"id": 9, "shipping_method": "Post", **shipping.fields("cost", "cost_tax")}],
    }  # fmt: skip


@st.composite
def orders(draw: st.DrawFn) -> dict[str, Any]:
    spec = Spec(
        shop=draw(st.sampled_from(SHOP_CURRENCIES)),
        presentment=draw(st.sampled_from(PRESENTMENT_CURRENCIES)),
        rate=draw(st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(500), places=10)),
        included=draw(st.booleans()),
        tax_rate=draw(st.decimals(min_value=0, max_value=Decimal("0.3"), places=4)),
        lines=draw(st.lists(line_specs(), min_size=1, max_size=6)),
        shipping=draw(st.integers(0, 10_000)),
        coupon=draw(st.integers(0, 2_000)),
    )
    return order_doc(spec)


# A plain order: 2 x 19.99 USD at 8.25 % tax (added on top), 4.99 shipping, paid in EUR.
PLAIN = Spec("USD", "EUR", Decimal("0.92"), False, Decimal("0.0825"), [(1999, 2, Decimal("0.0825"), 0)], 499, 0)


def _all_amounts(order: rec.Order) -> list[Any]:
    amounts: list[Any] = [order.subtotal, order.discount, order.shipping, order.tax, order.total]
    amounts += [order.subtotal_presentment, order.discount_presentment, order.shipping_presentment]
    amounts += [order.tax_presentment, order.total_presentment]
    for line in order.lines:
        amounts += [line.unit_price, line.unit_price_presentment, line.discount, line.discount_presentment]
        amounts += [t.amount for t in line.tax_lines] + [t.presentment_amount for t in line.tax_lines]
    for ship in order.shipping_lines:
        amounts += [ship.amount, ship.presentment_amount] + [t.amount for t in ship.tax_lines]
    amounts += [d.amount for d in order.discounts] + [d.presentment_amount for d in order.discounts]
    return amounts


@settings(max_examples=300, deadline=None)
@given(orders())
def test_amounts_are_exact_minor_units_and_reconcile(doc: dict[str, Any]) -> None:
    order = map_order(doc)
    shop, pres = doc["default_currency_code"], doc["currency_code"]
    rate = Decimal(doc["currency_exchange_rate"]) if pres != shop else Decimal(1)
    assert all(type(a) is int for a in _all_amounts(order))  # never a float, never a Decimal

    side = "inc_tax" if doc["is_tax_inclusive_pricing"] else "ex_tax"
    discount = Decimal(doc["discount_amount"]) + Decimal(doc["coupon_discount"])
    sources = {
        "subtotal": Decimal(doc[f"subtotal_{side}"]),
        "shipping": Decimal(doc[f"shipping_cost_{side}"]),
        "tax": Decimal(doc["total_tax"]),
        "discount": discount,
        "total": Decimal(doc["total_inc_tax"]),
    }
    for name, value in sources.items():
        assert getattr(order, name) == minor(value, shop), name
        assert getattr(order, f"{name}_presentment") == minor(value * rate, pres), name

    # The source reconciles (total = subtotal + shipping + tax on top - discounts), so the record does.
    added_tax = 0 if order.taxes_included else order.tax
    assert order.subtotal + order.shipping + added_tax - order.discount == order.total
    assert sum(ln.unit_price * ln.quantity for ln in order.lines) == order.subtotal  # the entered side is exact
    assert sum(ln.discount for ln in order.lines) == minor(doc["discount_amount"], shop)
    assert sum(d.amount for d in order.discounts) == order.discount
    taxes = [t.amount for ln in order.lines for t in ln.tax_lines] + [
        t.amount for s in order.shipping_lines for t in s.tax_lines
    ]
    assert sum(taxes) == order.tax
    assert sum(s.amount for s in order.shipping_lines) == order.shipping

    assert (order.currency, order.presentment_currency) == (shop, pres)
    if pres == shop:
        assert order.exchange_rate is None
    else:
        assert abs(order.exchange_rate * rate - 1) < Decimal("1e-20")  # shop units per presentment unit


def _not_a_number(text: str) -> bool:
    try:
        return not Decimal(text.strip()).is_finite()
    except InvalidOperation:
        return True


garbage = st.one_of(
    st.sampled_from(["N/A", "", " ", "1,00", "12.34.56", "NaN", "Infinity", "$5.00", "null"]),
    st.text(max_size=8).filter(_not_a_number),
)


@settings(max_examples=300, deadline=None)
@given(orders(), st.data())
def test_a_money_field_that_is_not_a_number_fails_the_order(doc: dict[str, Any], data: st.DataObject) -> None:
    bad = data.draw(garbage)
    if data.draw(st.booleans()):
        field = data.draw(st.sampled_from(ORDER_MONEY))
        broken = {**doc, field: bad}
    else:
        n = data.draw(st.integers(0, len(doc["_products"]) - 1))
        field = data.draw(st.sampled_from(LINE_MONEY))
        rows = list(doc["_products"])
        rows[n] = {**rows[n], field: bad}
        broken = {**doc, "_products": rows}
    with pytest.raises(ValueError):
        map_order(broken)


@settings(max_examples=50, deadline=None)
@given(orders(), st.sampled_from([None, 2.5, "3", True]))
def test_a_quantity_that_is_not_a_whole_number_fails_the_order(doc: dict[str, Any], quantity: Any) -> None:
    rows = [{**doc["_products"][0], "quantity": quantity}, *doc["_products"][1:]]
    with pytest.raises(ValueError):
        map_order({**doc, "_products": rows})


@pytest.mark.parametrize(
    ("status_id", "shipped", "refunded", "expected"),
    [
        (11, 0, "0", ("open", "paid", "unfulfilled")),
        (3, 1, "0", ("open", "paid", "partial")),
        (2, 2, "0", ("closed", "paid", "fulfilled")),
        (2, 2, "1.0000", ("closed", "partially_refunded", "fulfilled")),
        (14, 0, "1.0000", ("open", "partially_refunded", "unfulfilled")),
        (4, 2, "9999.0000", ("closed", "refunded", "fulfilled")),
        (5, 0, "0", ("cancelled", "voided", "unfulfilled")),
        (1, 0, "0", ("open", "pending", "unfulfilled")),
    ],
)
def test_status_id_and_shipped_items_map_to_the_canonical_statuses(
    status_id: int, shipped: int, refunded: str, expected: tuple[str, str, str]
) -> None:
    doc = {
        **order_doc(PLAIN),
        "status_id": status_id,
        "items_total": 2,
        "items_shipped": shipped,
        "refunded_amount": refunded,
    }
    order = map_order(doc)
    assert (order.status, order.financial_status, order.fulfillment_status) == expected
    assert (order.cancelled_at is not None) == (expected[0] == "cancelled")


def test_an_unknown_status_or_a_blank_date_modified_fails_the_order() -> None:
    doc = order_doc(PLAIN)
    with pytest.raises(ValueError):
        map_order({**doc, "status_id": 99})
    with pytest.raises(ValueError):
        map_order({**doc, "date_modified": ""})
