"""Pushing inventory to one channel, then recording what the channel now holds.

The hub's own level is written with the channel's answer, so when that change comes back from the
channel (an inventory webhook, the next sync) it equals what is stored and changes nothing: no echo.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import and_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.connectors.framework.connector import InventoryChange, InventoryResult
from ledgerlink.events import EventRow, emit_many, event_row
from ledgerlink.integrations.connectors import connector_for
from ledgerlink.integrations.service import get_integration
from ledgerlink.models import ExternalRef, ProductVariant
from ledgerlink.runtime import Runtime

_RECORD = text(
    """
    UPDATE inventory_levels l SET on_hand = :on_hand, updated_at = now()
      FROM external_refs r
     WHERE l.variant_id = :variant_id AND r.canonical_id = l.location_id AND r.integration_id = :integration_id
       AND r.resource_type = 'location' AND r.external_id = :location AND l.on_hand <> :on_hand
    RETURNING l.id, l.location_id, l.on_hand, l.reserved, l.available
    """
)


_LEVELS = text(
    """
    SELECT v.sku, rl.external_id AS location, l.on_hand
      FROM product_variants v
      JOIN external_refs rv ON rv.canonical_id = v.id AND rv.integration_id = :iid AND rv.resource_type = 'variant'
      LEFT JOIN inventory_levels l ON l.variant_id = v.id
      LEFT JOIN external_refs rl
        ON rl.canonical_id = l.location_id AND rl.resource_type = 'location' AND rl.integration_id = :iid
     WHERE v.workspace_id = :ws AND v.sku = ANY(:skus)
       AND (CAST(:location AS text) IS NULL OR rl.external_id = :location OR rl.external_id IS NULL)
     ORDER BY v.sku, rl.external_id NULLS LAST
    """
)


@dataclass(frozen=True)
class ChannelLevel:
    location_external_id: str | None  # None: the channel sells the SKU but the hub has no level there yet
    on_hand: int | None


async def known_levels(
    session: AsyncSession, integration_id: str, workspace_id: str, skus: list[str], location: str | None
) -> dict[str, ChannelLevel]:
    """sku -> what the hub last saw of it on this channel (at `location`, else its first location),
    for the SKUs the channel sells."""
    rows = await session.execute(
        _LEVELS, {"iid": integration_id, "ws": workspace_id, "skus": skus, "location": location}
    )
    found: dict[str, ChannelLevel] = {}
    for row in rows:
        if row.sku not in found:
            found[row.sku] = ChannelLevel(row.location or location, row.on_hand if row.location else None)
    return found


async def _variant_ids(
    session: AsyncSession, integration_id: str, workspace_id: str, skus: list[str]
) -> dict[str, tuple[str, str]]:
    """sku -> (canonical variant id, this channel's id for it)."""
    rows = await session.execute(
        select(ProductVariant.sku, ProductVariant.id, ExternalRef.external_id)
        .join(
            ExternalRef,
            and_(
                ExternalRef.canonical_id == ProductVariant.id,
                ExternalRef.integration_id == integration_id,
                ExternalRef.resource_type == "variant",
            ),
        )
        .where(ProductVariant.workspace_id == workspace_id, ProductVariant.sku.in_(sorted(set(skus))))
    )
    return {row.sku: (row.id, row.external_id) for row in rows}


async def push_inventory(
    runtime: Runtime, session: AsyncSession, workspace_id: str, integration_id: str, changes: list[InventoryChange]
) -> list[InventoryResult]:
    integration = await get_integration(session, workspace_id, integration_id)
    connector = connector_for(runtime, integration)
    known = await _variant_ids(session, integration.id, workspace_id, [c.sku for c in changes])
    resolved = [replace(c, variant_external_id=known.get(c.sku, (None, None))[1]) for c in changes]
    async with connector.client() as client:
        results = await connector.push_inventory(client, resolved)
    events: list[EventRow] = []
    for change, result in zip(resolved, results, strict=True):
        if not (result.ok and result.quantity_after is not None and change.sku in known):
            continue
        variant_id = known[change.sku][0]
        location = result.location_external_id or change.location_external_id or connector.default_location
        row = (
            await session.execute(
                _RECORD,
                {
                    "on_hand": result.quantity_after,
                    "variant_id": variant_id,
                    "integration_id": integration.id,
                    "location": location,
                },
            )
        ).first()
        if row is not None:
            events.append(
                event_row(
                    workspace_id=workspace_id,
                    type="inventory.updated",
                    source=integration.provider,
                    integration_id=integration.id,
                    subject_id=row.id,
                    data={
                        "variantId": variant_id,
                        "sku": change.sku,
                        "locationId": row.location_id,
                        "onHand": row.on_hand,
                        "reserved": row.reserved,
                        "available": row.available,
                        "via": "push",
                    },
                )
            )
    await emit_many(session, events)
    await session.commit()
    return results
