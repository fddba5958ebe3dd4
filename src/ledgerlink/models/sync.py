"""Sync runs, their slices, their per-record errors, and each stream's incremental cursor.

The run row is the truth about a sync; the job that moves it only points at it. A run checkpoints
its resume token and counters with every page it commits, so whoever picks it up next (the same
job retried, or another worker after a crash) continues from the last committed page. A large run
is cut into slices (ranges of upstream updated-at), each with its own resume token, that several
workers read and write at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ledgerlink.models.base import Base, IdMixin, TimestampMixin, WorkspaceScoped

ACTIVE_STATUSES = ("queued", "running")


class SyncRun(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    __tablename__ = "sync_runs"
    __table_args__ = (
        # At most one active run per integration and stream, whatever process asks for one.
        Index(
            "uq_sync_runs_one_active",
            "integration_id",
            "stream",
            unique=True,
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
        Index("ix_sync_runs_workspace_created", "workspace_id", "created_at"),
    )

    integration_id: Mapped[str] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"), index=True)
    stream: Mapped[str] = mapped_column(String(40))
    # full | incremental | reconcile | retry
    sync_type: Mapped[str] = mapped_column(String(20))
    # queued | running | succeeded | completed_with_errors | failed | cancelled
    status: Mapped[str] = mapped_column(String(30), default="queued")
    trigger: Mapped[str] = mapped_column(String(20), default="api")  # api | schedule | webhook | cli
    window: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)  # since, until, filters, pageSize
    token: Mapped[dict[str, Any] | None] = mapped_column(JSONB)  # resume point: the next page to read
    high_water: Mapped[datetime | None]  # newest upstream updated_at committed by this run
    to_process: Mapped[int | None] = mapped_column(Integer)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    retry_of: Mapped[str | None] = mapped_column(String(40))
    error_code: Mapped[str | None] = mapped_column(String(40))
    error_message: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]


class SyncRunSlice(Base):
    """One range of a run's window, [since, until) of upstream updated-at, read and written by whichever
    worker holds it (sync/slices.py); `token` is where it resumes, as a run's own token is for an uncut run."""

    __tablename__ = "sync_run_slices"

    sync_run_id: Mapped[str] = mapped_column(ForeignKey("sync_runs.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    since: Mapped[datetime | None]
    until: Mapped[datetime | None]
    token: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    taken_by: Mapped[str | None] = mapped_column(String(120))  # the worker (host:pid) that took it last


class SyncItemError(IdMixin, WorkspaceScoped, Base):
    """One record that could not be synced: kept with its external id so retry-failed can re-fetch it."""

    __tablename__ = "sync_item_errors"
    __table_args__ = (UniqueConstraint("sync_run_id", "resource_type", "external_id"),)

    sync_run_id: Mapped[str] = mapped_column(ForeignKey("sync_runs.id", ondelete="CASCADE"), index=True)
    integration_id: Mapped[str] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"), index=True)
    stream: Mapped[str] = mapped_column(String(40))
    resource_type: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(String(255))
    error_type: Mapped[str] = mapped_column(String(40))  # validation_error | mapping_error | upstream_error
    message: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    resolved_at: Mapped[datetime | None]
    retries: Mapped[int] = mapped_column(Integer, default=0)


class StreamCursor(WorkspaceScoped, Base):
    """Where the next incremental sync of a stream starts: moved only with the page it covers."""

    __tablename__ = "stream_cursors"

    integration_id: Mapped[str] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"), primary_key=True)
    stream: Mapped[str] = mapped_column(String(40), primary_key=True)
    cursor_at: Mapped[datetime | None]
    last_run_id: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
