"""The shortcuts that make mapping a WooCommerce order cheap give exactly what the plain ways give:
integer money for plain numerals, one validation for the whole order, UTC timestamps in one step."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from ledgerlink.canonical.currencies import OrderCurrencies
from ledgerlink.canonical.money import (
    divide_half_even,
    exponent,
    minor_units,
    minor_units_of,
    parse_decimal,
    plain_minor,
    to_minor,
)
from ledgerlink.connectors.framework.parsing import _any_utc_time, utc_time
from ledgerlink.connectors.woocommerce import mappers
from ledgerlink.connectors.woocommerce.mappers import map_order

CURRENCIES = ("USD", "JPY", "KWD", "EUR")
ODD_VALUES = (
    None, "", " ", "abc", "NaN", "1e3", " 12.50 ", "12.", "-0", "+5", "1_000", "٣", "12.345", "-3", 0, 7, -1, 1.5,
    True, [], {}, "2024-05-01T10:00:00Z", "2024-05-01 10:00:00", "2024-05-01T10:00:0 ", "Tue, 01 May 2024 10:00:00 GMT",
    "usd", "XX", "0.00", "100.29", "123456789012345678901.5",
)  # fmt: skip


def outcome(call: Any, *args: Any) -> tuple[str, str]:
    """What a call gives, as text: its result, or its error's type and message."""
    try:
        result = call(*args)
    except Exception as exc:  # any error must be the same error
        return type(exc).__name__, str(exc)
    dumped = result.model_dump(exclude_unset=True) if hasattr(result, "model_dump") else None
    return "ok", f"{result!r} {dumped!r}"


def decimal_rule(value: Decimal, places: int) -> int:
    return int(value.scaleb(places).to_integral_value(rounding=ROUND_HALF_EVEN))


# --- money ------------------------------------------------------------------------------------------


@given(st.integers(-(10**20) + 1, 10**20 - 1), st.integers(-(10**6), 10**6).filter(bool))
def test_integer_division_rounds_as_decimal_does(dividend: int, divisor: int) -> None:
    assert divide_half_even(dividend, divisor) == decimal_rule(Decimal(dividend) / divisor, 0)


@given(st.from_regex(r"-?[0-9]{1,30}(\.[0-9]{1,6})?", fullmatch=True), st.integers(0, 5))
def test_plain_numerals_of_any_length_are_exact(text: str, places: int) -> None:
    whole, _, fraction = text.lstrip("-").partition(".")
    exact = (int(whole) * 10**places + int(fraction.ljust(places, "0") or 0)) * (-1 if text[0] == "-" else 1)
    assert plain_minor(text, places) == (exact if len(fraction) <= places else None)


@given(
    st.one_of(st.from_regex(r" ?-?[0-9]{1,20}(\.[0-9]{0,5})? ?", fullmatch=True), st.sampled_from(ODD_VALUES)),
    st.integers(0, 6),
)
def test_one_currencys_converter_converts_as_minor_units(amount: Any, places: int) -> None:
    assert outcome(minor_units_of(places), amount) == outcome(minor_units, amount, places)


@given(
    st.one_of(st.from_regex(r" ?-?[0-9]{1,12}(\.[0-9]{0,5})? ?", fullmatch=True), st.sampled_from(ODD_VALUES)),
    st.sampled_from(CURRENCIES),
    st.sampled_from(["0.92", "151.2", "0.307", "1", "3.14159265358979323846"]),
)
def test_two_currencies_convert_as_parsing_then_dividing(amount: Any, presentment: str, rate: str) -> None:
    money = OrderCurrencies("USD", presentment, Decimal(rate))

    def plain_way(value: Any) -> tuple[int, int]:
        minor = to_minor(value, presentment)
        if presentment == "USD" and rate == "1":
            return minor, minor
        return to_minor(parse_decimal(value) / money.rate, "USD"), minor

    assert outcome(money.from_presentment, amount) == outcome(plain_way, amount)


