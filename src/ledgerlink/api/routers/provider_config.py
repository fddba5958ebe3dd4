"""Seed 002's integration endpoints, answered by the same service as /v1/integrations."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.api.deps import db_session, get_runtime, requires
from ledgerlink.api.envelope import ERROR_RESPONSES, Envelope
from ledgerlink.api.schemas import StrictBody
from ledgerlink.auth.principal import Principal
from ledgerlink.connectors.registry import get_provider
from ledgerlink.errors import ConfigurationError, Conflict
from ledgerlink.integrations import service
from ledgerlink.runtime import Runtime

router = APIRouter(prefix="/api/integrations", tags=["integrations (seed 002)"], responses=ERROR_RESPONSES)

BusinessProviderId = Path(pattern=r"^int_[0-9a-z]{26}$", description="The integration instance id")


class ConfigureBody(StrictBody):
    providerId: str = Field(max_length=40, description="Provider id, e.g. woocommerce")
    providerType: str | None = Field(
        default=None, max_length=40, description="ecommerce, marketplace, payment, accounting or custom"
    )
    credentials: dict[str, Any]
    settings: dict[str, Any] = Field(default_factory=dict)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    verify: bool = True


class ConfiguredOut(BaseModel):
    guid: str
    provider: str
    status: str
    connectedAt: Any = None


class DisabledOut(BaseModel):
    guid: str
    status: str


class SuccessOnly(BaseModel):
    success: bool = True


def _default_name(provider_name: str, summary: dict[str, Any], secret_names: set[str]) -> str:
    """`WooCommerce (https://mystore.com/)`: the provider plus the first identifying, non-secret field."""
    for key, value in summary.items():
        if key not in secret_names and key != "apiBaseUrl" and isinstance(value, str):
            return f"{provider_name} ({value})"[:200]
    return provider_name


@router.post("/provider/configure", response_model=Envelope[ConfiguredOut], summary="Configure integration")
async def configure(
    body: ConfigureBody,
    principal: Principal = Depends(requires("write:integrations")),
    session: AsyncSession = Depends(db_session),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    provider = get_provider(body.providerId)
    if body.providerType is not None and body.providerType != provider.category:
        raise ConfigurationError(
            f"provider '{provider.id}' is of type '{provider.category}', not '{body.providerType}'",
            {"providerId": provider.id, "providerType": body.providerType},
        )
    raw = provider.from_generic(body.credentials)
    credentials = service.parse_credentials(provider, raw)
    name = body.name or _default_name(provider.name, credentials.summary(), credentials.secret_fields())
    try:
        integration = await service.setup_integration(
            session,
            runtime.secrets,
            principal.workspace_id,
            provider.id,
            service.SetupInput(name=name, credentials=credentials, settings=body.settings, verify=body.verify),
        )
    except Conflict as exc:
        raise Conflict("Integration already configured", exc.details) from None
    return {
        "success": True,
        "data": {
            "guid": integration.id,
            "provider": integration.provider,
            "status": integration.status,
            "connectedAt": integration.connected_at,
        },
    }


@router.get(
    "/provider/disable/{businessProviderId}", response_model=Envelope[DisabledOut], summary="Disable integration"
)
async def disable(
    businessProviderId: str = BusinessProviderId,
    principal: Principal = Depends(requires("write:integrations")),
    session: AsyncSession = Depends(db_session),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    integration = await service.set_enabled(
        session, principal.workspace_id, businessProviderId, enabled=False, box=runtime.secrets
    )
    return {"success": True, "data": {"guid": integration.id, "status": integration.status}}


@router.delete(
    "/providers/ecommerce/remove/{businessProviderId}", response_model=SuccessOnly, summary="Remove integration"
)
async def remove(
    businessProviderId: str = BusinessProviderId,
    principal: Principal = Depends(requires("write:integrations")),
    session: AsyncSession = Depends(db_session),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    await service.remove_integration(session, principal.workspace_id, businessProviderId, box=runtime.secrets)
    return {"success": True}
