"""Orders and what they are made of: lines, addresses, tax lines, discounts and shipping lines.

An order carries two currencies: `currency`, the shop's (what the books are kept in), and
`presentment_currency`, the one the buyer saw and paid in. Every amount on an order and on its child
rows is stored twice in minor units: `*_amount` in the shop currency and `*_presentment_amount` in
the presentment currency. The child rows do not repeat the currency codes; they are the order's, so
the two can never disagree. Amounts are kept as the source states them, not recomputed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ARRAY, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ledgerlink.models.base import Base, IdMixin, TimestampMixin, WorkspaceOfParent, WorkspaceScoped
from ledgerlink.models.columns import Attributes, Currency, Money, Rate, currency_check


class Order(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    __tablename__ = "orders"
    workspace_index = False  # the three below lead with it
    __table_args__ = (
        Index("ix_orders_workspace_updated_at", "workspace_id", "updated_at"),
        Index("ix_orders_workspace_placed_at", "workspace_id", "placed_at"),
        Index("ix_orders_workspace_number", "workspace_id", "number"),
        currency_check("currency"),
        currency_check("presentment_currency"),
        CheckConstraint("exchange_rate > 0", name="exchange_rate_positive"),
    )

    # The channel the order came from; NULL for orders entered by hand.
    integration_id: Mapped[str | None] = mapped_column(ForeignKey("integrations.id", ondelete="SET NULL"), index=True)
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    # The human-facing order name or number as the source shows it ("#1001", "113-5939-…").
    number: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(320))
    # open | closed | cancelled
    status: Mapped[str] = mapped_column(String(20), default="open")
    # pending | authorized | partially_paid | paid | partially_refunded | refunded | voided
    financial_status: Mapped[str | None] = mapped_column(String(30))
    # unfulfilled | partial | fulfilled | restocked
    fulfillment_status: Mapped[str | None] = mapped_column(String(30))

    currency: Mapped[Currency]
    presentment_currency: Mapped[Currency]
    # Shop-currency units per presentment-currency unit, as the source states it (NULL if not given).
    exchange_rate: Mapped[Rate | None]
    # Whether the source's line prices already include tax.
    taxes_included: Mapped[bool] = mapped_column(default=False)

    subtotal_amount: Mapped[Money] = mapped_column(default=0)
    subtotal_presentment_amount: Mapped[Money] = mapped_column(default=0)
    discount_amount: Mapped[Money] = mapped_column(default=0)
    discount_presentment_amount: Mapped[Money] = mapped_column(default=0)
    shipping_amount: Mapped[Money] = mapped_column(default=0)
    shipping_presentment_amount: Mapped[Money] = mapped_column(default=0)
    tax_amount: Mapped[Money] = mapped_column(default=0)
    tax_presentment_amount: Mapped[Money] = mapped_column(default=0)
    total_amount: Mapped[Money] = mapped_column(default=0)
    total_presentment_amount: Mapped[Money] = mapped_column(default=0)

    # When the order was placed upstream (its own creation time there).
    placed_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(255))
    note: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    attributes: Mapped[Attributes]


class OrderLine(IdMixin, WorkspaceOfParent, Base):
    __tablename__ = "order_lines"
    __table_args__ = (CheckConstraint("quantity >= 0", name="quantity_not_negative"),)

    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    # NULL for custom items, or once the variant has been deleted; sku and title keep what was sold.
    variant_id: Mapped[str | None] = mapped_column(ForeignKey("product_variants.id", ondelete="SET NULL"), index=True)
    sku: Mapped[str | None] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(500))
    variant_title: Mapped[str | None] = mapped_column(String(500))
    quantity: Mapped[int]
    unit_price_amount: Mapped[Money]
    unit_price_presentment_amount: Mapped[Money]
    # The line's total discount allocation (all units).
    discount_amount: Mapped[Money] = mapped_column(default=0)
    discount_presentment_amount: Mapped[Money] = mapped_column(default=0)
    taxable: Mapped[bool] = mapped_column(default=True)
    requires_shipping: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
    # Line-item properties / personalisation the source attaches.
    attributes: Mapped[Attributes]


class OrderAddress(IdMixin, WorkspaceOfParent, Base):
    """A billing or shipping address as it stood on the order (a snapshot, not a customer's book)."""

    __tablename__ = "order_addresses"
    __table_args__ = (CheckConstraint("kind IN ('billing', 'shipping')", name="kind"),)

    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str | None] = mapped_column(String(255))
    company: Mapped[str | None] = mapped_column(String(255))
    line1: Mapped[str | None] = mapped_column(String(255))
    line2: Mapped[str | None] = mapped_column(String(255))
    city: Mapped[str | None] = mapped_column(String(255))
    region: Mapped[str | None] = mapped_column(String(255))
    region_code: Mapped[str | None] = mapped_column(String(16))
    postal_code: Mapped[str | None] = mapped_column(String(32))
    # ISO 3166-1 alpha-2.
    country_code: Mapped[str | None] = mapped_column(String(2))
    phone: Mapped[str | None] = mapped_column(String(64))


class OrderShippingLine(IdMixin, WorkspaceOfParent, Base):
    __tablename__ = "order_shipping_lines"

    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(255))
    code: Mapped[str | None] = mapped_column(String(255))
    carrier: Mapped[str | None] = mapped_column(String(255))
    amount: Mapped[Money]
    presentment_amount: Mapped[Money]
    discount_amount: Mapped[Money] = mapped_column(default=0)
    discount_presentment_amount: Mapped[Money] = mapped_column(default=0)
    position: Mapped[int] = mapped_column(default=0)


class OrderTaxLine(IdMixin, WorkspaceOfParent, Base):
    """A tax line as the source gives it, attached to a line, a shipping line, or (neither) the order.

    Order-level rows are the source's own order-level tax lines; a connector stores the most detailed
    level the source offers and does not duplicate an order-level summary of line-level rows.
    """

    __tablename__ = "order_tax_lines"
    __table_args__ = (CheckConstraint("order_line_id IS NULL OR shipping_line_id IS NULL", name="one_target"),)

    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    # Which of the order's lines or shipping lines it taxes: resolved within the order (the tax lines
    # are read, rebuilt and deleted with their order, never through these), so no constraint or index:
    # checking each against its line was a third of the cost of writing an order's tax lines.
    order_line_id: Mapped[str | None] = mapped_column(String(40))
    shipping_line_id: Mapped[str | None] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(255))
    # A fraction: 0.0825 is 8.25 %. NULL when the source gives only an amount.
    rate: Mapped[Rate | None]
    amount: Mapped[Money]
    presentment_amount: Mapped[Money]
    # Whether the taxed price already included this tax (VAT-style) or it was added on top.
    price_includes_tax: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)


class OrderDiscount(IdMixin, WorkspaceOfParent, Base):
    """A discount applied to the order (a code, an automatic or a manual discount) and what it took off."""

    __tablename__ = "order_discounts"
    __table_args__ = (CheckConstraint("value_type IN ('fixed_amount', 'percentage')", name="value_type"),)

    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    # code | automatic | manual | script
    kind: Mapped[str] = mapped_column(String(20))
    code: Mapped[str | None] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(255))
    # line_items | shipping_lines
    target: Mapped[str] = mapped_column(String(20), default="line_items")
    value_type: Mapped[str] = mapped_column(String(20))
    # The nominal value: a percentage (10 is 10 %) or an amount in the presentment currency's major units.
    value: Mapped[Rate | None]
    amount: Mapped[Money]
    presentment_amount: Mapped[Money]
    position: Mapped[int] = mapped_column(default=0)