@given(
    st.from_regex(r"-?[0-9]{1,12}(\.[0-9]{0,5})?", fullmatch=True),
    st.from_regex(r"-?[0-9]{1,12}(\.[0-9]{0,5})?", fullmatch=True),
    st.integers(-5, 10**4) | st.integers(-(10**30), 10**30),
    st.sampled_from(CURRENCIES),
)
def test_line_unit_price_and_discount_in_integers_equal_decimal_arithmetic(
    subtotal: str, total: str, quantity: int, currency: str
) -> None:
    money = mappers._Amounts(currency, currency, Decimal(1))
    places = exponent(currency)
    unit = Decimal(subtotal) / quantity if quantity else Decimal(0)
    discount = Decimal(subtotal) - Decimal(total)
    expected = (decimal_rule(unit, places),) * 2, (decimal_rule(discount, places),) * 2
    assert money.unit_and_discount({"subtotal": subtotal, "total": total}, quantity) == expected


# Rates of up to 9 digits take the integer way, longer ones Decimal's.
RATES = st.sampled_from(["0.92", "151.2", "0.307", "1", "4.71", "0.000123", "123456789", "1234567890", "1E+3"]) | (
    st.decimals(min_value=Decimal("0.000001"), max_value=Decimal(10**6), places=6).filter(bool).map(str)
)
NUMERALS = st.from_regex(r"-?[0-9]{1,12}(\.[0-9]{0,5})?", fullmatch=True)


def short_rate(rate: str) -> bool:
    return len(Decimal(rate).as_tuple().digits) <= 9


@given(
    st.integers(-(10**22), 10**22) | st.integers(-(10**6), 10**6),
    st.integers(-3, 10**4) | st.integers(-(10**30), 10**30),
    st.sampled_from(CURRENCIES),
    st.sampled_from(CURRENCIES),
    RATES,
)
@example(1294680775655620165168, 1, "KWD", "JPY", "0.000123")  # beyond 28 digits: Decimal rounds first
@example(9018069034188538801988, 7, "KWD", "JPY", "0.000123")
def test_shop_minor_units_in_integers_equal_dividing_decimals(
    presentment: int, quantity: int, shop: str, presentment_currency: str, rate: str
) -> None:
    money = OrderCurrencies(shop, presentment_currency, Decimal(rate))
    shop_minor = money.shop_minor_of(presentment, quantity)
    if not quantity:
        assert shop_minor is None
        return
    # The Decimal way: the amount divided by the quantity, then by the rate, each to 28 digits.
    stated = Decimal(presentment).scaleb(-exponent(presentment_currency)) / quantity
    expected = decimal_rule(stated / money.rate, exponent(shop))
    if shop_minor is not None:
        assert shop_minor == expected
    elif short_rate(rate) and abs(presentment) < 10**15 and abs(expected) < 10**13:
        raise AssertionError("an everyday amount and rate took the Decimal way")


@given(
    st.one_of(st.from_regex(r" ?-?[0-9]{1,16}(\.[0-9]{0,5})? ?", fullmatch=True), st.sampled_from(ODD_VALUES)),
    st.sampled_from(CURRENCIES),
    st.sampled_from(CURRENCIES),
    RATES,
)
def test_any_two_currencies_convert_as_parsing_then_dividing(
    amount: Any, shop: str, presentment: str, rate: str
) -> None:
    money = OrderCurrencies(shop, presentment, Decimal(rate))

    def plain_way(value: Any) -> tuple[int, int]:
        minor = to_minor(value, presentment)
        if shop == presentment and money.rate == 1:
            return minor, minor
        return to_minor(parse_decimal(value) / money.rate, shop), minor

    assert outcome(money.from_presentment, amount) == outcome(plain_way, amount)


@given(NUMERALS, NUMERALS, st.integers(-5, 10**4) | st.integers(-(10**30), 10**30), st.sampled_from(CURRENCIES), RATES)
def test_line_amounts_in_two_currencies_equal_decimal_arithmetic(
    subtotal: str, total: str, quantity: int, presentment: str, rate: str
) -> None:
    money = mappers._Amounts("USD", presentment, Decimal(rate))

    def both(amount: Decimal) -> tuple[int, int]:
        if money._one_currency:
            return (decimal_rule(amount, exponent(presentment)),) * 2
        return decimal_rule(amount / money.rate, 2), decimal_rule(amount, exponent(presentment))

    unit = Decimal(subtotal) / quantity if quantity else Decimal(0)
    expected = both(unit), both(Decimal(subtotal) - Decimal(total))
    assert money.unit_and_discount({"subtotal": subtotal, "total": total}, quantity) == expected


