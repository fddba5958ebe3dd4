"""Creating, reading, changing and removing integration instances of a workspace.

Changing the credentials can change the secret that verifies the upstream's webhooks. Where the hub
chose it and handed it to the hooks upstream (WooCommerce), the hooks still sign with the old one until
the reaction to the `integration.updated` event hands them the new one (reactions.py); meanwhile the
replaced secret keeps verifying for a short grace period (the provider's webhook spec says how, `retire`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.connectors.loading import verify_credentials, webhook_spec
from ledgerlink.connectors.registry import get_provider
from ledgerlink.connectors.spec import Credentials, ProviderSpec
from ledgerlink.db.paging import fetch_page
from ledgerlink.errors import ConfigurationError, Conflict, NotFound
from ledgerlink.events import emit
from ledgerlink.ids import new_id
from ledgerlink.integrations.settings_schema import AccountMapping, IntegrationSettings
from ledgerlink.models import Integration
from ledgerlink.secrets_box import SecretBox
from ledgerlink.validation import validate_as


@dataclass
class SetupInput:
    name: str
    credentials: dict[str, Any] | Credentials  # raw as received, or already parsed by the caller
    settings: dict[str, Any] = field(default_factory=dict)
    mapping: dict[str, Any] = field(default_factory=dict)
    verify: bool = True


@dataclass
class UpdateInput:
    name: str | None = None
    credentials: dict[str, Any] | None = None
    settings: dict[str, Any] | None = None
    mapping: dict[str, Any] | None = None
    verify: bool = True


def _stored_credentials(provider: ProviderSpec, before: dict[str, Any], credentials: Credentials) -> dict[str, Any]:
    """What is encrypted for the new credentials: the user's fields, with the webhook secrets they
    replace kept for their grace period (framework/webhooks.py)."""
    spec = webhook_spec(provider)
    after = credentials.plain()
    return spec.retire(before, after) if spec is not None else after


def parse_credentials(provider: ProviderSpec, raw: dict[str, Any]) -> Credentials:
    retired = [name for name in raw if name in provider.retired_fields]
    if retired:
        raise ConfigurationError(
            provider.retired_fields[retired[0]],
            {"fields": retired, "provider": provider.id},
        )
    return validate_as(provider.credentials, raw, at=("credentials",))


def _settings(raw: dict[str, Any]) -> dict[str, Any]:
    model = validate_as(IntegrationSettings, raw, at=("settings",))
    data = model.model_dump(mode="json")
    if "rateLimit" not in model.model_fields_set:
        data.pop("rateLimit")  # absent means "the connector's own limit", unlike an explicit null
    return data


def _mapping(raw: dict[str, Any]) -> dict[str, Any]:
    return validate_as(AccountMapping, raw, at=("mapping",)).model_dump(mode="json", exclude_none=True)


async def _check(provider: ProviderSpec, credentials: Credentials) -> bool:
    """Verify against the upstream where this build has a connector; False when it cannot check."""
    if provider.connector is None:
        return False
    await verify_credentials(provider, credentials)
    return True


async def _name_taken(session: AsyncSession, workspace_id: str, name: str, exclude_id: str | None = None) -> bool:
    query = select(Integration.id).where(Integration.workspace_id == workspace_id, Integration.name == name)
    if exclude_id:
        query = query.where(Integration.id != exclude_id)
    return (await session.execute(query)).first() is not None


def _conflict(name: str) -> Conflict:
    return Conflict(f"an integration named '{name}' already exists in this workspace", {"name": name})


async def setup_integration(
    session: AsyncSession, box: SecretBox, workspace_id: str, provider_id: str, data: SetupInput
) -> Integration:
    integration = await add_integration(session, box, workspace_id, provider_id, data)
    await session.commit()
    return integration


async def add_integration(
    session: AsyncSession, box: SecretBox, workspace_id: str, provider_id: str, data: SetupInput
) -> Integration:
    """Validate, verify and add the instance with its created event to the caller's transaction, uncommitted,
    so a caller can commit more with it (seed 003 commits the instance's first sync runs in the same one)."""
    provider = get_provider(provider_id)
    credentials = (
        data.credentials if isinstance(data.credentials, Credentials) else parse_credentials(provider, data.credentials)
    )
    settings = _settings(data.settings)
    mapping = _mapping(data.mapping)
    if await _name_taken(session, workspace_id, data.name):
        raise _conflict(data.name)
    verified = data.verify and await _check(provider, credentials)
    now = datetime.now(UTC)
    integration = Integration(
        id=new_id("int"),
        workspace_id=workspace_id,
        provider=provider.id,
        name=data.name,
        status="active" if verified else "unverified",
        credentials_encrypted=box.encrypt_json(credentials.plain()),
        credentials_summary=credentials.summary(),
        settings=settings,
        mapping=mapping,
        connected_at=now,
        verified_at=now if verified else None,
    )
    session.add(integration)
    _announce(
        session,
        integration,
        "integration.created",
        {
            "integrationId": integration.id,
            "provider": provider.id,
            "name": data.name,
            "status": integration.status,
        },
    )
    try:
        await session.flush()
    except IntegrityError:  # the same name committed meanwhile by a concurrent setup
        await session.rollback()
        raise _conflict(data.name) from None
    return integration


async def get_integration(session: AsyncSession, workspace_id: str, integration_id: str) -> Integration:
    """Another workspace's integration is as absent as a missing one: existence does not leak."""
    integration = (
        await session.execute(
            select(Integration).where(Integration.id == integration_id, Integration.workspace_id == workspace_id)
        )
    ).scalar_one_or_none()
    if integration is None:
        raise NotFound(f"integration '{integration_id}' not found", {"id": integration_id})
    return integration


async def list_integrations(
    session: AsyncSession,
    workspace_id: str,
    *,
    offset: int,
    limit: int,
    provider: str | None = None,
    status: str | None = None,
) -> tuple[list[Integration], int]:
    query = select(Integration).where(Integration.workspace_id == workspace_id)
    if provider:
        query = query.where(Integration.provider == provider)
    if status:
        query = query.where(Integration.status == status)
    return await fetch_page(session, query, order_by=Integration.id, offset=offset, limit=limit)


def decrypt_credentials(box: SecretBox, integration: Integration) -> Credentials:
    provider = get_provider(integration.provider)
    stored = box.decrypt_json(integration.credentials_encrypted)
    # Keys starting with "_" are the hub's own (a cached access token, upstream/tokens.py), not the user's.
    return provider.credentials.model_validate({k: v for k, v in stored.items() if not k.startswith("_")})


async def update_integration(
    session: AsyncSession, box: SecretBox, workspace_id: str, integration_id: str, data: UpdateInput
) -> Integration:
    integration = await get_integration(session, workspace_id, integration_id)
    provider = get_provider(integration.provider)
    changed: list[str] = []
    if data.name is not None and data.name != integration.name:
        if await _name_taken(session, workspace_id, data.name, exclude_id=integration.id):
            raise _conflict(data.name)
        integration.name = data.name
        changed.append("name")
    if data.settings is not None:
        integration.settings = _settings({**integration.settings, **data.settings})
        changed.append("settings")
    if data.mapping is not None:
        integration.mapping = _mapping({**integration.mapping, **data.mapping})
        changed.append("mapping")
    if data.credentials is not None:
        stored = box.decrypt_json(integration.credentials_encrypted)
        current = decrypt_credentials(box, integration).plain()
        credentials = parse_credentials(provider, {**current, **data.credentials})
        verified = data.verify and await _check(provider, credentials)
        integration.credentials_encrypted = box.encrypt_json(_stored_credentials(provider, stored, credentials))
        integration.credentials_summary = credentials.summary()
        now = datetime.now(UTC)
        integration.verified_at = now if verified else None
        if integration.status != "disabled":
            integration.status = "active" if verified else "unverified"
        integration.last_error = None
        changed.append("credentials")
    if changed:
        _announce(
            session,
            integration,
            "integration.updated",
            {"integrationId": integration.id, "changed": changed, "status": integration.status},
        )
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise _conflict(data.name or integration.name) from None
    return integration


async def verify_integration(
    session: AsyncSession, box: SecretBox, workspace_id: str, integration_id: str
) -> Integration:
    integration = await get_integration(session, workspace_id, integration_id)
    provider = get_provider(integration.provider)
    if provider.connector is None:
        raise ConfigurationError(
            f"this build has no {provider.name} connector, so the credentials cannot be checked yet",
            {"provider": provider.id, "providerStatus": provider.status},
        )
    await _check(provider, decrypt_credentials(box, integration))
    now = datetime.now(UTC)
    integration.verified_at = now
    integration.last_error = None
    if integration.status != "disabled":
        integration.status = "active"
    _announce(
        session,
        integration,
        "integration.updated",
        {"integrationId": integration.id, "changed": ["verified"], "status": integration.status},
    )
    await session.commit()
    return integration


async def set_enabled(
    session: AsyncSession, workspace_id: str, integration_id: str, enabled: bool, *, box: SecretBox | None = None
) -> Integration:
    """Disabling also removes the integration's webhooks upstream when `box` is given (best effort)."""
    integration = await get_integration(session, workspace_id, integration_id)
    if enabled == (integration.status != "disabled"):
        return integration
    if enabled:
        integration.status = "active" if integration.verified_at else "unverified"
        integration.disabled_at = None
    else:
        integration.status = "disabled"
        integration.disabled_at = datetime.now(UTC)
    _announce(
        session,
        integration,
        "integration.enabled" if enabled else "integration.disabled",
        {"integrationId": integration.id, "status": integration.status},
    )
    await session.commit()
    if not enabled and box is not None:
        await _release_webhooks(session, box, integration)
    return integration


async def remove_integration(
    session: AsyncSession, workspace_id: str, integration_id: str, *, box: SecretBox | None = None
) -> None:
    """Removing also removes the integration's webhooks upstream when `box` is given (best effort)."""
    integration = await get_integration(session, workspace_id, integration_id)
    if box is not None:
        await _release_webhooks(session, box, integration)
    _announce(session, integration, "integration.removed", {"integrationId": integration.id, "name": integration.name})
    await session.delete(integration)
    await session.commit()


async def _release_webhooks(session: AsyncSession, box: SecretBox, integration: Integration) -> None:
    """The hooks the hub registered upstream go with the integration; a failure is logged, never raised."""
    from ledgerlink.webhooks.registration import release_hooks  # it builds on this module

    await release_hooks(session, box, integration)


def _announce(session: AsyncSession, integration: Integration, event_type: str, data: dict[str, Any]) -> None:
    """An integration's own lifecycle event, in the caller's transaction."""
    emit(
        session,
        workspace_id=integration.workspace_id,
        type=event_type,
        source=integration.provider,
        integration_id=integration.id,
        subject_id=integration.id,
        data=data,
    )


def public_view(integration: Integration) -> dict[str, Any]:
    """What the API shows of an instance. Credentials only as a summary (no secret beyond 4 chars)."""
    return {
        "id": integration.id,
        "provider": integration.provider,
        "name": integration.name,
        "status": integration.status,
        "connectedAt": integration.connected_at,
        "verifiedAt": integration.verified_at,
        "disabledAt": integration.disabled_at,
        "settings": integration.settings,
        "mapping": integration.mapping,
        "credentials": integration.credentials_summary,
        "lastError": integration.last_error,
        "createdAt": integration.created_at,
        "updatedAt": integration.updated_at,
    }
