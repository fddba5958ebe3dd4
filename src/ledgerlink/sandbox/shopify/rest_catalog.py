"""Products, customers and inventory levels in Shopify's REST shape: the bodies of `products/*`,
`customers/*` and `inventory_levels/update` webhooks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ledgerlink.sandbox.dataset import Customer, Product, Variant
from ledgerlink.sandbox.shopify.formats import gid
from ledgerlink.sandbox.shopify.inventory import quantities
from ledgerlink.sandbox.shopify.render_catalog import available, option_name
from ledgerlink.sandbox.shopify.render_common import COUNTRY_NAMES
from ledgerlink.sandbox.shopify.rest_common import amount, rest_time

if TYPE_CHECKING:
    from ledgerlink.sandbox.shopify.state import ShopState


def _variant_json(product: Product, variant: Variant, position: int) -> dict[str, Any]:
    return {
        "admin_graphql_api_id": gid("ProductVariant", variant.id),
        "barcode": variant.barcode,
        "compare_at_price": amount(variant.compare_at_price) if variant.compare_at_price is not None else None,
        "created_at": rest_time(product.created_at),
        "id": variant.id,
        "inventory_policy": "deny",
        "position": position,
        "price": amount(variant.price),
        "product_id": product.id,
        "sku": variant.sku,
        "taxable": True,
        "title": variant.title,
        "updated_at": rest_time(product.updated_at),
        "option1": variant.option,
        "option2": None,
        "option3": None,
        "image_id": None,
        "inventory_item_id": variant.inventory_item_id,
        "inventory_quantity": available(variant),
        "old_inventory_quantity": available(variant),
    }


def product_json(product: Product) -> dict[str, Any]:
    return {
        "admin_graphql_api_id": gid("Product", product.id),
        "body_html": product.description,
        "created_at": rest_time(product.created_at),
        "handle": product.handle,
        "id": product.id,
        "product_type": product.product_type,
        "published_at": rest_time(product.created_at) if product.status == "active" else None,
        "template_suffix": None,
        "title": product.title,
        "updated_at": rest_time(product.updated_at),
        "vendor": product.vendor,
        "status": product.status,
        "published_scope": "web",
        "tags": ", ".join(product.tags),
        "variants": [_variant_json(product, v, n) for n, v in enumerate(product.variants, 1)],
        "options": [
            {
                "name": option_name(product),
                "id": product.id * 10 + 1,
                "product_id": product.id,
                "position": 1,
                "values": [v.option for v in product.variants],
            }
        ],
        "images": [],
        "image": None,
        "media": [],
        "variant_gids": [
            {"admin_graphql_api_id": gid("ProductVariant", v.id), "updated_at": rest_time(product.updated_at)}
            for v in product.variants
        ],
        "has_variants_that_requires_components": False,
        "category": None,
    }


def customer_json(customer: Customer) -> dict[str, Any]:
    address = customer.address
    country = COUNTRY_NAMES.get(address.country_code, address.country_code)
    default_address = {
        "id": customer.id,
        "customer_id": customer.id,
        "first_name": address.first_name,
        "last_name": address.last_name,
        "company": address.company or None,
        "address1": address.line1,
        "address2": address.line2 or None,
        "city": address.city,
        "province": address.region,
        "country": country,
        "zip": address.postal_code,
        "phone": address.phone,
        "name": f"{address.first_name} {address.last_name}",
        "province_code": address.region_code,
        "country_code": address.country_code,
        "country_name": country,
        "default": True,
    }
    return {
        "id": customer.id,
        "created_at": rest_time(customer.created_at),
        "updated_at": rest_time(customer.updated_at),
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "state": "enabled",
        "note": None,
        "verified_email": True,
        "multipass_identifier": None,
        "tax_exempt": False,
        "email": customer.email,
        "phone": customer.phone,
        "currency": customer.currency,
        "addresses": [default_address],
        "tax_exemptions": [],
        "admin_graphql_api_id": gid("Customer", customer.id),
        "default_address": default_address,
    }


def inventory_level_json(state: ShopState, variant: Variant, location_id: int) -> dict[str, Any]:
    return {
        "inventory_item_id": variant.inventory_item_id,
        "location_id": location_id,
        "available": quantities(variant, location_id)["available"],
        "updated_at": rest_time(state.inventory.updated_at(variant, location_id)),
        "admin_graphql_api_id": gid("InventoryLevel", location_id, inventory_item_id=variant.inventory_item_id),
    }