@given(
    st.lists(NUMERALS | st.sampled_from(["1e3", " 5.00", "1.23456"]), max_size=5), st.sampled_from(CURRENCIES), RATES
)
def test_order_subtotal_in_integers_equals_the_decimal_sum(subtotals: list[str], presentment: str, rate: str) -> None:
    money = mappers._Amounts("USD", presentment, Decimal(rate))
    items = [{"id": n, "product_id": 1, "quantity": 1, "subtotal": s, "total": s} for n, s in enumerate(subtotals)]
    _, presentment_sum = mappers._lines(items, money, {}, False, mappers._fields)
    total = sum((Decimal(s) for s in subtotals), Decimal(0))
    if money._one_currency:
        expected = (decimal_rule(total, exponent(presentment)),) * 2
    else:
        expected = decimal_rule(total / money.rate, 2), decimal_rule(total, exponent(presentment))
    assert money.subtotal(items, presentment_sum) == expected


@given(st.one_of(NUMERALS, st.sampled_from(ODD_VALUES)), st.sampled_from(CURRENCIES), RATES)
def test_refund_amounts_are_the_pairs_of_their_absolute_values(amount: Any, presentment: str, rate: str) -> None:
    money = mappers._Amounts("USD", presentment, Decimal(rate))
    plain_way = lambda value: money.pair(abs(parse_decimal(value)))  # noqa: E731
    assert outcome(money.absolute_pair, amount) == outcome(plain_way, amount)


@given(
    st.one_of(
        st.integers(-5, 100),
        st.floats(allow_nan=True),
        st.sampled_from([0.0, -0.0, 19.0, 20.5]),
        st.from_regex(r" ?-?[0-9]{1,3}(\.[0-9]{0,3})? ?", fullmatch=True),
        st.sampled_from(ODD_VALUES),
    )
)
def test_tax_rate_fractions_are_worked_out_as_before(percent: Any) -> None:
    plain_way = lambda value: parse_decimal(value) / 100  # noqa: E731
    for _ in range(2):  # the second time from the cache
        assert outcome(mappers._fraction, percent) == outcome(plain_way, percent)


@given(*[st.one_of(st.text(max_size=3), st.sampled_from(ODD_VALUES))] * 2)
def test_full_names_join_as_before(first: Any, last: Any) -> None:
    plain_way = lambda a, b: " ".join(p for p in (a, b) if p) or None  # noqa: E731
    assert outcome(mappers._full_name, first, last) == outcome(plain_way, first, last)


# --- timestamps -------------------------------------------------------------------------------------


@given(
    st.one_of(
        st.text(alphabet="0123456789-:TZW +.", min_size=19, max_size=19),
        st.datetimes(datetime(1, 1, 1), datetime(9999, 12, 31)).map(lambda d: d.isoformat(sep="T")[:19]),
        st.builds(
            lambda d, i, c: d[:i] + c + d[i + 1 :], st.just("2024-05-01T10:00:00"), st.integers(0, 18), st.characters()
        ),
    )
)
def test_naive_timestamps_read_in_one_step_as_the_general_reading(text: str) -> None:
    assert outcome(utc_time, text) == outcome(_any_utc_time, text)


def test_naive_timestamps_are_utc() -> None:
    assert utc_time("2024-05-01T10:00:00") == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert utc_time("2024-05-01T10:00:00").tzinfo is UTC


# --- whole orders -----------------------------------------------------------------------------------


@st.composite
def numerals(draw: st.DrawFn, currency: str) -> str:
    places = exponent(currency)
    cents = draw(st.integers(-(10**7), 10**7) | st.integers(0, 10**5))
    decimals = draw(st.sampled_from([places, places, places, 0, 1, 4]))
    return str(Decimal(cents).scaleb(-decimals))


