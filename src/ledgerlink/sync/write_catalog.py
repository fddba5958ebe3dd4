"""Products and their variants. A variant is found by SKU before anything is created, so one SKU sold
on several channels is one canonical variant (`autoLinkProducts`); `autoCreateProducts` decides
whether a product no SKU matches is created or reported."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.canonical import records as rec
from ledgerlink.canonical.external_refs import Outcome
from ledgerlink.events import emit_many, event_row
from ledgerlink.ids import new_id
from ledgerlink.models import Product as ProductRow
from ledgerlink.models import ProductVariant
from ledgerlink.sync.context import Item, ItemError, LoadContext, LoadResult
from ledgerlink.sync.refs import RefItem, decide, link, lookup
from ledgerlink.sync.rows import in_list, upsert


async def skus_in_workspace(session: AsyncSession, workspace_id: str, skus: list[str]) -> dict[str, tuple[str, str]]:
    """sku -> (variant id, product id) for SKUs the workspace already has."""
    if not skus:
        return {}
    rows = await session.execute(
        select(ProductVariant.sku, ProductVariant.id, ProductVariant.product_id).where(
            ProductVariant.workspace_id == workspace_id, in_list(ProductVariant.sku)
        ),
        {"values": sorted(set(skus))},
    )
    return {row.sku: (row.id, row.product_id) for row in rows}


def _product_row(ctx: LoadContext, canonical_id: str, p: rec.Product) -> dict[str, Any]:
    return {
        "id": canonical_id,
        "workspace_id": ctx.workspace_id,
        "title": p.title,
        "handle": p.handle,
        "description": p.description,
        "vendor": p.vendor,
        "product_type": p.product_type,
        "status": p.status,
        "tags": list(p.tags),
        "attributes": {},
    }


def _variant_row(ctx: LoadContext, canonical_id: str, product_id: str, v: rec.Variant) -> dict[str, Any]:
    return {
        "id": canonical_id,
        "workspace_id": ctx.workspace_id,
        "product_id": product_id,
        "sku": v.sku,
        "barcode": v.barcode,
        "title": v.title,
        "options": dict(v.options),
        "currency": v.currency,
        "price_amount": v.price,
        "compare_at_amount": v.compare_at_price,
        "cost_amount": v.cost,
        "taxable": v.taxable,
        "requires_shipping": v.requires_shipping,
        "weight_grams": v.weight_grams,
        "position": v.position,
        "attributes": {},
    }


async def write_products(session: AsyncSession, ctx: LoadContext, items: list[Item]) -> LoadResult:
    result = LoadResult()
    auto_link = bool(ctx.settings.get("autoLinkProducts", True))
    auto_create = bool(ctx.settings.get("autoCreateProducts", True))
    products: list[rec.Product] = [i.record for i in items]
    variant_refs = await lookup(session, ctx.scope("variant"), [v.external_id for p in products for v in p.variants])
    by_sku = await skus_in_workspace(session, ctx.workspace_id, [v.sku for p in products for v in p.variants if v.sku])
    known_products = await lookup(session, ctx.scope("product"), [i.external_id for i in items])

    def linked_product(product: rec.Product) -> str | None:
        for v in product.variants:
            if v.external_id in variant_refs:
                continue
            if auto_link and v.sku in by_sku:
                return by_sku[v.sku][1]
        return None

    admitted: list[Item] = []
    for item in items:
        if item.external_id in known_products or auto_create or linked_product(item.record):
            admitted.append(item)
        else:
            skus = ", ".join(v.sku or "?" for v in item.record.variants)
            result.fail(
                ItemError(item.external_id, "not_linked", f"no product has SKU {skus} and autoCreateProducts is off")
            )

    admitted_by_id = {i.external_id: i.record for i in admitted}
    decisions = await decide(
        session,
        ctx.scope("product"),
        [RefItem(i.external_id, i.updated_at, i.payload_hash) for i in admitted],
        lambda ext: linked_product(admitted_by_id[ext]) or new_id("prd"),
    )
    product_rows, variant_rows, events = [], [], []
    new_variant_refs: dict[str, str] = {}
    for item in admitted:
        decision = decisions.get(item.external_id)
        if decision is None:
            continue
        result.count(decision.outcome)
        if not decision.writes:
            continue
        product: rec.Product = item.record
        product_rows.append(_product_row(ctx, decision.canonical_id, product))
        for variant in product.variants:
            variant_id = variant_refs.get(variant.external_id)
            if variant_id is None and auto_link and variant.sku in by_sku:
                variant_id = by_sku[variant.sku][0]
            variant_id = variant_id or new_id("var")
            new_variant_refs[variant.external_id] = variant_id
            variant_rows.append(_variant_row(ctx, variant_id, decision.canonical_id, variant))
        kind = "product.created" if decision.outcome is Outcome.CREATED else "product.updated"
        events.append(
            event_row(
                workspace_id=ctx.workspace_id,
                type=kind,
                source=ctx.provider,
                integration_id=ctx.integration_id,
                subject_id=decision.canonical_id,
                data={
                    "productId": decision.canonical_id,
                    "externalId": item.external_id,
                    "title": product.title,
                    "skus": [v.sku for v in product.variants if v.sku],
                },
            )
        )
    await upsert(session, ProductRow.__table__, product_rows)
    await upsert(session, ProductVariant.__table__, variant_rows)
    await link(session, ctx.scope("variant"), new_variant_refs)
    await emit_many(session, events)
    return result
