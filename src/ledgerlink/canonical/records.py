"""What a connector says an upstream object is: the canonical records a mapper produces.

Platform-neutral and free of database ids: references between records are by external id (the
upstream's), and the loader resolves them. Amounts are integer minor units of the record's
currency; rates are Decimal fractions (0.0825 is 8.25 %). Validated at the boundary: a mapper
that produces something invalid fails that record, not the run.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

OrderStatus = Literal["open", "closed", "cancelled"]
FinancialStatus = Literal["pending", "authorized", "partially_paid", "paid", "partially_refunded", "refunded", "voided"]
FulfillmentStatus = Literal["unfulfilled", "partial", "fulfilled", "restocked"]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _upper_currency(value: str) -> str:
    if len(value) != 3 or not value.isalpha():
        raise ValueError(f"not an ISO 4217 currency code: {value!r}")
    return value.upper()


class Address(Record):
    name: str | None = None
    company: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    region_code: str | None = None
    postal_code: str | None = None
    country_code: str | None = Field(default=None, min_length=2, max_length=2)
    phone: str | None = None


class TaxLine(Record):
    title: str
    rate: Decimal | None = None
    amount: int
    presentment_amount: int
    price_includes_tax: bool = False


class OrderLine(Record):
    external_id: str
    sku: str | None = None
    title: str
    variant_title: str | None = None
    variant_external_id: str | None = None
    product_external_id: str | None = None
    quantity: int = Field(ge=0)
    unit_price: int
    unit_price_presentment: int
    discount: int = 0
    discount_presentment: int = 0
    taxable: bool = True
    requires_shipping: bool = True
    tax_lines: tuple[TaxLine, ...] = ()
    attributes: dict[str, Any] = Field(default_factory=dict)


class ShippingLine(Record):
    title: str
    code: str | None = None
    carrier: str | None = None
    amount: int
    presentment_amount: int
    discount: int = 0
    discount_presentment: int = 0
    tax_lines: tuple[TaxLine, ...] = ()


class Discount(Record):
    kind: Literal["code", "automatic", "manual", "script"] = "code"
    code: str | None = None
    title: str | None = None
    target: Literal["line_items", "shipping_lines"] = "line_items"
    value_type: Literal["fixed_amount", "percentage"] = "fixed_amount"
    value: Decimal | None = None
    amount: int
    presentment_amount: int


class RefundLine(Record):
    line_external_id: str | None = None
    quantity: int = Field(ge=0)
    amount: int
    presentment_amount: int
    tax_amount: int = 0
    tax_presentment_amount: int = 0
    restock_type: str | None = None


class Refund(Record):
    """Money given back on an order. `amount` is the whole refund as the source states it; the lines
    and the shipping itemise what of it they can. `shipping_amount` is the refunded shipping at the
    source's subtotal, which includes tax exactly when the order's prices do (like the order's own
    shipping); `shipping_tax_amount` is the tax on it, either way."""

    external_id: str
    processed_at: datetime | None = None
    reason: str | None = None
    note: str | None = None
    amount: int
    presentment_amount: int
    shipping_amount: int = 0
    shipping_presentment_amount: int = 0
    shipping_tax_amount: int = 0
    shipping_tax_presentment_amount: int = 0
    lines: tuple[RefundLine, ...] = ()


class Customer(Record):
    external_id: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    phone: str | None = None
    currency: str | None = None
    accepts_marketing: bool = False
    tax_exempt: bool = False
    note: str | None = None
    tags: tuple[str, ...] = ()
    updated_at: datetime | None = None

    _currency = field_validator("currency")(lambda v: v if v is None else _upper_currency(v))


class Order(Record):
    external_id: str
    number: str | None = None
    customer_external_id: str | None = None
    customer: Customer | None = None  # when the source embeds it
    email: str | None = None
    status: OrderStatus = "open"
    financial_status: FinancialStatus | None = None
    fulfillment_status: FulfillmentStatus | None = None
    currency: str
    presentment_currency: str
    exchange_rate: Decimal | None = Field(default=None, gt=0, description="shop units per presentment unit")
    taxes_included: bool = False
    subtotal: int
    subtotal_presentment: int
    discount: int = 0
    discount_presentment: int = 0
    shipping: int = 0
    shipping_presentment: int = 0
    tax: int = 0
    tax_presentment: int = 0
    total: int
    total_presentment: int
    placed_at: datetime | None = None
    updated_at: datetime | None = None
    closed_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    note: str | None = None
    tags: tuple[str, ...] = ()
    billing_address: Address | None = None
    shipping_address: Address | None = None
    lines: tuple[OrderLine, ...] = ()
    shipping_lines: tuple[ShippingLine, ...] = ()
    tax_lines: tuple[TaxLine, ...] = ()  # order-level only when the source has no line-level ones
    discounts: tuple[Discount, ...] = ()
    refunds: tuple[Refund, ...] = ()
    attributes: dict[str, Any] = Field(default_factory=dict)

    _currencies = field_validator("currency", "presentment_currency")(_upper_currency)


class Variant(Record):
    external_id: str
    sku: str | None = None
    barcode: str | None = None
    title: str | None = None
    options: dict[str, str] = Field(default_factory=dict)
    currency: str | None = None
    price: int | None = None
    compare_at_price: int | None = None
    cost: int | None = None
    taxable: bool = True
    requires_shipping: bool = True
    weight_grams: int | None = None
    position: int = 0
    inventory_item_external_id: str | None = None

    @field_validator("sku")
    @classmethod
    def _blank_sku_is_none(cls, value: str | None) -> str | None:
        return value or None


class Product(Record):
    external_id: str
    title: str
    handle: str | None = None
    description: str | None = None
    vendor: str | None = None
    product_type: str | None = None
    status: Literal["active", "draft", "archived"] = "active"
    tags: tuple[str, ...] = ()
    updated_at: datetime | None = None
    variants: tuple[Variant, ...] = ()


class Location(Record):
    external_id: str
    name: str
    kind: str | None = None
    active: bool = True
    country_code: str | None = None
    updated_at: datetime | None = None


class InventoryLevel(Record):
    """One SKU at one location. Identified upstream by the pair (variant or item, location)."""

    variant_external_id: str | None = None
    sku: str | None = None
    location_external_id: str
    on_hand: int
    reserved: int = Field(default=0, ge=0)
    updated_at: datetime | None = None

    @property
    def external_id(self) -> str:
        return f"{self.variant_external_id or self.sku}@{self.location_external_id}"


if TYPE_CHECKING:
    # A processor's records (canonical/payments.py builds on this module, so only for type checkers).
    from ledgerlink.canonical.payments import PaymentRecord

    CanonicalRecord = Order | Product | Customer | Location | InventoryLevel | PaymentRecord
else:
    CanonicalRecord = Order | Product | Customer | Location | InventoryLevel
