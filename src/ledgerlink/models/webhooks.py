"""Webhooks in both directions.

Inbound: every delivery an upstream platform makes is committed to `webhook_inbox` (raw body and
headers) before we answer 2xx, deduplicated by the provider's event id; a job drains it. The hooks we
created at the provider are kept in `webhook_registrations` so they can be repaired and removed.

Outbound: `webhook_subscriptions` name endpoints and the event types they want; fan-out turns
domain events into `webhook_deliveries` (the delivery id is the Standard Webhooks `webhook-id`, the
same on every retry) and every try is logged in `webhook_attempts`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ledgerlink.models.base import Base, IdMixin, TimestampMixin, WorkspaceScoped


class InboxEvent(IdMixin, WorkspaceScoped, Base):
    __tablename__ = "webhook_inbox"
    __table_args__ = (
        UniqueConstraint("integration_id", "dedupe_key"),
        Index("ix_webhook_inbox_pending", "integration_id", "received_at", postgresql_where="status = 'pending'"),
        Index("ix_webhook_inbox_received_at", "received_at"),
    )

    integration_id: Mapped[str] = mapped_column(String(40), ForeignKey("integrations.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(40))
    dedupe_key: Mapped[str] = mapped_column(String(300))
    topic: Mapped[str] = mapped_column(String(120))
    headers: Mapped[dict[str, Any]] = mapped_column(JSONB)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # pending | processed | failed | ignored
    status: Mapped[str] = mapped_column(String(20), server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    resource: Mapped[str | None] = mapped_column(String(40))
    external_id: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(Text)
    processed_at: Mapped[datetime | None]


class WebhookRegistration(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    __tablename__ = "webhook_registrations"
    __table_args__ = (UniqueConstraint("integration_id", "topic"),)

    integration_id: Mapped[str] = mapped_column(String(40), ForeignKey("integrations.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(120))
    upstream_id: Mapped[str] = mapped_column(String(200))
    destination: Mapped[str] = mapped_column(Text)
    # active | broken (missing or inactive upstream: the health check repairs it)
    status: Mapped[str] = mapped_column(String(20), server_default="active")
    last_checked_at: Mapped[datetime | None]
    # Where the hub chose the secret the hook signs with: a digest (webhooks/hook_secrets.py's
    # `secret_digest`, never the secret) of the one it was made or last updated with, so a changed
    # secret can be pushed to the hooks still signing with the old one. None: not known (made before
    # it was recorded, or the upstream chooses its own secret).
    secret_digest: Mapped[str | None] = mapped_column(String(64))


class WebhookSubscription(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    __tablename__ = "webhook_subscriptions"

    # None: every integration of the workspace (a workspace-wide subscription).
    integration_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("integrations.id", ondelete="CASCADE"), index=True
    )
    endpoint: Mapped[str] = mapped_column(Text)
    events: Mapped[list[str]] = mapped_column(ARRAY(String(80)))
    # ledgerlink (seed 000's envelope) | source (the upstream's own resource)
    format: Mapped[str] = mapped_column(String(20), server_default="ledgerlink")
    description: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    # Fernet token of a JSON list of whsec_ secrets, newest first (two during a rotation).
    secrets_encrypted: Mapped[str] = mapped_column(Text)
    previous_secret_expires_at: Mapped[datetime | None]
    failing_since: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(Text)


class WebhookDelivery(IdMixin, WorkspaceScoped, Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id"),
        Index("ix_webhook_deliveries_due", "next_attempt_at", postgresql_where="status = 'pending'"),
        Index("ix_webhook_deliveries_subscription", "subscription_id", "created_at"),
    )

    subscription_id: Mapped[str] = mapped_column(String(40), ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(40))
    event_type: Mapped[str] = mapped_column(String(80))
    # pending | succeeded | failed (retries exhausted) | cancelled (endpoint disabled)
    status: Mapped[str] = mapped_column(String(20), server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(server_default=func.now())
    lease_until: Mapped[datetime | None]
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    completed_at: Mapped[datetime | None]


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_delivery", "delivery_id", "attempted_at"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(40), ForeignKey("webhook_deliveries.id", ondelete="CASCADE"))
    attempted_at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)
    status_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int] = mapped_column(Integer)
    response_excerpt: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)


class OutboxCursor(Base):
    """How far a consumer of the events table has read, as a transaction-id horizon: every event of
    a transaction older than `horizon` has been handed on (see webhooks/fanout.py for why not `seq`)."""

    __tablename__ = "outbox_cursors"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    horizon: Mapped[int] = mapped_column(BigInteger, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
