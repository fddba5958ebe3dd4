"""An order's amounts the BigCommerce way, in the store currency, derived from the dataset.

The dataset stores prices as entered: tax-inclusive when `taxes_included`, else tax-exclusive; each
tax amount is the one charged. So the entered side is exact and the other side is entered ± tax:
`inc - ex == tax` holds for every line, for shipping and for the order, and `total_inc_tax`
equals the dataset's `Order.total`. Line totals are before discounts (BigCommerce lists product
discounts in `applied_discounts` and the order's in `discount_amount`/`coupon_discount`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ledgerlink.sandbox.bigcommerce.formats import ZERO
from ledgerlink.sandbox.dataset import LineItem, Order, Refund, RefundLine


@dataclass(frozen=True)
class Taxed:
    ex: Decimal
    inc: Decimal
    tax: Decimal

    @classmethod
    def entered(cls, amount: Decimal, tax: Decimal, taxes_included: bool) -> Taxed:
        return cls(amount - tax, amount, tax) if taxes_included else cls(amount, amount + tax, tax)

    def __add__(self, other: Taxed) -> Taxed:
        return Taxed(self.ex + other.ex, self.inc + other.inc, self.tax + other.tax)


NOTHING = Taxed(ZERO, ZERO, ZERO)


@dataclass(frozen=True)
class LineAmounts:
    line: LineItem
    total: Taxed  # price x quantity, before the line's discount
    discount: Decimal
    refunded_quantity: int
    refunded: Decimal


@dataclass(frozen=True)
class OrderAmounts:
    lines: tuple[LineAmounts, ...]
    subtotal: Taxed
    shipping: Taxed
    product_discounts: Decimal
    coupon_discount: Decimal
    refunded: Decimal

    @property
    def total(self) -> Taxed:
        inc = self.subtotal.inc + self.shipping.inc - self.product_discounts - self.coupon_discount
        tax = self.subtotal.tax + self.shipping.tax
        return Taxed(inc - tax, inc, tax)


def line_tax(line: LineItem) -> Decimal:
    return sum((t.amount for t in line.tax_lines), ZERO)


def refund_line_amount(order: Order, line: RefundLine) -> Decimal:
    """What the customer gets back for a refunded line: its subtotal is as entered, so tax is added
    only when prices exclude it."""
    return line.subtotal if order.taxes_included else line.subtotal + line.total_tax


def refund_amount(order: Order, refund: Refund) -> Decimal:
    return sum((refund_line_amount(order, line) for line in refund.lines), ZERO) + refund.shipping


def _line_amounts(order: Order, line: LineItem) -> LineAmounts:
    refund_lines = [r for refund in order.refunds for r in refund.lines if r.line_item_id == line.id]
    return LineAmounts(
        line=line,
        total=Taxed.entered(line.price * line.quantity, line_tax(line), order.taxes_included),
        discount=line.total_discount,
        refunded_quantity=sum(r.quantity for r in refund_lines),
        refunded=sum((refund_line_amount(order, r) for r in refund_lines), ZERO),
    )


def order_amounts(order: Order) -> OrderAmounts:
    lines = tuple(_line_amounts(order, line) for line in order.lines)
    return OrderAmounts(
        lines=lines,
        subtotal=sum((a.total for a in lines), NOTHING),
        shipping=Taxed.entered(order.shipping_price, order.shipping_tax, order.taxes_included),
        product_discounts=sum((a.discount for a in lines), ZERO),
        coupon_discount=order.discount_amount,
        refunded=sum((refund_amount(order, r) for r in order.refunds), ZERO),
    )
