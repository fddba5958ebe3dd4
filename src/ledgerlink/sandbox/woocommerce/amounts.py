"""An order's amounts in WooCommerce's terms, in the order's own currency.

WooCommerce keeps one currency per order. Line totals are stored before tax (even when prices include
tax) and after coupons, taxes apart, so `total` = line totals + fees + shipping + taxes and
`discount_total` = line subtotals - line totals. Each component is converted once from the store's
shop-currency amounts and every total is summed from the converted parts, so they add up exactly.
Every amount handed out is so quantized to the order currency's decimals, or is a zero: the renderer
prints them as they are, without quantizing them again (wire.quantized_money_formatter).

The records are named tuples: every order served builds a handful, and a tuple is built in a
fraction of a frozen dataclass's time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from ledgerlink.sandbox.dataset import LineItem, Order, Refund, RefundLine, money

ZERO = Decimal(0)
PERCENT_COUPON = Decimal(10)  # the save10 coupon's nominal percentage


class LineAmounts(NamedTuple):
    line: LineItem
    subtotal: Decimal  # before discounts, before tax
    total: Decimal  # after discounts, before tax
    tax: Decimal


class Coupon(NamedTuple):
    code: str
    discount: Decimal
    discount_type: str
    nominal_amount: Decimal


class OrderAmounts(NamedTuple):
    lines: tuple[LineAmounts, ...]
    shipping: Decimal
    shipping_tax: Decimal
    coupons: tuple[Coupon, ...]
    # Summed once from the parts above (an order's JSON shows each of them, some twice).
    cart_tax: Decimal
    discount_total: Decimal
    total: Decimal
    shop_total: Decimal  # Order.total (shop currency), from the line sums taken here anyway

    @property
    def total_tax(self) -> Decimal:
        return self.cart_tax + self.shipping_tax


class RefundLineAmounts(NamedTuple):
    line: RefundLine
    subtotal: Decimal
    tax: Decimal


class RefundAmounts(NamedTuple):
    lines: tuple[RefundLineAmounts, ...]
    shipping: Decimal

    @property
    def amount(self) -> Decimal:
        return sum((line.subtotal + line.tax for line in self.lines), ZERO) + self.shipping


def _tax(line: LineItem) -> Decimal:
    """The line's tax (shop currency). Generated lines have one tax line: its amount is the sum, as
    converting it (quantizing) makes of ZERO + amount."""
    tax_lines = line.tax_lines
    return tax_lines[0].amount if len(tax_lines) == 1 else sum((t.amount for t in tax_lines), ZERO)


def _net(order: Order, gross: Decimal, tax: Decimal) -> Decimal:
    """The pre-tax part of a shop-currency amount."""
    return gross - tax if order.taxes_included else gross


def allocate(amount: Decimal, weights: list[Decimal], decimals: int) -> list[Decimal]:
    """Split `amount` (at most the sum of weights) over lines in proportion, to the currency's unit."""
    whole = sum(weights, ZERO)
    if whole <= 0:
        return [ZERO for _ in weights]
    amount = min(amount, whole)
    shares = [money(amount * weight / whole, decimals) for weight in weights]
    largest = weights.index(max(weights))
    shares[largest] += amount - sum(shares, ZERO)
    return shares


def presentment_converter(order: Order) -> Callable[[Decimal], Decimal]:
    """`order.presentment`, its rate and quantum looked up once: an order converts a dozen amounts."""
    return _converter(order.exchange_rate, order.presentment_decimals)


@functools.lru_cache(maxsize=64)  # one per currency (rates are value-keyed: an edited one is a new entry)
def _converter(rate: Decimal, decimals: int) -> Callable[[Decimal], Decimal]:
    quantum = Decimal(1).scaleb(-decimals)
    if rate == 1:  # most orders are paid in the shop's currency: `amount * 1` is `amount`, exactly
        return lambda amount: amount.quantize(quantum, ROUND_HALF_UP)
    return lambda amount: (amount * rate).quantize(quantum, ROUND_HALF_UP)


def order_amounts(order: Order) -> OrderAmounts:
    convert = presentment_converter(order)
    included = order.taxes_included
    lines = []
    cart_tax = line_discounts = shop_subtotal = shop_tax_total = ZERO
    discounted = False  # whether a line's discount shows in the order currency (a save10 coupon)
    for line in order.lines:
        shop_tax, shop_discount = _tax(line), line.total_discount
        gross = line.price * line.quantity - shop_discount
        tax, net = convert(shop_tax), convert(gross - shop_tax if included else gross)
        discount = convert(shop_discount) if shop_discount else ZERO  # most lines have none
        lines.append(LineAmounts(line, net + discount, net, tax))
        cart_tax += tax
        line_discounts += discount
        discounted = discounted or bool(discount)
        shop_subtotal += gross
        shop_tax_total += shop_tax
    coupons: tuple[Coupon, ...] = ()
    if discounted:
        coupons = (Coupon("save10", line_discounts, "percent", PERCENT_COUPON),)
    lines, welcome = _less_welcome(order, convert, lines)
    if order.discount_code:
        coupons += (Coupon(order.discount_code.lower(), welcome, "fixed_cart", order.discount_amount),)
    shipping = convert(_net(order, order.shipping_price, order.shipping_tax))
    shipping_tax = convert(order.shipping_tax)
    return OrderAmounts(
        tuple(lines),
        shipping,
        shipping_tax,
        coupons,
        cart_tax=cart_tax,
        discount_total=line_discounts + welcome,
        total=sum([line.total for line in lines], ZERO) + shipping + cart_tax + shipping_tax,
        shop_total=order.total_from(shop_subtotal, shop_tax_total + order.shipping_tax),
    )


def _less_welcome(
    order: Order, convert: Callable[[Decimal], Decimal], lines: list[LineAmounts]
) -> tuple[list[LineAmounts], Decimal]:
    """The lines with the fixed-cart coupon spread over their totals, and what it took off in all;
    most orders have none, and their lines stay as they are."""
    if not order.discount_amount:
        return lines, ZERO
    shares = allocate(convert(order.discount_amount), [line.total for line in lines], order.presentment_decimals)
    less = [line._replace(total=line.total - share) for line, share in zip(lines, shares, strict=True)]
    return less, sum(shares, ZERO)


def refund_amounts(order: Order, refund: Refund) -> RefundAmounts:
    convert = presentment_converter(order)
    lines = tuple(
        RefundLineAmounts(line, convert(_net(order, line.subtotal, line.total_tax)), convert(line.total_tax))
        for line in refund.lines
    )
    return RefundAmounts(lines, convert(refund.shipping))
