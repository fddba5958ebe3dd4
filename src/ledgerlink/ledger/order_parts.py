"""An order's sales side taken apart for posting: gross sales, discounts and shipping net of tax, the
tax lines as the source gave them, and what is left over for a rounding line.

Canonical headline amounts obey `subtotal - discount + shipping (+ tax unless included) = total`,
subtotal before discounts (records.py, the mappers). With tax-exclusive prices the parts are the
headline amounts. With tax-inclusive prices tax is taken out using the source's own tax lines:
shipping lines' taxes from shipping, line taxes from the goods; tax given only at order level is shared
between goods and shipping by their gross amounts; the discount's tax share is the goods' tax ratio
(so net goods revenue, sales minus discounts, is exact; only its split into gross and discount is
proportional). Which reading applies is the order's `taxes_included` flag, unless its headline amounts
satisfy only the other identity, to within rounding (a mapper that states ex-tax amounts with the flag
set, as WooCommerce's line subtotals are, converted to the shop currency amount by amount).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from ledgerlink.canonical.records import Order, TaxLine
from ledgerlink.ledger.lines import share


@dataclass(frozen=True, slots=True)
class TaxPart:
    title: str
    rate: Decimal | None
    amount: int


@dataclass(frozen=True, slots=True)
class OrderParts:
    receivable: int
    sales: int
    discounts: int
    shipping: int
    taxes: tuple[TaxPart, ...]
    includes_tax: bool
    tolerance: int  # how far the parts may disagree from rounding alone: one unit per rounded amount

    @property
    def imbalance(self) -> int:
        """Debits minus credits of the parts: what a rounding line has to carry."""
        return self.receivable + self.discounts - self.sales - self.shipping - sum(t.amount for t in self.taxes)


HEADLINE_ROUNDING = 2  # how far rounding alone can put the five headline amounts out: 5 x 0.5 units


def amounts_include_tax(order: Order) -> bool:
    """Whether the order's line, shipping and headline amounts include tax (see the module's notes): the
    identity the headline amounts satisfy, to within rounding (amounts converted one by one from the
    buyer's currency are each up to half a unit out), else the order's flag."""
    goods = order.subtotal - order.discount + order.shipping
    inclusive, exclusive = abs(goods - order.total), abs(goods + order.tax - order.total)
    if inclusive == exclusive or min(inclusive, exclusive) > HEADLINE_ROUNDING:
        return order.taxes_included
    return inclusive < exclusive


def order_parts(order: Order) -> OrderParts:
    line_taxes = [t for line in order.lines for t in line.tax_lines]
    shipping_taxes = [t for line in order.shipping_lines for t in line.tax_lines]
    order_taxes = tax_parts(order.tax_lines)
    if not (line_taxes or shipping_taxes or order_taxes) and order.tax:
        order_taxes = [TaxPart("Tax", None, order.tax)]
    taxes = grouped([*tax_parts(line_taxes), *tax_parts(shipping_taxes), *order_taxes])
    tolerance = 1 + len(order.lines) + len(order.shipping_lines) + len(line_taxes) + len(shipping_taxes)
    tolerance += len(order_taxes)
    includes_tax = amounts_include_tax(order)
    sales, discounts, shipping = order.subtotal, order.discount, order.shipping
    if includes_tax:
        goods = order.subtotal - order.discount
        unplaced = sum(t.amount for t in order_taxes)
        shipping_share = share(unplaced, order.shipping, goods + order.shipping)
        goods_tax = sum(t.amount for t in line_taxes) + unplaced - shipping_share
        discount_tax = share(order.discount, goods_tax, goods)
        sales -= goods_tax + discount_tax
        discounts -= discount_tax
        shipping -= sum(t.amount for t in shipping_taxes) + shipping_share
    return OrderParts(order.total, sales, discounts, shipping, taxes, includes_tax, tolerance)


def tax_parts(lines: Iterable[TaxLine]) -> list[TaxPart]:
    """The source's tax lines as parts, one each, in order."""
    return [TaxPart(t.title, t.rate, t.amount) for t in lines]


def grouped(parts: Iterable[TaxPart]) -> tuple[TaxPart, ...]:
    """One part per (title, rate), in the order first seen."""
    sums: dict[tuple[str, Decimal | None], int] = {}
    for part in parts:
        key = (part.title, part.rate)
        sums[key] = sums.get(key, 0) + part.amount
    return tuple(TaxPart(title, rate, amount) for (title, rate), amount in sums.items())