@st.composite
def woo_orders(draw: st.DrawFn) -> dict[str, Any]:
    """An order as WooCommerce's REST API writes one (the fields the mapper reads)."""
    currency = draw(st.sampled_from(CURRENCIES))
    shop = draw(st.sampled_from(["USD", currency]))
    amount = numerals(currency)
    tax_ids = draw(st.lists(st.integers(1, 4), min_size=0, max_size=2, unique=True))

    def taxes() -> list[dict[str, Any]]:
        return [{"id": i, "total": draw(amount | st.just("")), "subtotal": ""} for i in tax_ids]

    def line(n: int) -> dict[str, Any]:
        return {
            "id": 100 + n,
            "name": draw(st.sampled_from(["Widget", " Widget ", ""])),
            "product_id": draw(st.integers(1, 50)),
            "variation_id": draw(st.sampled_from([0, 7])),
            "sku": draw(st.sampled_from(["SKU-1", "", None])),
            "quantity": draw(st.integers(0, 5)),
            "subtotal": draw(amount),
            "total": draw(amount),
            "taxes": taxes(),
        }

    lines = [line(n) for n in range(draw(st.integers(0, 4)))]
    address = {
        "first_name": draw(st.sampled_from(["Ana", "", "Nguyễn"])),
        "last_name": "Lopez",
        "company": "",
        "address_1": "1 Main St",
        "address_2": "",
        "city": "Berlin",
        "state": "BE",
        "postcode": "10115",
        "country": draw(st.sampled_from(["DE", "US", "DEU"])),
        "phone": "+1555",
    }
    refunds = [
        {
            "id": 900 + n,
            "date_created_gmt": "2024-05-02T10:00:00",
            "amount": draw(amount),
            "reason": draw(st.sampled_from(["", "Return"])),
            "line_items": [
                {
                    "id": 9000 + k,
                    "quantity": -1,
                    "total": draw(amount),
                    "total_tax": draw(amount),
                    "meta_data": [{"key": "_refunded_item_id", "value": str(item["id"])}],
                }
                for k, item in enumerate(lines[:2])
            ],
        }
        for n in range(draw(st.integers(0, 2)))
    ]
    return {
        "id": 5000,
        "number": "5000",
        "status": draw(st.sampled_from([*mappers.ORDER_STATUS, "trash"])),
        "currency": currency,
        "prices_include_tax": draw(st.booleans()),
        "date_created_gmt": "2024-05-01T10:00:00",
        "date_modified_gmt": draw(st.sampled_from(["2024-05-01T11:00:00", "2024-05-01T11:00:00.5"])),
        "date_completed_gmt": draw(st.sampled_from([None, "2024-05-01T12:00:00"])),
        "customer_id": draw(st.sampled_from([0, 42])),
        "customer_note": "",
        "billing": {**address, "email": "ana@example.com"},
        "shipping": draw(st.sampled_from([address, {}])),
        "meta_data": [{"key": "_shop_currency", "value": shop}, {"key": "_exchange_rate", "value": "0.92"}],
        "line_items": lines,
        "tax_lines": [{"rate_id": i, "label": "VAT", "rate_percent": draw(st.sampled_from([19, 20.5, ""]))}
                      for i in tax_ids],
        "shipping_lines": [{"method_title": "Flat", "method_id": "flat_rate", "total": draw(amount), "taxes": taxes()}],
        "coupon_lines": [{"code": "SAVE", "discount": draw(amount)}] * draw(st.integers(0, 1)),
        "discount_total": draw(amount),
        "shipping_total": draw(amount),
        "total_tax": draw(amount),
        "total": draw(amount),
        "_refund_details": refunds,
    }  # fmt: skip


def leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in leaves(item, (*path, key))]
    if isinstance(value, list):
        return [p for n, item in enumerate(value) for p in leaves(item, (*path, n))]
    return [path]


@st.composite
def damaged_orders(draw: st.DrawFn) -> dict[str, Any]:
    """A generated order with up to two of its values replaced by something a source might send."""
    order = draw(woo_orders())
    for _ in range(draw(st.integers(0, 2))):
        *parents, last = draw(st.sampled_from(leaves(order)))
        target = order
        for key in parents:
            target = target[key]
        target[last] = draw(st.sampled_from(ODD_VALUES))
    return order


@settings(max_examples=400, deadline=None)
@given(damaged_orders())
def test_one_validation_of_the_order_equals_validating_record_by_record(order: dict[str, Any]) -> None:
    assert outcome(map_order, order) == outcome(mappers._order, order, mappers._record)


def test_a_bad_record_fails_with_its_own_field_names() -> None:
    # The item error shows the error's locations: they stay the record's own ("quantity"), not the
    # whole order's ("lines.0.quantity"), though the order is validated in one go.
    order = {
        "id": 1,
        "status": "processing",
        "currency": "USD",
        "date_modified_gmt": "2024-05-01T10:00:00",
        "line_items": [{"id": 7, "product_id": 3, "quantity": -2, "subtotal": "10.00", "total": "10.00"}],
        "total": "10.00",
    }
    with pytest.raises(ValidationError) as caught:
        map_order(order)
    assert caught.value.title == "OrderLine"
    assert [error["loc"] for error in caught.value.errors()] == [("quantity",)]
