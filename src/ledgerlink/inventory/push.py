"""Pushing inventory to one channel, then recording what the channel now holds.

The hub's own level is written with the channel's answer, so when that change comes back from the
channel (an inventory webhook, the next sync) it equals what is stored and changes nothing: no echo.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import and_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.connectors.framework.connector import InventoryChange, InventoryResult
from ledgerlink.connectors.loading import build_connector
from ledgerlink.connectors.registry import get_provider
from ledgerlink.events import emit_many, event_row
from ledgerlink.integrations.service import decrypt_credentials, get_integration
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
    provider = get_provider(integration.provider)
    connector = build_connector(
        provider,
        decrypt_credentials(runtime.secrets, integration),
        settings=integration.settings,
        bookkeeping=runtime.bookkeeping,
        bucket=f"upstream:{integration.id}",
    )
    known = await _variant_ids(session, integration.id, workspace_id, [c.sku for c in changes])
    resolved = [replace(c, variant_external_id=known.get(c.sku, (None, None))[1]) for c in changes]
    async with connector.client() as client:
        results = await connector.push_inventory(client, resolved)
    events: list[dict[str, Any]] = []
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
                    source=provider.id,
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
