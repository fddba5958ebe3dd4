"""Which upstream object (per integration) each canonical record came from, and what we last saw of it.

A row maps (workspace, integration, resource type, upstream id) to one canonical record. The upstream
`updated_at` and a hash of the upstream payload let a re-sync tell a new object, a changed one, an
unchanged one and a stale (older) copy apart; see `ledgerlink.canonical.external_refs`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from ledgerlink.models.base import Base, IdMixin, WorkspaceScoped


class ExternalRef(IdMixin, WorkspaceScoped, Base):
    __tablename__ = "external_refs"
    __table_args__ = (
        UniqueConstraint("workspace_id", "integration_id", "resource_type", "external_id", name="uq_external_refs_key"),
        Index("ix_external_refs_canonical", "workspace_id", "resource_type", "canonical_id"),
    )
    workspace_index = False  # both indexes above lead with it

    integration_id: Mapped[str] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"), index=True)
    # order | order_line | product | variant | customer | payment | refund | location | …
    resource_type: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(String(255))
    # The canonical record's id; its table follows from resource_type (hence no foreign key).
    canonical_id: Mapped[str] = mapped_column(String(40))
    upstream_updated_at: Mapped[datetime | None]
    # SHA-256 (hex) of the canonical JSON of the upstream payload last accepted.
    payload_hash: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_seen_at: Mapped[datetime] = mapped_column(server_default=func.now())
