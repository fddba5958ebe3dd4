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


def _welcome_shares(order: Order, convert: Callable[[Decimal], Decimal], nets: list[Decimal]) -> list[Decimal]:
    """The fixed-cart coupon spread over the lines; most orders have none, and zeros need no arithmetic."""
    if not order.discount_amount:
        return [ZERO] * len(nets)
    return allocate(convert(order.discount_amount), nets, order.presentment_decimals)


def presentment_converter(order: Order) -> Callable[[Decimal], Decimal]:
    """`order.presentment`, its rate and quantum looked up once: an order converts a dozen amounts."""
    rate, quantum = order.exchange_rate, Decimal(1).scaleb(-order.presentment_decimals)
    if rate == 1:  # most orders are paid in the shop's currency: `amount * 1` is `amount`, exactly
        return lambda amount: amount.quantize(quantum, ROUND_HALF_UP)
    return lambda amount: (amount * rate).quantize(quantum, ROUND_HALF_UP)


def order_amounts(order: Order) -> OrderAmounts:
    convert = presentment_converter(order)
    included = order.taxes_included
    taxes, discounts, nets = [], [], []
    for line in order.lines:
        tax = _tax(line)
        discount = line.total_discount
        gross = line.price * line.quantity - discount
        taxes.append(convert(tax))
        discounts.append(convert(discount) if discount else ZERO)  # most lines have none
        nets.append(convert(gross - tax if included else gross))
    welcome = _welcome_shares(order, convert, nets)
    lines = tuple(
        LineAmounts(line, net + discount, net - share, tax)
        for line, net, discount, share, tax in zip(order.lines, nets, discounts, welcome, taxes, strict=True)
    )
    coupons: tuple[Coupon, ...] = ()
    line_discounts = sum(discounts, ZERO)
    if any(discounts):
        coupons = (Coupon("save10", line_discounts, "percent", PERCENT_COUPON),)
    if order.discount_code:
        coupons += (Coupon(order.discount_code.lower(), sum(welcome, ZERO), "fixed_cart", order.discount_amount),)
    shipping = convert(_net(order, order.shipping_price, order.shipping_tax))
    shipping_tax = convert(order.shipping_tax)
    cart_tax = sum(taxes, ZERO)
    return OrderAmounts(
        lines,
        shipping,
        shipping_tax,
        coupons,
        cart_tax=cart_tax,
        discount_total=line_discounts + sum(welcome, ZERO),
        total=sum([line.total for line in lines], ZERO) + shipping + cart_tax + shipping_tax,
    )


def refund_amounts(order: Order, refund: Refund) -> RefundAmounts:
    convert = presentment_converter(order)
    lines = tuple(
        RefundLineAmounts(line, convert(_net(order, line.subtotal, line.total_tax)), convert(line.total_tax))
        for line in refund.lines
    )
    return RefundAmounts(lines, convert(refund.shipping))
