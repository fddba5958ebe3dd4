"""The rows an order's children are stored as, one type per table, its fields the columns COPY fills.

Tuples, not dicts: a page of orders makes a dozen child rows per order, and a tuple costs a fraction
of a dict to build and nothing to take apart for COPY (`db.copy.insert_tuples`), while keyword
construction keeps every value next to its column's name.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from ledgerlink.models import (
    OrderAddress,
    OrderDiscount,
    OrderLine,
    OrderShippingLine,
    OrderTaxLine,
    Refund,
    RefundLine,
)


class LineRow(NamedTuple):
    id: str
    workspace_id: str
    order_id: str
    variant_id: str | None
    sku: str | None
    title: str
    variant_title: str | None
    quantity: int
    unit_price_amount: int
    unit_price_presentment_amount: int
    discount_amount: int
    discount_presentment_amount: int
    taxable: bool
    requires_shipping: bool
    position: int
    attributes: dict[str, Any]


class ShippingLineRow(NamedTuple):
    id: str
    workspace_id: str
    order_id: str
    title: str
    code: str | None
    carrier: str | None
    amount: int
    presentment_amount: int
    discount_amount: int
    discount_presentment_amount: int
    position: int


class TaxLineRow(NamedTuple):
    id: str
    workspace_id: str
    order_id: str
    order_line_id: str | None
    shipping_line_id: str | None
    title: str
    rate: Decimal | None
    amount: int
    presentment_amount: int
    price_includes_tax: bool
    position: int


class DiscountRow(NamedTuple):
    id: str
    workspace_id: str
    order_id: str
    kind: str
    code: str | None
    title: str | None
    target: str
    value_type: str
    value: Decimal | None
    amount: int
    presentment_amount: int
    position: int


class AddressRow(NamedTuple):
    id: str
    workspace_id: str
    order_id: str
    kind: str
    name: str | None
    company: str | None
    line1: str | None
    line2: str | None
    city: str | None
    region: str | None
    region_code: str | None
    postal_code: str | None
    country_code: str | None
    phone: str | None


class RefundRow(NamedTuple):
    id: str
    workspace_id: str
    order_id: str
    reason: str | None
    note: str | None
    amount: int
    presentment_amount: int
    shipping_amount: int
    shipping_presentment_amount: int
    shipping_tax_amount: int
    shipping_tax_presentment_amount: int
    processed_at: datetime | None


class RefundLineRow(NamedTuple):
    id: str
    workspace_id: str
    refund_id: str
    order_line_id: str
    quantity: int
    amount: int
    presentment_amount: int
    tax_amount: int
    tax_presentment_amount: int
    restock_type: str | None


# Each row type with its table, in the order they are written: a row after the rows it points at.
CHILD_ROWS: tuple[tuple[Any, Any], ...] = (
    (LineRow, OrderLine),
    (ShippingLineRow, OrderShippingLine),
    (TaxLineRow, OrderTaxLine),
    (DiscountRow, OrderDiscount),
    (AddressRow, OrderAddress),
    (RefundRow, Refund),
    (RefundLineRow, RefundLine),
)
