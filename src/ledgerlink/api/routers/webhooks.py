"""Outbound webhook subscriptions, their deliveries, and the inbound inbox.

Seed 000: `POST /v1/integrations/{integrationId}/webhooks` (events, endpoint, secret, active).
Workspace-wide subscriptions live at `/v1/webhooks`. Deliveries can be inspected, retried one by one,
and replayed for every event since a time; inbound webhooks that failed can be retried.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import AwareDatetime, BaseModel, Field, model_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.api.deps import db_session, get_runtime, requires
from ledgerlink.api.envelope import ERROR_RESPONSES, Envelope, PageEnvelope, PageParams, ok, page_params, paged
from ledgerlink.api.schemas import StrictBody
from ledgerlink.auth.principal import Principal
from ledgerlink.db.paging import fetch_page
from ledgerlink.errors import NotFound
from ledgerlink.models import InboxEvent, WebhookAttempt, WebhookDelivery, WebhookSubscription
from ledgerlink.runtime import Runtime
from ledgerlink.webhooks import fanout
from ledgerlink.webhooks import subscriptions as subs
from ledgerlink.webhooks.fanout import defer_sender
from ledgerlink.webhooks.inbox import defer_drain

router = APIRouter(tags=["webhooks"], responses=ERROR_RESPONSES)


class SubscriptionOut(BaseModel):
    id: str
    integrationId: str | None
    events: list[str]
    endpoint: str
    format: str
    active: bool
    description: str | None
    failingSince: datetime | None
    disabledReason: str | None
    createdAt: datetime
    updatedAt: datetime
    secret: str | None = Field(None, description="Only when the hub generated it: shown this once")


def _out(row: WebhookSubscription, secret: str | None = None) -> SubscriptionOut:
    return SubscriptionOut(
        id=row.id,
        integrationId=row.integration_id,
        events=list(row.events),
        endpoint=row.endpoint,
        format=row.format,
        active=row.active,
        description=row.description,
        failingSince=row.failing_since,
        disabledReason=row.disabled_reason,
        createdAt=row.created_at,
        updatedAt=row.updated_at,
        secret=secret,
    )


async def _page_of_subscriptions(
    session: AsyncSession, workspace_id: str, integration_id: str | None, params: PageParams
) -> dict[str, Any]:
    query = subs.list_for(workspace_id, integration_id)
    rows, total = await fetch_page(
        session, query, order_by=WebhookSubscription.id, offset=params.offset, limit=params.limit
    )
    return paged([_out(r) for r in rows], params, total)


async def _created(session: AsyncSession, row: WebhookSubscription, secret: str | None) -> dict[str, Any]:
    await session.commit()
    await session.refresh(row)
    return ok(_out(row, secret))


@router.post(
    "/v1/integrations/{integrationId}/webhooks",
    status_code=201,
    response_model=Envelope[SubscriptionOut],
    summary="Subscribe an endpoint to an integration's events",
)
async def create_integration_subscription(
    body: subs.SubscriptionIn,
    integrationId: str = Path(max_length=40),
    principal: Principal = Depends(requires("write:webhooks")),
    session: AsyncSession = Depends(db_session),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    row, secret = await subs.create(session, runtime.secrets, principal.workspace_id, integrationId, body)
    return await _created(session, row, secret)


@router.get(
    "/v1/integrations/{integrationId}/webhooks",
    response_model=PageEnvelope[SubscriptionOut],
    summary="List an integration's webhook subscriptions",
)
async def list_integration_subscriptions(
    integrationId: str = Path(max_length=40),
    params: PageParams = Depends(page_params),
    principal: Principal = Depends(requires("read:webhooks")),
    session: AsyncSession = Depends(db_session),
) -> dict[str, Any]:
    return await _page_of_subscriptions(session, principal.workspace_id, integrationId, params)


@router.post(
    "/v1/webhooks", status_code=201, response_model=Envelope[SubscriptionOut], summary="Subscribe to every integration"
)
async def create_subscription(
    body: subs.SubscriptionIn,
    principal: Principal = Depends(requires("write:webhooks")),
    session: AsyncSession = Depends(db_session),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    row, secret = await subs.create(session, runtime.secrets, principal.workspace_id, None, body)
    return await _created(session, row, secret)


@router.get("/v1/webhooks", response_model=PageEnvelope[SubscriptionOut], summary="List webhook subscriptions")
async def list_subscriptions(
    params: PageParams = Depends(page_params),
    principal: Principal = Depends(requires("read:webhooks")),
    session: AsyncSession = Depends(db_session),
) -> dict[str, Any]:
    return await _page_of_subscriptions(session, principal.workspace_id, None, params)


@router.get("/v1/webhooks/{webhookId}", response_model=Envelope[SubscriptionOut], summary="Get a subscription")
async def get_subscription(
    webhookId: str = Path(max_length=40),
    principal: Principal = Depends(requires("read:webhooks")),
    session: AsyncSession = Depends(db_session),
) -> dict[str, Any]:
    return ok(_out(await subs.get(session, principal.workspace_id, webhookId)))


@router.patch("/v1/webhooks/{webhookId}", response_model=Envelope[SubscriptionOut], summary="Change a subscription")
async def patch_subscription(
    body: subs.SubscriptionPatch,
    webhookId: str = Path(max_length=40),
    principal: Principal = Depends(requires("write:webhooks")),
    session: AsyncSession = Depends(db_session),
) -> dict[str, Any]:
    row = await subs.patch(session, principal.workspace_id, webhookId, body)
    return await _created(session, row, None)


@router.delete("/v1/webhooks/{webhookId}", response_model=Envelope[dict[str, Any]], summary="Delete a subscription")
async def delete_subscription(
    webhookId: str = Path(max_length=40),
    principal: Principal = Depends(requires("write:webhooks")),
    session: AsyncSession = Depends(db_session),
) -> dict[str, Any]:
    row = await subs.get(session, principal.workspace_id, webhookId)
    await session.delete(row)
    await session.commit()
    return ok({"id": webhookId, "deleted": True})


class RotateIn(StrictBody):
    secret: str | None = Field(None, min_length=16, max_length=200, description="New secret; generated if omitted")


@router.post(
    "/v1/webhooks/{webhookId}/rotate-secret",
    response_model=Envelope[SubscriptionOut],
    summary="Rotate the signing secret (the old one keeps signing for 24 hours)",
)
async def rotate_secret(
    body: RotateIn,
    webhookId: str = Path(max_length=40),
    principal: Principal = Depends(requires("write:webhooks")),
    session: AsyncSession = Depends(db_session),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    row, secret = await subs.rotate(session, runtime.secrets, principal.workspace_id, webhookId, body.secret)
    return await _created(session, row, secret)


class AttemptOut(BaseModel):
    attemptedAt: datetime
    statusCode: int | None
    latencyMs: int
    response: str | None
    error: str | None


class DeliveryOut(BaseModel):
    id: str
    subscriptionId: str
    eventId: str
    event: str
    status: str
    attempts: int
    nextAttemptAt: datetime | None
    lastStatus: int | None
    lastError: str | None
    createdAt: datetime
    completedAt: datetime | None
    attemptLog: list[AttemptOut] | None = None


def _delivery(row: WebhookDelivery, attempts: list[WebhookAttempt] | None = None) -> DeliveryOut:
    return DeliveryOut(
        id=row.id,
        subscriptionId=row.subscription_id,
        eventId=row.event_id,
        event=row.event_type,
        status=row.status,
        attempts=row.attempts,
        nextAttemptAt=row.next_attempt_at if row.status == "pending" else None,
        lastStatus=row.last_status,
        lastError=row.last_error,
        createdAt=row.created_at,
        completedAt=row.completed_at,
        attemptLog=None
        if attempts is None
        else [
            AttemptOut(
                attemptedAt=a.attempted_at,
                statusCode=a.status_code,
                latencyMs=a.latency_ms,
                response=a.response_excerpt,
                error=a.error,
            )
            for a in attempts
        ],
    )


@router.get(
    "/v1/webhooks/{webhookId}/deliveries",
    response_model=PageEnvelope[DeliveryOut],
    summary="List a subscription's deliveries, newest first",
)
async def list_deliveries(
    webhookId: str = Path(max_length=40),
    status: Literal["pending", "succeeded", "failed", "cancelled"] | None = Query(None),
    params: PageParams = Depends(page_params),
    principal: Principal = Depends(requires("read:webhooks")),
    session: AsyncSession = Depends(db_session),
) -> dict[str, Any]:
    await subs.get(session, principal.workspace_id, webhookId)
    query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == webhookId)
    if status:
        query = query.where(WebhookDelivery.status == status)
    rows, total = await fetch_page(
        session, query, order_by=WebhookDelivery.id.desc(), offset=params.offset, limit=params.limit
    )
    return paged([_delivery(r) for r in rows], params, total)


async def _get_delivery(session: AsyncSession, workspace_id: str, delivery_id: str) -> WebhookDelivery:
    row = await session.get(WebhookDelivery, delivery_id)
    if row is None or row.workspace_id != workspace_id:
        raise NotFound(f"delivery {delivery_id} not found", {"id": delivery_id})
    return row


@router.get(
    "/v1/webhook-deliveries/{deliveryId}",
    response_model=Envelope[DeliveryOut],
    summary="A delivery with every attempt",
)
async def get_delivery(
    deliveryId: str = Path(max_length=40),
    principal: Principal = Depends(requires("read:webhooks")),
    session: AsyncSession = Depends(db_session),
) -> dict[str, Any]:
    row = await _get_delivery(session, principal.workspace_id, deliveryId)
    attempts = (
        await session.execute(
            select(WebhookAttempt).where(WebhookAttempt.delivery_id == row.id).order_by(WebhookAttempt.id)
        )
    ).scalars()
    return ok(_delivery(row, list(attempts)))


@router.post(
    "/v1/webhook-deliveries/{deliveryId}/retry",
    response_model=Envelope[DeliveryOut],
    summary="Send a delivery again now (whatever its status)",
)
async def retry_delivery(
    deliveryId: str = Path(max_length=40),
    principal: Principal = Depends(requires("write:webhooks")),
    session: AsyncSession = Depends(db_session),
) -> dict[str, Any]:
    row = await _get_delivery(session, principal.workspace_id, deliveryId)
    row.status, row.next_attempt_at, row.lease_until, row.completed_at = "pending", datetime.now(UTC), None, None
    await defer_sender(session, row.subscription_id)
    await session.commit()
    await session.refresh(row)
    return ok(_delivery(row))


class ReplayIn(StrictBody):
    since: AwareDatetime = Field(description="Replay every matching event from this time (ISO 8601 with offset)")
    until: AwareDatetime | None = Field(None, description="Up to this time; now if omitted")

    @model_validator(mode="after")
    def _window(self) -> ReplayIn:
        if self.until is not None and self.until < self.since:
            raise ValueError("until must not be before since")
        return self


class ReplayOut(BaseModel):
    subscriptionId: str
    events: int
    requeued: int


@router.post(
    "/v1/webhooks/{webhookId}/replay",
    response_model=Envelope[ReplayOut],
    summary="Deliver again every subscribed event since a time (same webhook-id per event)",
)
async def replay(
    body: ReplayIn,
    webhookId: str = Path(max_length=40),
    principal: Principal = Depends(requires("write:webhooks")),
    session: AsyncSession = Depends(db_session),
) -> dict[str, Any]:
    sub = await subs.get(session, principal.workspace_id, webhookId)
    events, requeued = await fanout.replay(session, sub.id, body.since, body.until)
    await session.commit()
    return ok(ReplayOut(subscriptionId=sub.id, events=events, requeued=requeued))


class InboxOut(BaseModel):
    id: str
    integrationId: str
    provider: str
    topic: str
    resource: str | None
    externalId: str | None
    status: str
    attempts: int
    lastError: str | None
    receivedAt: datetime
    processedAt: datetime | None


def _inbox(row: InboxEvent) -> InboxOut:
    return InboxOut(
        id=row.id,
        integrationId=row.integration_id,
        provider=row.provider,
        topic=row.topic,
        resource=row.resource,
        externalId=row.external_id,
        status=row.status,
        attempts=row.attempts,
        lastError=row.last_error,
        receivedAt=row.received_at,
        processedAt=row.processed_at,
    )


@router.get("/v1/webhooks-inbox", response_model=PageEnvelope[InboxOut], summary="Inbound webhooks, newest first")
async def list_inbox(
    integrationId: str | None = Query(None, max_length=40),
    status: Literal["pending", "processed", "failed", "ignored"] | None = Query(None),
    params: PageParams = Depends(page_params),
    principal: Principal = Depends(requires("read:webhooks")),
    session: AsyncSession = Depends(db_session),
) -> dict[str, Any]:
    query = select(InboxEvent).where(InboxEvent.workspace_id == principal.workspace_id)
    if integrationId:
        query = query.where(InboxEvent.integration_id == integrationId)
    if status:
        query = query.where(InboxEvent.status == status)
    rows, total = await fetch_page(
        session, query, order_by=InboxEvent.id.desc(), offset=params.offset, limit=params.limit
    )
    return paged([_inbox(r) for r in rows], params, total)


@router.post(
    "/v1/webhooks-inbox/{inboxId}/retry", response_model=Envelope[InboxOut], summary="Process an inbound webhook again"
)
async def retry_inbox(
    inboxId: str = Path(max_length=40),
    principal: Principal = Depends(requires("write:webhooks")),
    session: AsyncSession = Depends(db_session),
) -> dict[str, Any]:
    row = await session.get(InboxEvent, inboxId)
    if row is None or row.workspace_id != principal.workspace_id:
        raise NotFound(f"inbound webhook {inboxId} not found", {"id": inboxId})
    row.status, row.last_error, row.processed_at = "pending", None, None
    await defer_drain(session, row.integration_id)
    await session.commit()
    await session.refresh(row)
    return ok(_inbox(row))
