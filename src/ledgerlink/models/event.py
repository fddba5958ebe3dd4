"""Domain events: written in the same transaction as the change they describe."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Identity, Index, String, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ledgerlink.models.base import Base, IdMixin, WorkspaceScoped


class Event(IdMixin, WorkspaceScoped, Base):
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_workspace_seq", "workspace_id", "seq"),)
    workspace_index = False  # ix_events_workspace_seq leads with it

    # Commit-ordered cursor for consumers (outbound deliveries, workflows) that read "everything after N".
    seq: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True)
    type: Mapped[str] = mapped_column(String(80), index=True)
    source: Mapped[str] = mapped_column(String(40))
    integration_id: Mapped[str | None] = mapped_column(String(40), index=True)
    subject_id: Mapped[str | None] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    occurred_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # The writing transaction's id. `seq` is handed out at insert, not at commit, so a reader of
    # "seq > N" would skip an event whose transaction commits late; readers use this instead, up to
    # the oldest transaction still running (webhooks/fanout.py).
    txid: Mapped[int] = mapped_column(
        BigInteger, server_default=text("(pg_current_xact_id()::text)::bigint"), index=True
    )
