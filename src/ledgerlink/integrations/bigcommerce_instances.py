"""Seed 003's BigCommerce integration instances: an ordinary integration of provider bigcommerce, set up
by the same service as /v1/integrations, whose product and order refresh runs commit in the same
transaction, so an instance never exists without its first sync on the way (and no run without it).

The seed's fields are stored where the hub already looks: the token and store hash become the encrypted
credentials; start_date and auto link/create become the settings the sync reads (startDate,
autoLinkProducts, autoCreateProducts); is_automatic_sync_enabled is the flag the scheduler reads (hourly
unless syncFrequency says otherwise); the rest are kept under their seed names beside them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.integrations.bigcommerce_instance_schema import (
    BigCommerceConnectionSettings,
    BigCommerceInstanceSettings,
)
from ledgerlink.integrations.service import SetupInput, add_integration
from ledgerlink.models import Integration, SyncRun
from ledgerlink.secrets_box import SecretBox
from ledgerlink.sync.runs import RunRequest, add_run, job_lock

PROVIDER_ID = "bigcommerce"
REFRESH_TRIGGER = "setup"
AUTOMATIC_SYNC = "is_automatic_sync_enabled"
INTEGRATION_TYPE = "integration_id"
# Seed 003 names of settings the hub already has under its own name.
HUB_NAMES = {
    "start_date": "startDate",
    "auto_link_products": "autoLinkProducts",
    "auto_create_products": "autoCreateProducts",
}
IN_CREDENTIALS = "store_hash"


@dataclass(frozen=True)
class NewInstance:
    name: str
    integration_type_id: int
    connection: BigCommerceConnectionSettings
    settings: BigCommerceInstanceSettings
    automatic_sync: bool = False


@dataclass(frozen=True)
class CreatedInstance:
    integration: Integration
    refresh_runs: dict[str, SyncRun]  # by stream: products, orders


def _credentials(data: NewInstance) -> dict[str, Any]:
    raw: dict[str, Any] = {"storeHash": data.settings.store_hash, "accessToken": data.connection.access_token}
    if data.connection.api_base_url is not None:
        raw["apiBaseUrl"] = str(data.connection.api_base_url)
    return raw


def stored_settings(data: NewInstance) -> dict[str, Any]:
    values = data.settings.model_dump(mode="json", exclude={IN_CREDENTIALS})
    return {
        **{HUB_NAMES.get(name, name): value for name, value in values.items()},
        INTEGRATION_TYPE: data.integration_type_id,
        AUTOMATIC_SYNC: data.automatic_sync,
    }


def refresh_requests(integration_id: str, start_date: date) -> list[RunRequest]:
    """The whole catalogue (orders from the start date may sell older products), then the orders changed
    since the start date's midnight UTC, as a sync-orders dateRange.from would ask for them. The orders job
    shares the products job's lock, so it starts only once the catalogue is in and its lines find their
    products."""
    since = datetime.combine(start_date, time.min, UTC)
    catalogue_first = job_lock(integration_id, "products")
    return [
        RunRequest(stream="products", sync_type="full", trigger=REFRESH_TRIGGER),
        RunRequest(stream="orders", sync_type="full", since=since, trigger=REFRESH_TRIGGER, lock=catalogue_first),
    ]


async def create_instance(
    session: AsyncSession, box: SecretBox, workspace_id: str, data: NewInstance
) -> CreatedInstance:
    """Verified against BigCommerce first, as every setup is (a refused token or unknown store stores nothing);
    a name already used in the workspace is a CONFLICT, as for /v1 setup."""
    setup = SetupInput(name=data.name, credentials=_credentials(data), settings=stored_settings(data))
    integration = await add_integration(session, box, workspace_id, PROVIDER_ID, setup)
    runs: dict[str, SyncRun] = {}
    for request in refresh_requests(integration.id, data.settings.start_date):
        runs[request.stream] = await add_run(session, workspace_id, integration.id, request)
    await session.commit()
    return CreatedInstance(integration, runs)


def instance_view(integration: Integration, refresh_runs: Mapping[str, str]) -> dict[str, Any]:
    """The instance under seed 003's names; the token only masked, as everywhere in the API."""
    settings, summary = integration.settings, integration.credentials_summary
    connection = {"access_token": summary["accessToken"]}
    if summary.get("apiBaseUrl"):
        connection["api_base_url"] = summary["apiBaseUrl"]
    echoed = {
        name: summary["storeHash"] if name == IN_CREDENTIALS else settings.get(HUB_NAMES.get(name, name))
        for name in BigCommerceInstanceSettings.model_fields
    }
    return {
        "id": integration.id,
        "name": integration.name,
        "provider": integration.provider,
        "status": integration.status,
        "integration_id": settings.get(INTEGRATION_TYPE),
        "connection_settings": connection,
        "integration_settings": echoed,
        "is_automatic_sync_enabled": bool(settings.get(AUTOMATIC_SYNC)),
        "created_at": integration.created_at,
        "refresh_runs": dict(refresh_runs),
    }
