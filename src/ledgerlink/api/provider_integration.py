"""Seed 000's per-provider endpoints name the provider in the path and the integration in the body:
the integration must be that provider's, and the body may bring replacement credentials."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.connectors.registry import get_provider
from ledgerlink.errors import ValidationFailed
from ledgerlink.integrations import service
from ledgerlink.models import Integration
from ledgerlink.runtime import Runtime


async def provider_integration(
    session: AsyncSession,
    runtime: Runtime,
    workspace_id: str,
    provider_id: str,
    integration_id: str,
    credentials: dict[str, Any] | None = None,
) -> Integration:
    provider = get_provider(provider_id)
    integration = await service.get_integration(session, workspace_id, integration_id)
    if integration.provider != provider.id:
        raise ValidationFailed(
            f"integration {integration.id} is a {integration.provider} integration, not {provider.id}",
            [{"field": "body.integrationId", "type": "provider_mismatch", "message": "belongs to another provider"}],
        )
    if credentials:
        integration = await service.update_integration(
            session, runtime.secrets, workspace_id, integration.id, service.UpdateInput(credentials=credentials)
        )
    return integration
