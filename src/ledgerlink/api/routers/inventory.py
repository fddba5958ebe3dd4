"""Inventory writes to channels: seed 000's update-inventory (set/adjust) and inventory-sync."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.api.deps import db_session, get_runtime, requires
from ledgerlink.api.envelope import ERROR_RESPONSES, Envelope, ok
from ledgerlink.api.provider_integration import provider_integration
from ledgerlink.api.schemas import StrictBody
from ledgerlink.auth.principal import Principal
from ledgerlink.connectors.framework.connector import InventoryChange, InventoryResult
from ledgerlink.errors import ValidationFailed
from ledgerlink.inventory.propagate import propagate
from ledgerlink.inventory.push import push_inventory
from ledgerlink.runtime import Runtime

router = APIRouter(tags=["inventory"], responses=ERROR_RESPONSES)


class InventoryItem(StrictBody):
    sku: str = Field(min_length=1, max_length=255)
    locationId: str | None = Field(default=None, max_length=255, description="The channel's location id")
    quantity: int = Field(ge=-1_000_000, le=1_000_000)
    updateType: Literal["set", "adjust"] = "set"


class UpdateInventoryBody(StrictBody):
    integrationId: str = Field(pattern=r"^int_[0-9a-z]{26}$")
    items: list[InventoryItem] = Field(min_length=1, max_length=250)


class LocationQuantity(StrictBody):
    externalId: str = Field(min_length=1, max_length=255)
    quantity: int = Field(ge=0, le=1_000_000)


class InventorySyncItem(StrictBody):
    sku: str = Field(min_length=1, max_length=255)
    quantity: int = Field(ge=0, le=1_000_000)
    locations: list[LocationQuantity] = Field(default_factory=list, max_length=100)


class InventorySyncBody(StrictBody):
    items: list[InventorySyncItem] = Field(min_length=1, max_length=250)


class PushResult(BaseModel):
    integrationId: str
    updated: int
    failed: int
    results: list[dict[str, Any]]


def _view(integration_id: str, results: list[InventoryResult]) -> dict[str, Any]:
    return {
        "integrationId": integration_id,
        "updated": sum(r.ok for r in results),
        "failed": sum(not r.ok for r in results),
        "results": [
            {
                "sku": r.sku,
                "locationId": r.location_external_id,
                "success": r.ok,
                "quantityAfter": r.quantity_after,
                "error": r.error,
            }
            for r in results
        ],
    }


@router.post(
    "/v1/integrations/{providerId}/update-inventory",
    response_model=Envelope[PushResult],
    summary="Set or adjust inventory per SKU and location on a channel",
)
async def update_inventory(
    body: UpdateInventoryBody,
    providerId: str = Path(max_length=40),
    principal: Principal = Depends(requires("write:inventory")),
    session: AsyncSession = Depends(db_session),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    integration = await provider_integration(session, runtime, principal.workspace_id, providerId, body.integrationId)
    bad = [i for i, item in enumerate(body.items) if item.updateType == "set" and item.quantity < 0]
    if bad:
        raise ValidationFailed(
            "a set quantity cannot be negative",
            [{"field": f"body.items.{i}.quantity", "type": "negative", "message": "must be >= 0 for set"} for i in bad],
        )
    changes = [
        InventoryChange(sku=i.sku, location_external_id=i.locationId, quantity=i.quantity, mode=i.updateType)
        for i in body.items
    ]
    results = await push_inventory(runtime, session, principal.workspace_id, integration.id, changes)
    return ok(_view(integration.id, results))


@router.post(
    "/v1/integrations/{integrationId}/inventory-sync",
    response_model=Envelope[PushResult],
    summary="Set per-location quantities of SKUs on a channel",
)
async def inventory_sync(
    body: InventorySyncBody,
    integrationId: str = Path(pattern=r"^int_[0-9a-z]{26}$"),
    principal: Principal = Depends(requires("write:inventory")),
    session: AsyncSession = Depends(db_session),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    changes: list[InventoryChange] = []
    for item in body.items:
        if item.locations:
            changes += [
                InventoryChange(sku=item.sku, location_external_id=loc.externalId, quantity=loc.quantity)
                for loc in item.locations
            ]
        else:
            changes.append(InventoryChange(sku=item.sku, location_external_id=None, quantity=item.quantity))
    results = await push_inventory(runtime, session, principal.workspace_id, integrationId, changes)
    return ok(_view(integrationId, results))


class PropagateBody(StrictBody):
    skus: list[str] = Field(min_length=1, max_length=250, description="SKUs whose stock to push to every channel")


@router.post(
    "/v1/inventory/propagate",
    response_model=Envelope[list[PushResult]],
    summary="Push each SKU's available stock (from the inventoryMaster integrations) to every channel selling it",
)
async def propagate_inventory(
    body: PropagateBody,
    principal: Principal = Depends(requires("write:inventory")),
    session: AsyncSession = Depends(db_session),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    channels = await propagate(runtime, session, principal.workspace_id, body.skus)
    return ok([_view(c.integration_id, c.results) for c in channels])
