"""Stock: where it is kept (locations) and how much of each variant is at each (inventory levels)."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Computed, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ledgerlink.models.base import Base, IdMixin, TimestampMixin, WorkspaceScoped
from ledgerlink.models.columns import Attributes


class Location(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    __tablename__ = "locations"

    name: Mapped[str] = mapped_column(String(255))
    # warehouse | store | fulfillment_service | marketplace (e.g. Amazon FBA)
    kind: Mapped[str] = mapped_column(String(30), default="warehouse")
    active: Mapped[bool] = mapped_column(default=True)
    # ISO 3166-1 alpha-2.
    country_code: Mapped[str | None] = mapped_column(String(2))
    attributes: Mapped[Attributes]


class InventoryLevel(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    """Units of one variant at one location. `available` is computed by the database, never written."""

    __tablename__ = "inventory_levels"
    __table_args__ = (
        UniqueConstraint("variant_id", "location_id"),
        Index("ix_inventory_levels_workspace_updated_at", "workspace_id", "updated_at"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
    )

    variant_id: Mapped[str] = mapped_column(ForeignKey("product_variants.id", ondelete="CASCADE"))
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), index=True)
    # May go negative when a channel oversells.
    on_hand: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)
    available: Mapped[int] = mapped_column(Computed("on_hand - reserved", persisted=True))
