"""Inventory levels per SKU and location: upserted on (variant, location); a real change emits
inventory.updated, the same numbers again change nothing (which is also what stops echo loops)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.canonical import records as rec
from ledgerlink.events import emit_many, event_row
from ledgerlink.ids import new_id
from ledgerlink.sync.context import Item, ItemError, LoadContext, LoadResult
from ledgerlink.sync.refs import lookup
from ledgerlink.sync.write_catalog import skus_in_workspace

_UPSERT = text(
    """
    INSERT INTO inventory_levels AS l (id, workspace_id, variant_id, location_id, on_hand, reserved)
    VALUES (:id, :workspace_id, :variant_id, :location_id, :on_hand, :reserved)
    ON CONFLICT (variant_id, location_id) DO UPDATE
       SET on_hand = EXCLUDED.on_hand, reserved = EXCLUDED.reserved, updated_at = now()
     WHERE l.on_hand <> EXCLUDED.on_hand OR l.reserved <> EXCLUDED.reserved
    RETURNING l.id, l.variant_id, l.location_id, l.on_hand, l.reserved, l.available, (xmax = 0) AS inserted
    """
)


async def write_inventory(session: AsyncSession, ctx: LoadContext, items: list[Item]) -> LoadResult:
    result = LoadResult()
    levels: list[rec.InventoryLevel] = [i.record for i in items]
    variants = await lookup(
        session, ctx.scope("variant"), [lv.variant_external_id for lv in levels if lv.variant_external_id]
    )
    by_sku = await skus_in_workspace(session, ctx.workspace_id, [lv.sku for lv in levels if lv.sku])
    locations = await lookup(session, ctx.scope("location"), [lv.location_external_id for lv in levels])
    events = []
    for item, level in zip(items, levels, strict=True):
        variant_id = variants.get(level.variant_external_id or "") or (by_sku.get(level.sku or "") or (None,))[0]
        location_id = locations.get(level.location_external_id)
        if variant_id is None or location_id is None:
            missing = "variant" if variant_id is None else "location"
            result.fail(
                ItemError(
                    item.external_id,
                    "not_linked",
                    f"inventory for an unknown {missing}: sync "
                    f"{'products' if missing == 'variant' else 'locations'} first",
                )
            )
            continue
        row = (
            await session.execute(
                _UPSERT,
                {
                    "id": new_id("inv"),
                    "workspace_id": ctx.workspace_id,
                    "variant_id": variant_id,
                    "location_id": location_id,
                    "on_hand": level.on_hand,
                    "reserved": level.reserved,
                },
            )
        ).first()
        if row is None:
            result.unchanged += 1
            continue
        result.created += int(row.inserted)
        result.updated += int(not row.inserted)
        events.append(
            event_row(
                workspace_id=ctx.workspace_id,
                type="inventory.updated",
                source=ctx.provider,
                integration_id=ctx.integration_id,
                subject_id=row.id,
                data={
                    "variantId": variant_id,
                    "sku": level.sku,
                    "locationId": location_id,
                    "onHand": row.on_hand,
                    "reserved": row.reserved,
                    "available": row.available,
                },
            )
        )
    await emit_many(session, events)
    return result
