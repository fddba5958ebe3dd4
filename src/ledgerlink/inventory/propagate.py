"""Multi-channel inventory: one SKU's available stock, pushed to every channel that sells it.

Where stock is counted is a choice of the merchant: the integrations whose settings say
`"inventoryMaster": true` (a warehouse system, or the one shop that holds the stock). A SKU's
available quantity is on hand minus reserved, summed over the locations of those integrations
(or over `"inventoryLocations"`, a list of their location external ids, when given). Every other
active channel whose catalogue has the SKU gets that number, never below zero, with a `set` at
its `"inventoryLocation"` (default: the connector's default location); where the upstream supports
compare-and-set (Shopify), the write names the quantity the hub last saw there and is refused if
the channel moved meanwhile (the next inventory sync then brings the hub up to date).

No echo loop: stock flows only from masters to the others, a push records the channel's new level
in the hub (inventory/push.py), so the webhook or sync that reports it back changes nothing, and
a change on a non-master channel never triggers propagation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.connectors.framework.connector import InventoryChange, InventoryResult
from ledgerlink.errors import ConfigurationError
from ledgerlink.inventory.push import known_levels, push_inventory
from ledgerlink.models import Integration
from ledgerlink.runtime import Runtime

_AVAILABLE = text(
    """
    SELECT v.sku, sum(l.available)::bigint AS available
      FROM inventory_levels l
      JOIN product_variants v ON v.id = l.variant_id
      JOIN external_refs r ON r.canonical_id = l.location_id AND r.resource_type = 'location'
     WHERE v.workspace_id = :ws AND v.sku = ANY(:skus) AND r.integration_id = ANY(:sources)
       AND (cardinality(CAST(:locations AS text[])) = 0 OR r.external_id = ANY(:locations))
     GROUP BY v.sku
    """
)


@dataclass(frozen=True)
class ChannelResult:
    integration_id: str
    provider: str
    results: list[InventoryResult]


async def available_by_sku(
    session: AsyncSession, workspace_id: str, skus: list[str], masters: list[Any]
) -> dict[str, int]:
    locations = sorted({loc for m in masters for loc in (m.settings or {}).get("inventoryLocations") or []})
    rows = await session.execute(
        _AVAILABLE,
        {"ws": workspace_id, "skus": skus, "sources": [m.id for m in masters], "locations": locations},
    )
    return {row.sku: int(row.available) for row in rows}


async def propagate(runtime: Runtime, session: AsyncSession, workspace_id: str, skus: list[str]) -> list[ChannelResult]:
    """Push each SKU's available stock from the masters to every other channel that sells it."""
    integrations = (
        (
            await session.execute(
                select(Integration)
                .where(Integration.workspace_id == workspace_id, Integration.status.in_(("active", "unverified")))
                .order_by(Integration.id)
            )
        )
        .scalars()
        .all()
    )
    masters = [i for i in integrations if (i.settings or {}).get("inventoryMaster")]
    if not masters:
        raise ConfigurationError(
            'no integration holds the stock: set "inventoryMaster": true in the settings of the one(s) whose '
            "inventory counts",
            {"skus": skus},
        )
    available = await available_by_sku(session, workspace_id, sorted(set(skus)), masters)
    out: list[ChannelResult] = []
    for channel in integrations:
        if channel in masters or "inventory_sync" not in _features(channel):
            continue
        location = (channel.settings or {}).get("inventoryLocation")
        sold = await known_levels(session, channel.id, workspace_id, list(available), location)
        changes = [
            InventoryChange(
                sku=sku,
                location_external_id=level.location_external_id,
                quantity=max(0, available[sku]),
                mode="set",
                compare_quantity=level.on_hand,
            )
            for sku, level in sold.items()
            if level.on_hand != max(0, available[sku])  # already right: nothing to write
        ]
        if changes:
            results = await push_inventory(runtime, session, workspace_id, channel.id, changes)
            out.append(ChannelResult(channel.id, channel.provider, results))
    return out


def _features(integration: Any) -> tuple[str, ...]:
    from ledgerlink.connectors.registry import get_provider

    return tuple(get_provider(integration.provider).features)
