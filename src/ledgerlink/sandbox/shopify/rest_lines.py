"""The lines of an order in Shopify's REST shape: line items, tax lines, shipping lines, fulfillments."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ledgerlink.sandbox.dataset import LineItem, Order
from ledgerlink.sandbox.shopify.formats import gid
from ledgerlink.sandbox.shopify.render_orders import FULFILLMENT_ID_BASE, refunded_quantity
from ledgerlink.sandbox.shopify.rest_common import amount, money_set, rest_time
from ledgerlink.sandbox.shopify.state import ShopState

ZERO = Decimal("0.00")


def tax_lines_json(order: Order, taxes: list[tuple[str, Decimal, Decimal]]) -> list[dict[str, Any]]:
    return [
        {
            "price": amount(value),
            "rate": float(rate),
            "title": title,
            "price_set": money_set(order, value),
            "channel_liable": False,
        }
        for title, rate, value in taxes
    ]


def order_taxes(order: Order) -> list[tuple[str, Decimal, Decimal]]:
    totals: dict[tuple[str, Decimal], Decimal] = {}
    for line in order.lines:
        for tax in line.tax_lines:
            totals[(tax.title, tax.rate)] = totals.get((tax.title, tax.rate), ZERO) + tax.amount
    if order.shipping_tax and totals:
        first = next(iter(totals))
        totals[first] += order.shipping_tax
    return [(title, rate, value) for (title, rate), value in totals.items()]


def line_item_json(state: ShopState, order: Order, line: LineItem) -> dict[str, Any]:
    variant = state.variants.get(line.variant_id)
    product = state.products.get(line.product_id)
    shipped = line.fulfilled_quantity == line.quantity
    return {
        "id": line.id,
        "admin_graphql_api_id": gid("LineItem", line.id),
        "attributed_staffs": [],
        "current_quantity": line.quantity - refunded_quantity(order, line),
        "fulfillable_quantity": 0 if order.cancelled_at else line.quantity - line.fulfilled_quantity,
        "fulfillment_service": "manual",
        "fulfillment_status": "fulfilled" if shipped else ("partial" if line.fulfilled_quantity else None),
        "gift_card": False,
        "grams": variant.weight_grams if variant else 0,
        "name": f"{line.title} - {line.variant_title}",
        "price": amount(line.price),
        "price_set": money_set(order, line.price),
        "product_exists": product is not None,
        "product_id": line.product_id,
        "properties": [],
        "quantity": line.quantity,
        "requires_shipping": True,
        "sales_line_item_group_id": None,
        "sku": line.sku,
        "taxable": bool(line.tax_lines),
        "title": line.title,
        "total_discount": amount(line.total_discount),
        "total_discount_set": money_set(order, line.total_discount),
        "variant_id": line.variant_id,
        "variant_inventory_management": "shopify",
        "variant_title": line.variant_title,
        "vendor": product.vendor if product else None,
        "tax_lines": tax_lines_json(order, [(t.title, t.rate, t.amount) for t in line.tax_lines]),
        "duties": [],
        "discount_allocations": [],
    }


def shipping_lines_json(order: Order) -> list[dict[str, Any]]:
    if not order.shipping_title:
        return []
    tax = order.lines[0].tax_lines[0] if order.shipping_tax and order.lines and order.lines[0].tax_lines else None
    price = order.shipping_price
    return [
        {
            "id": order.id,
            "carrier_identifier": None,
            "code": order.shipping_title,
            "current_discounted_price_set": money_set(order, price),
            "discounted_price": amount(price),
            "discounted_price_set": money_set(order, price),
            "is_removed": False,
            "phone": None,
            "price": amount(price),
            "price_set": money_set(order, price),
            "requested_fulfillment_service_id": None,
            "source": "shopify",
            "title": order.shipping_title,
            "tax_lines": tax_lines_json(order, [(tax.title, tax.rate, order.shipping_tax)]) if tax else [],
            "discount_allocations": [],
        }
    ]


def fulfillments_json(state: ShopState, order: Order) -> list[dict[str, Any]]:
    shipped = [line for line in order.lines if line.fulfilled_quantity]
    if not shipped:
        return []
    ident, tracking = FULFILLMENT_ID_BASE + order.id, f"1Z999AA1{order.id:010d}"
    url = f"https://www.ups.com/track?tracknum={tracking}"
    location = state.store.locations[0]
    return [
        {
            "id": ident,
            "admin_graphql_api_id": gid("Fulfillment", ident),
            "created_at": rest_time(order.updated_at),
            "location_id": location.id,
            "name": f"#{order.number}.1",
            "order_id": order.id,
            "origin_address": {"country_code": location.country_code},
            "receipt": {},
            "service": "manual",
            "shipment_status": None,
            "status": "success",
            "tracking_company": "UPS",
            "tracking_number": tracking,
            "tracking_numbers": [tracking],
            "tracking_url": url,
            "tracking_urls": [url],
            "updated_at": rest_time(order.updated_at),
            "line_items": [
                {**line_item_json(state, order, line), "quantity": line.fulfilled_quantity} for line in shipped
            ],
        }
    ]
