"""Stock per variant and location: the dataset's [on_hand, reserved] pairs, read and adjusted.

BigCommerce calls the reserved part `safety_stock`; what is left is `available_to_sell`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ledgerlink.sandbox.dataset import Product, Variant


def on_hand(variant: Variant, location_id: int) -> int:
    return variant.stock.get(location_id, [0, 0])[0]


def safety_stock(variant: Variant, location_id: int) -> int:
    return variant.stock.get(location_id, [0, 0])[1]


def available(variant: Variant, location_id: int) -> int:
    return max(0, on_hand(variant, location_id) - safety_stock(variant, location_id))


def inventory_level(variant: Variant) -> int:
    """A variant's level in the catalogue: what it can sell across all locations."""
    return sum(available(variant, location_id) for location_id in variant.stock)


def product_inventory_level(product: Product) -> int:
    return sum(inventory_level(v) for v in product.variants)


def set_on_hand(
    product: Product, variant: Variant, location_id: int, quantity: int, at: datetime | None = None
) -> None:
    """An inventory adjustment: the location's on-hand count changes and the product counts as modified."""
    reserved = safety_stock(variant, location_id)
    variant.stock[location_id] = [quantity, reserved]
    product.updated_at = at or datetime.now(UTC)
