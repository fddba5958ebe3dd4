"""/v1/integrations: the catalog, setup, and the lifecycle of integration instances (seed 000)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.api.deps import db_session, get_runtime, requires
from ledgerlink.api.envelope import ERROR_RESPONSES, Envelope, PageEnvelope, PageParams, ok, page_params, paged
from ledgerlink.api.schemas import NAME, CatalogEntry, IntegrationOut, StrictBody
from ledgerlink.auth.principal import Principal
from ledgerlink.connectors.registry import PROVIDERS
from ledgerlink.connectors.spec import CATALOG_GROUPS
from ledgerlink.integrations import service
from ledgerlink.runtime import Runtime

router = APIRouter(prefix="/v1/integrations", tags=["integrations"], responses=ERROR_RESPONSES)

IntegrationId = Path(pattern=r"^int_[0-9a-z]{26}$", description="An integration instance id (int_…)")


class SetupBody(StrictBody):
    name: str = NAME
    credentials: dict[str, Any]
    settings: dict[str, Any] = Field(default_factory=dict)
    mapping: dict[str, Any] = Field(default_factory=dict)
    verify: bool = Field(True, description="false stores the instance without contacting the upstream")


class UpdateBody(StrictBody):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    credentials: dict[str, Any] | None = Field(default=None, description="Fields to replace (rotation)")
    settings: dict[str, Any] | None = None
    mapping: dict[str, Any] | None = None
    verify: bool = True


@router.get("/available", response_model=Envelope[dict[str, list[CatalogEntry]]], summary="Provider catalog")
async def available(_: Principal = Depends(requires("read:integrations"))) -> dict[str, Any]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for provider in PROVIDERS.values():
        groups.setdefault(CATALOG_GROUPS[provider.category], []).append(provider.catalog_entry())
    return ok(groups)


@router.post(
    "/{providerId}/setup",
    status_code=201,
    response_model=Envelope[IntegrationOut],
    summary="Set up an integration instance of a provider",
)
async def setup(
    body: SetupBody,
    providerId: str = Path(max_length=40, description="Provider id, e.g. shopify"),
    principal: Principal = Depends(requires("write:integrations")),
    session: AsyncSession = Depends(db_session),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    integration = await service.setup_integration(
        session,
        runtime.secrets,
        principal.workspace_id,
        providerId,
        service.SetupInput(body.name, body.credentials, body.settings, body.mapping, body.verify),
    )
    return ok(service.public_view(integration))


@router.get("", response_model=PageEnvelope[IntegrationOut], summary="List integration instances")
async def list_integrations(
    provider: str | None = Query(None, max_length=40),
    status: str | None = Query(None, max_length=20),
    params: PageParams = Depends(page_params),
    principal: Principal = Depends(requires("read:integrations")),
    session: AsyncSession = Depends(db_session),
) -> dict[str, Any]:
    rows, total = await service.list_integrations(
        session, principal.workspace_id, offset=params.offset, limit=params.limit, provider=provider, status=status
    )
    return paged([service.public_view(r) for r in rows], params, total)


@router.get("/{integrationId}", response_model=Envelope[IntegrationOut], summary="Get an integration instance")
async def get_integration(
    integrationId: str = IntegrationId,
    principal: Principal = Depends(requires("read:integrations")),
    session: AsyncSession = Depends(db_session),
) -> dict[str, Any]:
    integration = await service.get_integration(session, principal.workspace_id, integrationId)
    return ok(service.public_view(integration))


@router.patch(
    "/{integrationId}",
    response_model=Envelope[IntegrationOut],
    summary="Change name, settings, mapping, or rotate credentials",
)
async def update_integration(
    body: UpdateBody,
    integrationId: str = IntegrationId,
    principal: Principal = Depends(requires("write:integrations")),
    session: AsyncSession = Depends(db_session),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    integration = await service.update_integration(
        session,
        runtime.secrets,
        principal.workspace_id,
        integrationId,
        service.UpdateInput(body.name, body.credentials, body.settings, body.mapping, body.verify),
    )
    return ok(service.public_view(integration))


@router.post("/{integrationId}/verify", response_model=Envelope[IntegrationOut], summary="Check credentials upstream")
async def verify_integration(
    integrationId: str = IntegrationId,
    principal: Principal = Depends(requires("write:integrations")),
    session: AsyncSession = Depends(db_session),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    integration = await service.verify_integration(session, runtime.secrets, principal.workspace_id, integrationId)
    return ok(service.public_view(integration))


@router.post("/{integrationId}/disable", response_model=Envelope[IntegrationOut], summary="Disable an instance")
async def disable_integration(
    integrationId: str = IntegrationId,
    principal: Principal = Depends(requires("write:integrations")),
    session: AsyncSession = Depends(db_session),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    integration = await service.set_enabled(
        session, principal.workspace_id, integrationId, enabled=False, box=runtime.secrets
    )
    return ok(service.public_view(integration))


@router.post("/{integrationId}/enable", response_model=Envelope[IntegrationOut], summary="Enable an instance")
async def enable_integration(
    integrationId: str = IntegrationId,
    principal: Principal = Depends(requires("write:integrations")),
    session: AsyncSession = Depends(db_session),
) -> dict[str, Any]:
    integration = await service.set_enabled(session, principal.workspace_id, integrationId, enabled=True)
    return ok(service.public_view(integration))


@router.delete("/{integrationId}", response_model=Envelope[dict[str, str]], summary="Remove an instance")
async def remove_integration(
    integrationId: str = IntegrationId,
    principal: Principal = Depends(requires("write:integrations")),
    session: AsyncSession = Depends(db_session),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    await service.remove_integration(session, principal.workspace_id, integrationId, box=runtime.secrets)
    return ok({"id": integrationId, "status": "removed"})
