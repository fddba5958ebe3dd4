"""Product, ProductVariant, InventoryItem, InventoryLevel and Location."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from graphql import GraphQLError

from ledgerlink.sandbox.dataset import CITIES, Location, Product, Variant
from ledgerlink.sandbox.shopify.context import Ctx
from ledgerlink.sandbox.shopify.fields import FieldMap, WithArgs
from ledgerlink.sandbox.shopify.formats import encode_cursor, gid, iso, money_str, parse_gid
from ledgerlink.sandbox.shopify.inventory import QUANTITY_NAMES, quantities
from ledgerlink.sandbox.shopify.paging import ListSource, connection
from ledgerlink.sandbox.shopify.refs import ItemRef, LevelRef
from ledgerlink.sandbox.shopify.render_common import COUNTRY_NAMES, count, money_v2

OPTION_NAMES = {
    "Apparel": "Size",
    "Hardware": "Color",
    "Stationery": "Format",
    "Food": "Weight",
    "Electronics": "Edition",
    "Beauty": "Scent",
}
_TAGS = re.compile(r"<[^>]+>")


def option_name(product: Product) -> str:
    return OPTION_NAMES.get(product.product_type, "Title")


def available(variant: Variant) -> int:
    return sum(on_hand - reserved for on_hand, reserved in variant.stock.values())


def _by_id(ident: int) -> tuple[int, int]:
    return ident, ident


# --- Product -------------------------------------------------------------------------------------


def _variants(p: Product, ctx: Ctx, args: dict[str, Any]) -> dict[str, Any]:
    return connection(ListSource(p.variants, lambda v: _by_id(v.id)), args, ctx.bulk)


def _description(p: Product, _ctx: Ctx, args: dict[str, Any]) -> str:
    text = _TAGS.sub("", p.description)
    limit = args.get("truncateAt")
    return text if limit is None or len(text) <= limit else text[: max(0, limit - 3)] + "..."


def _options(p: Product, _ctx: Ctx) -> list[dict[str, Any]]:
    values = [v.option for v in p.variants]
    return [
        {
            "id": gid("ProductOption", p.id * 10 + 1),
            "name": option_name(p),
            "position": 1,
            "values": values,
            "optionValues": [
                {"id": gid("ProductOptionValue", v.id), "name": v.option, "hasVariants": True} for v in p.variants
            ],
        }
    ]


def _price_range(p: Product, ctx: Ctx) -> dict[str, Any]:
    prices = [v.price for v in p.variants]
    return {
        "minVariantPrice": money_v2(min(prices), ctx.store.currency),
        "maxVariantPrice": money_v2(max(prices), ctx.store.currency),
    }


PRODUCT: FieldMap = {
    "id": lambda p, _: gid("Product", p.id),
    "legacyResourceId": lambda p, _: str(p.id),
    "title": lambda p, _: p.title,
    "handle": lambda p, _: p.handle,
    "descriptionHtml": lambda p, _: p.description,
    "description": WithArgs(_description),
    "vendor": lambda p, _: p.vendor,
    "productType": lambda p, _: p.product_type,
    "status": lambda p, _: p.status.upper(),
    "tags": lambda p, _: list(p.tags),
    "createdAt": lambda p, _: iso(p.created_at),
    "updatedAt": lambda p, _: iso(p.updated_at),
    "publishedAt": lambda p, _: iso(p.created_at) if p.status == "active" else None,
    "onlineStoreUrl": lambda p, ctx: (
        f"https://{ctx.state.identity.domain}/products/{p.handle}" if p.status == "active" else None
    ),
    "variants": WithArgs(_variants),
    "variantsCount": lambda p, _: count(len(p.variants)),
    "totalVariants": lambda p, _: len(p.variants),
    "totalInventory": lambda p, _: sum(available(v) for v in p.variants),
    "tracksInventory": lambda p, _: True,
    "hasOnlyDefaultVariant": lambda p, _: len(p.variants) == 1,
    "hasOutOfStockVariants": lambda p, _: any(available(v) <= 0 for v in p.variants),
    "isGiftCard": lambda p, _: False,
    "requiresSellingPlan": lambda p, _: False,
    "options": _options,
    "priceRangeV2": _price_range,
    "seo": lambda p, _: {"title": None, "description": None},
    "defaultCursor": lambda p, _: encode_cursor(p.id, p.id),
}


# --- ProductVariant ------------------------------------------------------------------------------


def _product(v: Variant, ctx: Ctx) -> Product:
    return ctx.state.products[v.product_id]


VARIANT: FieldMap = {
    "id": lambda v, _: gid("ProductVariant", v.id),
    "legacyResourceId": lambda v, _: str(v.id),
    "title": lambda v, _: v.title,
    "displayName": lambda v, ctx: f"{_product(v, ctx).title} - {v.title}",
    "sku": lambda v, _: v.sku,
    "barcode": lambda v, _: v.barcode,
    "price": lambda v, _: money_str(v.price),
    "compareAtPrice": lambda v, _: money_str(v.compare_at_price),
    "position": lambda v, ctx: _product(v, ctx).variants.index(v) + 1,
    "selectedOptions": lambda v, ctx: [{"name": option_name(_product(v, ctx)), "value": v.option}],
    "inventoryItem": lambda v, _: ItemRef(v),
    "inventoryQuantity": lambda v, _: available(v),
    "sellableOnlineQuantity": lambda v, _: max(0, available(v)),
    "inventoryPolicy": lambda v, _: "DENY",
    "availableForSale": lambda v, ctx: _product(v, ctx).status == "active" and available(v) > 0,
    "taxable": lambda v, _: True,
    "requiresComponents": lambda v, _: False,
    "showUnitPrice": lambda v, _: False,
    "createdAt": lambda v, ctx: iso(_product(v, ctx).created_at),
    "updatedAt": lambda v, ctx: iso(_product(v, ctx).updated_at),
    "product": _product,
    "defaultCursor": lambda v, _: encode_cursor(v.id, v.id),
}


# --- InventoryItem, InventoryLevel -----------------------------------------------------------------


def _levels(variant: Variant, ctx: Ctx) -> list[LevelRef]:
    return [LevelRef(variant, loc) for loc in ctx.store.locations if loc.id in variant.stock]


def _item_levels(r: ItemRef, ctx: Ctx, args: dict[str, Any]) -> dict[str, Any]:
    return connection(ListSource(_levels(r.variant, ctx), lambda x: _by_id(x.location.id)), args, ctx.bulk)


def level_at(variant: Variant, location_gid: str, ctx: Ctx) -> LevelRef | None:
    parsed = parse_gid(location_gid)
    location = ctx.state.locations.get(parsed.ident) if parsed.kind == "Location" else None
    return LevelRef(variant, location) if location and location.id in variant.stock else None


def _quantities(r: LevelRef, ctx: Ctx, args: dict[str, Any]) -> list[dict[str, Any]]:
    unknown = [name for name in args["names"] if name not in QUANTITY_NAMES]
    if unknown:
        raise GraphQLError(f"Invalid quantity names: {', '.join(unknown)}. Valid names: {', '.join(QUANTITY_NAMES)}.")
    values = quantities(r.variant, r.location.id)
    updated = iso(ctx.state.inventory.updated_at(r.variant, r.location.id))
    item_id = r.variant.inventory_item_id
    return [
        {
            "id": gid("InventoryQuantity", r.location.id, inventory_item_id=item_id, name=name),
            "name": name,
            "quantity": values[name],
            "updatedAt": updated,
        }
        for name in args["names"]
    ]


INVENTORY_ITEM: FieldMap = {
    "id": lambda r, _: gid("InventoryItem", r.variant.inventory_item_id),
    "legacyResourceId": lambda r, _: str(r.variant.inventory_item_id),
    "sku": lambda r, _: r.variant.sku,
    "tracked": lambda r, _: True,
    "requiresShipping": lambda r, _: True,
    "duplicateSkuCount": lambda r, _: 0,
    "measurement": lambda r, _: {
        "id": gid("InventoryItemMeasurement", r.variant.inventory_item_id),
        "weight": {"unit": "GRAMS", "value": float(r.variant.weight_grams)},
    },
    "createdAt": lambda r, ctx: iso(_product(r.variant, ctx).created_at),
    "updatedAt": lambda r, ctx: iso(_product(r.variant, ctx).updated_at),
    "inventoryLevels": WithArgs(_item_levels),
    "inventoryLevel": WithArgs(lambda r, ctx, a: level_at(r.variant, a["locationId"], ctx)),
    "locationsCount": lambda r, _: count(len(r.variant.stock)),
    "variant": lambda r, _: r.variant,
    "variants": WithArgs(lambda r, ctx, a: connection(ListSource([r.variant], lambda v: _by_id(v.id)), a, ctx.bulk)),
}

INVENTORY_LEVEL: FieldMap = {
    "id": lambda r, _: gid("InventoryLevel", r.location.id, inventory_item_id=r.variant.inventory_item_id),
    "item": lambda r, _: ItemRef(r.variant),
    "location": lambda r, _: r.location,
    "quantities": WithArgs(_quantities),
    "isActive": lambda r, _: True,
    "canDeactivate": lambda r, _: True,
    "createdAt": lambda r, ctx: iso(_product(r.variant, ctx).created_at),
    "updatedAt": lambda r, ctx: iso(ctx.state.inventory.updated_at(r.variant, r.location.id)),
}


# --- Location ------------------------------------------------------------------------------------


def _location_address(loc: Location) -> dict[str, Any]:
    city, region, region_code, country, postal = next((c for c in CITIES if c[3] == loc.country_code), CITIES[0])
    street = f"{loc.id % 1000} Commerce Way"
    return {
        "address1": street,
        "address2": None,
        "city": city,
        "province": region,
        "provinceCode": region_code,
        "country": COUNTRY_NAMES.get(country, country),
        "countryCode": country,
        "zip": postal,
        "phone": None,
        "formatted": [street, f"{city} {region_code} {postal}", COUNTRY_NAMES.get(country, country)],
    }


def _location_levels(loc: Location, ctx: Ctx, args: dict[str, Any]) -> dict[str, Any]:
    levels = [LevelRef(v, loc) for v in ctx.store.variants if loc.id in v.stock]
    return connection(ListSource(levels, lambda r: _by_id(r.variant.inventory_item_id)), args, ctx.bulk)


def _location_level(loc: Location, ctx: Ctx, args: dict[str, Any]) -> LevelRef | None:
    parsed = parse_gid(args["inventoryItemId"])
    variant = ctx.state.inventory_items.get(parsed.ident) if parsed.kind == "InventoryItem" else None
    return LevelRef(variant, loc) if variant and loc.id in variant.stock else None


LOCATION: FieldMap = {
    "id": lambda loc, _: gid("Location", loc.id),
    "legacyResourceId": lambda loc, _: str(loc.id),
    "name": lambda loc, _: loc.name,
    "isActive": lambda loc, _: loc.active,
    "activatable": lambda loc, _: not loc.active,
    "deactivatable": lambda loc, _: loc.active,
    "deletable": lambda loc, _: False,
    "isPrimary": lambda loc, ctx: loc.id == ctx.store.locations[0].id,
    "addressVerified": lambda loc, _: True,
    "fulfillsOnlineOrders": lambda loc, _: loc.active,
    "hasActiveInventory": lambda loc, _: True,
    "shipsInventory": lambda loc, _: loc.active,
    "isFulfillmentService": lambda loc, _: False,
    "hasUnfulfilledOrders": lambda loc, _: False,
    "address": lambda loc, _: _location_address(loc),
    "createdAt": lambda loc, ctx: iso(ctx.store.start - timedelta(days=365)),
    "updatedAt": lambda loc, ctx: iso(ctx.store.start - timedelta(days=365)),
    "inventoryLevels": WithArgs(_location_levels),
    "inventoryLevel": WithArgs(_location_level),
}

CATALOG_TYPES: dict[str, FieldMap] = {
    "Product": PRODUCT,
    "ProductVariant": VARIANT,
    "InventoryItem": INVENTORY_ITEM,
    "InventoryLevel": INVENTORY_LEVEL,
    "Location": LOCATION,
}
