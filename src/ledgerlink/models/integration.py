"""A configured connection to one upstream platform (an "integration instance")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ledgerlink.models.base import Base, IdMixin, TimestampMixin, WorkspaceScoped


class Integration(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    __tablename__ = "integrations"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    provider: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # active | unverified | disabled | error | needs_reauth
    status: Mapped[str] = mapped_column(String(20))
    credentials_encrypted: Mapped[str] = mapped_column(Text)
    # What the API may show of the credentials (plain fields, secrets as **** + last 4), kept at
    # write time so reading an integration never needs to decrypt it.
    credentials_summary: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    mapping: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    connected_at: Mapped[datetime | None]
    verified_at: Mapped[datetime | None]
    disabled_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # The secret token in the URL upstream hooks deliver to (/direct/webhook/big-commerce/order/{token}):
    # looked up by its SHA-256, kept encrypted to build destination URLs.
    inbound_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    inbound_token_encrypted: Mapped[str | None] = mapped_column(Text)
