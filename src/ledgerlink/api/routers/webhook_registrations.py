"""The hooks the hub registers at an integration's upstream platform, and seed 004's "Check Integration".

- `POST /v1/integrations/{integrationId}/webhooks/register` creates them (idempotent; `publicUrl`
  overrides LEDGERLINK_PUBLIC_URL, the address the upstream delivers to);
- `GET …/webhooks/registrations` lists them; `DELETE …/webhooks/registrations` removes them upstream;
- `POST …/webhooks/check` repairs missing or inactive ones, then sends a test event through the
  registered destination and reports whether it arrived and how long it took.

A BigCommerce destination carries the integration's secret token: it is shown masked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Body, Depends, Path
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.api.deps import db_session, get_runtime, requires
from ledgerlink.api.envelope import ERROR_RESPONSES, Envelope, PageEnvelope, PageParams, ok, page_params, paged
from ledgerlink.api.schemas import StrictBody
from ledgerlink.auth.principal import Principal
from ledgerlink.db.paging import fetch_page
from ledgerlink.integrations.service import get_integration
from ledgerlink.models import WebhookRegistration
from ledgerlink.runtime import Runtime
from ledgerlink.webhooks import destinations, integration_check, registration

router = APIRouter(prefix="/v1/integrations", tags=["webhooks"], responses=ERROR_RESPONSES)

IntegrationId = Path(pattern=r"^int_[0-9a-z]{26}$", description="An integration instance id (int_…)")


class RegisterBody(StrictBody):
    publicUrl: str | None = Field(
        default=None,
        max_length=500,
        description="The hub's address as the upstream reaches it (https://hub.example.com); "
        "default LEDGERLINK_PUBLIC_URL",
    )

    @field_validator("publicUrl")
    @classmethod
    def _absolute(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError("must be an absolute http(s) URL without query or fragment")
        if parts.username or parts.password:
            raise ValueError("must not carry credentials")
        return value


class RegistrationOut(BaseModel):
    id: str
    integrationId: str
    topic: str = Field(description="The upstream's topic or scope, as it spells it")
    upstreamId: str
    destination: str
    status: str = Field(description="active | broken (missing or inactive upstream)")
    lastCheckedAt: datetime | None
    createdAt: datetime
    updatedAt: datetime


class RepairOut(BaseModel):
    topic: str
    reason: str = Field(description="missing | inactive | unregistered")
    upstreamId: str | None
    error: str | None


class CheckOut(BaseModel):
    registrations: list[RegistrationOut]
    repaired: list[RepairOut]
    delivered: bool = Field(description="The test event was answered 2xx and is in the integration's inbox")
    statusCode: int | None
    latencyMs: int | None
    stored: bool
    topic: str = Field(description="The test event's topic: one the hub stores and acts on never")
    destination: str
    error: str | None


class RemovedOut(BaseModel):
    integrationId: str
    removed: int = Field(description="Hooks deleted upstream")


def _out(row: WebhookRegistration) -> RegistrationOut:
    return RegistrationOut(
        id=row.id,
        integrationId=row.integration_id,
        topic=row.topic,
        upstreamId=row.upstream_id,
        destination=destinations.masked_destination(row.destination),
        status=row.status,
        lastCheckedAt=row.last_checked_at,
        createdAt=row.created_at,
        updatedAt=row.updated_at,
    )


@router.post(
    "/{integrationId}/webhooks/register",
    response_model=Envelope[list[RegistrationOut]],
    summary="Register the integration's webhooks at its upstream platform",
)
async def register_webhooks(
    body: RegisterBody | None = Body(default=None),
    integrationId: str = IntegrationId,
    principal: Principal = Depends(requires("write:integrations")),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    rows = await registration.register_all(
        runtime, integrationId, body.publicUrl if body else None, workspace_id=principal.workspace_id
    )
    return ok([_out(row) for row in rows])


@router.get(
    "/{integrationId}/webhooks/registrations",
    response_model=PageEnvelope[RegistrationOut],
    summary="List the webhooks registered at the upstream platform",
)
async def list_registrations(
    integrationId: str = IntegrationId,
    params: PageParams = Depends(page_params),
    principal: Principal = Depends(requires("read:integrations")),
    session: AsyncSession = Depends(db_session),
) -> dict[str, Any]:
    await get_integration(session, principal.workspace_id, integrationId)
    rows, total = await fetch_page(
        session,
        select(WebhookRegistration).where(WebhookRegistration.integration_id == integrationId),
        order_by=WebhookRegistration.topic,
        offset=params.offset,
        limit=params.limit,
    )
    return paged([_out(row) for row in rows], params, total)


@router.delete(
    "/{integrationId}/webhooks/registrations",
    response_model=Envelope[RemovedOut],
    summary="Remove the integration's webhooks from the upstream platform",
)
async def unregister_webhooks(
    integrationId: str = IntegrationId,
    principal: Principal = Depends(requires("write:integrations")),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    removed = await registration.unregister_all(runtime, integrationId, workspace_id=principal.workspace_id)
    return ok(RemovedOut(integrationId=integrationId, removed=removed))


@router.post(
    "/{integrationId}/webhooks/check",
    response_model=Envelope[CheckOut],
    summary="Check Integration: repair the webhooks and send a test event through them",
)
async def check_webhooks(
    integrationId: str = IntegrationId,
    principal: Principal = Depends(requires("write:integrations")),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    result = await integration_check.check_integration(runtime, integrationId, workspace_id=principal.workspace_id)
    probe = result.probe
    return ok(
        CheckOut(
            registrations=[_out(row) for row in result.registrations],
            repaired=[
                RepairOut(topic=r.topic, reason=r.reason, upstreamId=r.upstream_id, error=r.error)
                for r in result.repairs
            ],
            delivered=probe.delivered,
            statusCode=probe.status_code,
            latencyMs=probe.latency_ms,
            stored=probe.stored,
            topic=probe.topic,
            destination=probe.destination,
            error=probe.error,
        )
    )
