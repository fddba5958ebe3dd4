"""v3 inventory (inventory.v3.yml, locations.v3.yml): locations, items per variant and location, adjustments."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import Response

from ledgerlink.sandbox.bigcommerce import query, stock
from ledgerlink.sandbox.bigcommerce.context import Context
from ledgerlink.sandbox.bigcommerce.formats import iso8601
from ledgerlink.sandbox.bigcommerce.responses import JSON, Unprocessable
from ledgerlink.sandbox.bigcommerce.routing import ApiRoute
from ledgerlink.sandbox.changes import Change
from ledgerlink.sandbox.dataset import CITIES, Location, Product, Variant

DAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
TIME_ZONES = {"US": "America/Chicago", "DE": "Europe/Berlin"}


def location_code(location: Location) -> str:
    return location.name.upper().replace(" ", "-")


def _location_address(location: Location) -> dict[str, Any]:
    city, region, _, country, postal = next((c for c in CITIES if c[3] == location.country_code), CITIES[0])
    return {
        "address1": f"{location.id} Commerce Way",
        "address2": "",
        "city": city,
        "state": region,
        "zip": postal,
        "email": f"location-{location.id}@example.com",
        "phone": "+15550000000",
        "geo_coordinates": {"latitude": 0, "longitude": 0},
        "country_code": country,
    }


def location_doc(ctx: Context, location: Location) -> dict[str, Any]:
    created = ctx.store.start - timedelta(days=365)
    hours = {"open": location.active, "opening": "09:00", "closing": "17:00"}
    return {
        "id": location.id,
        "code": location_code(location),
        "label": location.name,
        "description": "",
        "managed_by_external_source": False,
        "type_id": "PHYSICAL",
        "enabled": location.active,
        "operating_hours": dict.fromkeys(DAYS, hours),
        "time_zone": TIME_ZONES.get(location.country_code, "UTC"),
        "created_at": iso8601(created),
        "updated_at": iso8601(created),
        "address": _location_address(location),
        "storefront_visibility": False,
        "special_hours": [],
    }


def _location_filter(ctx: Context, request: Request) -> list[Location]:
    params = request.query_params
    ids, codes = query.integers(params, "location_id:in"), query.strings(params, "location_code:in")
    active = query.boolean(params, "is_active")
    return [
        loc
        for loc in ctx.store.locations
        if (ids is None or loc.id in ids)
        and (codes is None or location_code(loc) in codes)
        and (active is None or loc.active == active)
    ]


async def list_locations(ctx: Context, request: Request) -> Response:
    locations = _location_filter(ctx, request)
    return JSON(query.collection(request, locations, lambda loc: location_doc(ctx, loc)))


def item_doc(product: Product, variant: Variant, locations: list[Location]) -> dict[str, Any]:
    return {
        "identity": {
            "sku": variant.sku,
            "variant_id": variant.id,
            "product_id": product.id,
            "sku_id": variant.inventory_item_id,
        },
        "locations": [
            {
                "location_id": loc.id,
                "location_code": location_code(loc),
                "location_name": loc.name,
                "available_to_sell": stock.available(variant, loc.id),
                "total_inventory_onhand": stock.on_hand(variant, loc.id),
                "location_enabled": loc.active,
                "settings": {
                    "safety_stock": stock.safety_stock(variant, loc.id),
                    "is_in_stock": stock.available(variant, loc.id) > 0,
                    "warning_level": 0,
                    "bin_picking_number": "",
                },
            }
            for loc in locations
        ],
    }


async def inventory_items(ctx: Context, request: Request) -> Response:
    params = request.query_params
    skus, variant_ids = query.strings(params, "sku:in"), query.integers(params, "variant_id:in")
    product_ids = query.integers(params, "product_id:in")
    locations = _location_filter(ctx, request)
    rows = [
        (p, v)
        for p in ctx.store.products
        for v in p.variants
        if (skus is None or v.sku in skus)
        and (variant_ids is None or v.id in variant_ids)
        and (product_ids is None or p.id in product_ids)
    ]
    return JSON(query.collection(request, rows, lambda row: item_doc(*row, locations)))


@dataclass(frozen=True)
class Adjustment:
    product: Product
    variant: Variant
    location_id: int
    quantity: int  # the new on-hand count


def _resolve(ctx: Context, item: Any, n: int) -> tuple[Product, Variant]:
    """The variant an adjustment item names, by `variant_id`, `sku` or (single-variant) `product_id`."""
    variant: Variant | None = None
    if "variant_id" in item:
        variant = ctx.variants_by_id.get(item["variant_id"])
    elif "sku" in item:
        variant = ctx.store.variant_by_sku(item["sku"])
    elif "product_id" in item:
        product = ctx.products_by_id.get(item["product_id"])
        variant = product.variants[0] if product and len(product.variants) == 1 else None
    if variant is None:
        raise Unprocessable("The item does not name a known variant.", {f"items.{n}": "unknown variant"})
    return ctx.products_by_id[variant.product_id], variant


def _adjustment(ctx: Context, item: Any, n: int, relative: bool, planned: dict[tuple[int, int], int]) -> Adjustment:
    if not isinstance(item, dict) or not isinstance(item.get("quantity"), int) or isinstance(item["quantity"], bool):
        raise Unprocessable("Each item needs an integer quantity.", {f"items.{n}.quantity": "must be an integer"})
    if item.get("location_id") not in {loc.id for loc in ctx.store.locations}:
        raise Unprocessable("Unknown location.", {f"items.{n}.location_id": "unknown location"})
    product, variant = _resolve(ctx, item, n)
    key = (variant.id, item["location_id"])
    current = planned.get(key, stock.on_hand(variant, item["location_id"]))
    quantity = current + item["quantity"] if relative else item["quantity"]
    if quantity < 0:
        raise Unprocessable("Inventory cannot go below zero.", {f"items.{n}.quantity": "results in negative stock"})
    planned[key] = quantity
    return Adjustment(product, variant, item["location_id"], quantity)


async def _adjust(ctx: Context, request: Request, relative: bool) -> Response:
    """All items are checked before any is applied: one bad item refuses the whole request."""
    try:
        body = await request.json()
    except ValueError:
        raise Unprocessable("The request body is not JSON.", {"body": "invalid JSON"}) from None
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise Unprocessable("The request needs a non-empty items list.", {"items": "required"})
    planned: dict[tuple[int, int], int] = {}  # several items may adjust the same variant at the same location
    adjustments = [_adjustment(ctx, item, n, relative, planned) for n, item in enumerate(items)]
    now = datetime.now(UTC)
    deltas = []
    for a in adjustments:
        deltas.append(a.quantity - stock.on_hand(a.variant, a.location_id))
        stock.set_on_hand(a.product, a.variant, a.location_id, a.quantity, now)
    method: Literal["absolute", "relative"] = "relative" if relative else "absolute"
    for a, delta in zip(adjustments, deltas, strict=True):  # announced once every item is applied
        ctx.store.changes.publish(
            Change("inventory", "updated", a.variant.id, a.product.id, a.location_id, delta, method=method)
        )
    serial = ctx.store.next_id("bigcommerce_inventory_transaction", 0)
    return JSON({"transaction_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{ctx.identity.store_hash}/{serial}"))})


async def absolute_adjustment(ctx: Context, request: Request) -> Response:
    return await _adjust(ctx, request, relative=False)


async def relative_adjustment(ctx: Context, request: Request) -> Response:
    return await _adjust(ctx, request, relative=True)


ROUTES = [
    ApiRoute("v3", "GET", "/v3/inventory/locations", list_locations),
    ApiRoute("v3", "GET", "/v3/inventory/items", inventory_items),
    ApiRoute("v3", "PUT", "/v3/inventory/adjustments/absolute", absolute_adjustment),
    ApiRoute("v3", "POST", "/v3/inventory/adjustments/relative", relative_adjustment),
]
