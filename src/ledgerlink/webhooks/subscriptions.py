"""Outbound webhook subscriptions: who wants which events, where, signed with what.

Secrets are kept encrypted (a JSON list, newest first; during a rotation the previous one signs too
until it expires) and shown once: when the hub generates one at creation or rotation.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.api.schemas import StrictBody
from ledgerlink.errors import NotFound
from ledgerlink.ids import new_id
from ledgerlink.integrations.service import get_integration
from ledgerlink.models import WebhookDelivery, WebhookSubscription
from ledgerlink.secrets_box import SecretBox
from ledgerlink.webhooks import standard

EVENT_TYPES = (
    "order.created",
    "order.updated",
    "order.cancelled",
    "product.created",
    "product.updated",
    "product.deleted",
    "inventory.updated",
    "customer.created",
    "customer.updated",
    "payment.created",
    "refund.created",
    "sync.completed",
    "sync.failed",
    "bulk_job.started",
    "bulk_job.completed",
    "bulk_job.failed",
    "integration.error",
    "webhook.delivery_exhausted",
    "webhook.endpoint_disabled",
)
ALL = "*"  # every event type except the webhook.* ones about deliveries themselves
ROTATION_OVERLAP = timedelta(hours=24)


def _check_endpoint(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError("must be an absolute http(s) URL")
    if parts.username or parts.password:
        raise ValueError("must not carry credentials; sign with the secret instead")
    if parts.fragment:
        raise ValueError("must not have a #fragment")
    return value


def _check_events(value: list[str]) -> list[str]:
    unknown = sorted({e for e in value if e != ALL and e not in EVENT_TYPES})
    if unknown:
        raise ValueError(f"unknown event types {unknown}; known: {', '.join(EVENT_TYPES)} or '*'")
    return sorted(set(value))


class SubscriptionIn(StrictBody):
    events: list[str] = Field(min_length=1, max_length=50, description="Event types, or '*' for all")
    endpoint: str = Field(min_length=8, max_length=2000, description="Where deliveries are POSTed")
    secret: str | None = Field(
        default=None,
        min_length=16,
        max_length=200,
        description="Signing secret; generated (whsec_…) and shown once when omitted",
    )
    active: bool = True
    format: Literal["ledgerlink", "source"] = Field(
        default="ledgerlink", description="ledgerlink: seed 000's event envelope; source: the upstream's resource"
    )
    description: str | None = Field(default=None, max_length=500)

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        return _check_endpoint(value)

    @field_validator("events")
    @classmethod
    def _events(cls, value: list[str]) -> list[str]:
        return _check_events(value)


class SubscriptionPatch(StrictBody):
    events: list[str] | None = Field(default=None, min_length=1, max_length=50)
    endpoint: str | None = Field(default=None, min_length=8, max_length=2000)
    active: bool | None = None
    format: Literal["ledgerlink", "source"] | None = None
    description: str | None = Field(default=None, max_length=500)

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        return None if value is None else _check_endpoint(value)

    @field_validator("events")
    @classmethod
    def _events(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _check_events(value)


def secrets_of(box: SecretBox, subscription: WebhookSubscription, now: datetime | None = None) -> list[str]:
    """The live secrets, newest first: the previous one only until its overlap ends."""
    stored: list[str] = box.decrypt_json(subscription.secrets_encrypted)["secrets"]
    expires = subscription.previous_secret_expires_at
    if len(stored) > 1 and (expires is None or expires <= (now or datetime.now(UTC))):
        stored = stored[:1]
    return stored


async def create(
    session: AsyncSession, box: SecretBox, workspace_id: str, integration_id: str | None, data: SubscriptionIn
) -> tuple[WebhookSubscription, str | None]:
    """The subscription, and its secret if the hub generated it (to show once)."""
    if integration_id is not None:
        await get_integration(session, workspace_id, integration_id)  # 404 for another workspace's
    generated = None if data.secret else standard.new_secret()
    row = WebhookSubscription(
        id=new_id("wh"),
        workspace_id=workspace_id,
        integration_id=integration_id,
        endpoint=data.endpoint,
        events=data.events,
        format=data.format,
        description=data.description,
        active=data.active,
        secrets_encrypted=box.encrypt_json({"secrets": [data.secret or generated]}),
    )
    session.add(row)
    await session.flush()
    return row, generated


async def get(session: AsyncSession, workspace_id: str, subscription_id: str) -> WebhookSubscription:
    row = await session.get(WebhookSubscription, subscription_id)
    if row is None or row.workspace_id != workspace_id:
        raise NotFound(f"webhook subscription {subscription_id} not found", {"id": subscription_id})
    return row


async def patch(session: AsyncSession, workspace_id: str, subscription_id: str, data: SubscriptionPatch) -> Any:
    row = await get(session, workspace_id, subscription_id)
    for name in ("events", "endpoint", "format", "description"):
        value = getattr(data, name)
        if value is not None:
            setattr(row, name, value)
    if data.active is not None:
        row.active = data.active
        if data.active:  # re-enabled by a person: the failure record starts over
            row.failing_since = None
            row.disabled_reason = None
    await session.flush()
    return row


async def rotate(
    session: AsyncSession, box: SecretBox, workspace_id: str, subscription_id: str, new_secret: str | None
) -> tuple[WebhookSubscription, str | None]:
    """A new current secret; the old one keeps signing for ROTATION_OVERLAP so receivers can switch."""
    row = await get(session, workspace_id, subscription_id)
    generated = None if new_secret else standard.new_secret()
    current = secrets_of(box, row)[0]
    row.secrets_encrypted = box.encrypt_json({"secrets": [new_secret or generated, current]})
    row.previous_secret_expires_at = datetime.now(UTC) + ROTATION_OVERLAP
    await session.flush()
    return row, generated


async def disable(session: AsyncSession, row: WebhookSubscription, reason: str) -> None:
    """Stop delivering to an endpoint (410 Gone, or failing for days): pending deliveries are cancelled."""
    row.active = False
    row.disabled_reason = reason
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == row.id, WebhookDelivery.status == "pending")
        .values(status="cancelled", completed_at=func.now(), last_error=reason)
    )


def list_for(workspace_id: str, integration_id: str | None) -> Any:
    query = select(WebhookSubscription).where(WebhookSubscription.workspace_id == workspace_id)
    if integration_id is not None:
        query = query.where(WebhookSubscription.integration_id == integration_id)
    return query.order_by(WebhookSubscription.id)
