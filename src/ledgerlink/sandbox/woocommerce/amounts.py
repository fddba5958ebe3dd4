"""An order's amounts in WooCommerce's terms, in the order's own currency.

WooCommerce keeps one currency per order. Line totals are stored before tax (even when prices include
tax) and after coupons, taxes apart, so `total` = line totals + fees + shipping + taxes and
`discount_total` = line subtotals - line totals. Each component is converted once from the store's
shop-currency amounts and every total is summed from the converted parts, so they add up exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ledgerlink.sandbox.dataset import LineItem, Order, Refund, RefundLine, money

ZERO = Decimal(0)


@dataclass(frozen=True)
class LineAmounts:
    line: LineItem
    subtotal: Decimal  # before discounts, before tax
    total: Decimal  # after discounts, before tax
    tax: Decimal


@dataclass(frozen=True)
class Coupon:
    code: str
    discount: Decimal
    discount_type: str
    nominal_amount: Decimal


@dataclass(frozen=True)
class OrderAmounts:
    lines: tuple[LineAmounts, ...]
    shipping: Decimal
    shipping_tax: Decimal
    coupons: tuple[Coupon, ...]

    @property
    def cart_tax(self) -> Decimal:
        return sum((line.tax for line in self.lines), ZERO)

    @property
    def total_tax(self) -> Decimal:
        return self.cart_tax + self.shipping_tax

    @property
    def discount_total(self) -> Decimal:
        return sum((line.subtotal - line.total for line in self.lines), ZERO)

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines), ZERO) + self.shipping + self.total_tax


@dataclass(frozen=True)
class RefundLineAmounts:
    line: RefundLine
    subtotal: Decimal
    tax: Decimal


@dataclass(frozen=True)
class RefundAmounts:
    lines: tuple[RefundLineAmounts, ...]
    shipping: Decimal

    @property
    def amount(self) -> Decimal:
        return sum((line.subtotal + line.tax for line in self.lines), ZERO) + self.shipping


def _tax(line: LineItem) -> Decimal:
    return sum((t.amount for t in line.tax_lines), ZERO)


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


def order_amounts(order: Order) -> OrderAmounts:
    convert = order.presentment
    taxes = [convert(_tax(line)) for line in order.lines]
    discounts = [convert(line.total_discount) for line in order.lines]
    nets = [convert(_net(order, line.price * line.quantity - line.total_discount, _tax(line))) for line in order.lines]
    welcome = allocate(convert(order.discount_amount), nets, order.presentment_decimals)
    lines = tuple(
        LineAmounts(line, net + discount, net - share, tax)
        for line, net, discount, share, tax in zip(order.lines, nets, discounts, welcome, taxes, strict=True)
    )
    coupons = []
    if any(discounts):
        coupons.append(Coupon("save10", sum(discounts, ZERO), "percent", Decimal(10)))
    if order.discount_code:
        coupons.append(Coupon(order.discount_code.lower(), sum(welcome, ZERO), "fixed_cart", order.discount_amount))
    return OrderAmounts(
        lines,
        convert(_net(order, order.shipping_price, order.shipping_tax)),
        convert(order.shipping_tax),
        tuple(coupons),
    )


def refund_amounts(order: Order, refund: Refund) -> RefundAmounts:
    convert = order.presentment
    lines = tuple(
        RefundLineAmounts(line, convert(_net(order, line.subtotal, line.total_tax)), convert(line.total_tax))
        for line in refund.lines
    )
    return RefundAmounts(lines, convert(refund.shipping))
