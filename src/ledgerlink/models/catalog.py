"""The catalogue: products and their variants; a variant is what a SKU names."""

from __future__ import annotations

from sqlalchemy import ARRAY, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from ledgerlink.models.base import Base, IdMixin, TimestampMixin, WorkspaceScoped
from ledgerlink.models.columns import Attributes, Currency, Money, currency_check


class Product(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    __tablename__ = "products"
    __table_args__ = (
        Index("ix_products_workspace_updated_at", "workspace_id", "updated_at"),
        Index("ix_products_workspace_handle", "workspace_id", "handle"),
    )

    title: Mapped[str] = mapped_column(String(500))
    handle: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    vendor: Mapped[str | None] = mapped_column(String(255))
    product_type: Mapped[str | None] = mapped_column(String(255))
    # active | draft | archived
    status: Mapped[str] = mapped_column(String(20), default="active")
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    attributes: Mapped[Attributes]


class ProductVariant(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    """One sellable item. Its SKU, when it has one, is unique within the workspace across channels."""

    __tablename__ = "product_variants"
    __table_args__ = (
        Index(
            "uq_product_variants_workspace_sku",
            "workspace_id",
            "sku",
            unique=True,
            postgresql_where=text("sku IS NOT NULL"),
        ),
        Index("ix_product_variants_workspace_updated_at", "workspace_id", "updated_at"),
        # An empty SKU is "no SKU": store NULL so it cannot collide in the unique index.
        CheckConstraint("sku <> ''", name="sku_not_empty"),
        CheckConstraint(
            "(price_amount IS NULL AND compare_at_amount IS NULL AND cost_amount IS NULL) OR currency IS NOT NULL",
            name="price_has_currency",
        ),
        currency_check("currency"),
    )

    product_id: Mapped[str] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str | None] = mapped_column(String(255))
    barcode: Mapped[str | None] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(500))
    # Option name -> value, e.g. {"Size": "M", "Colour": "Blue"}.
    options: Mapped[Attributes]
    currency: Mapped[Currency | None]
    price_amount: Mapped[Money | None]
    compare_at_amount: Mapped[Money | None]
    cost_amount: Mapped[Money | None]
    taxable: Mapped[bool] = mapped_column(default=True)
    requires_shipping: Mapped[bool] = mapped_column(default=True)
    weight_grams: Mapped[int | None]
    position: Mapped[int] = mapped_column(default=0)
    attributes: Mapped[Attributes]
