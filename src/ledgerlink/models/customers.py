"""Customers: the people and businesses that place orders."""

from __future__ import annotations

from sqlalchemy import ARRAY, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ledgerlink.models.base import Base, IdMixin, TimestampMixin, WorkspaceScoped
from ledgerlink.models.columns import Attributes, Currency, currency_check


class Customer(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    __tablename__ = "customers"
    __table_args__ = (
        Index("ix_customers_workspace_email", "workspace_id", "email"),
        Index("ix_customers_workspace_updated_at", "workspace_id", "updated_at"),
        currency_check("currency"),
    )

    email: Mapped[str | None] = mapped_column(String(320))
    first_name: Mapped[str | None] = mapped_column(String(255))
    last_name: Mapped[str | None] = mapped_column(String(255))
    company: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(64))
    # The customer's preferred currency, when the source knows one.
    currency: Mapped[Currency | None]
    accepts_marketing: Mapped[bool] = mapped_column(default=False)
    tax_exempt: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    attributes: Mapped[Attributes]
