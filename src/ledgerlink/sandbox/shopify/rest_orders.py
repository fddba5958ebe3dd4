"""An order in Shopify's REST shape: the body of `orders/*` webhooks.

The amounts are the GraphQL renderer's own (render_orders.ORDER_AMOUNTS), so a webhook and a
query of the same order agree to the cent.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ledgerlink.sandbox.dataset import Order
from ledgerlink.sandbox.shopify.formats import gid
from ledgerlink.sandbox.shopify.render_orders import ORDER_AMOUNTS, line_items_total
from ledgerlink.sandbox.shopify.rest_catalog import customer_json
from ledgerlink.sandbox.shopify.rest_common import amount, money_set, rest_address, rest_time
from ledgerlink.sandbox.shopify.rest_lines import (
    fulfillments_json,
    line_item_json,
    order_taxes,
    shipping_lines_json,
    tax_lines_json,
)
from ledgerlink.sandbox.shopify.rest_refunds import refund_json
from ledgerlink.sandbox.shopify.state import ShopState

FULFILLMENT_STATUS = {"unfulfilled": None, "partial": "partial", "fulfilled": "fulfilled"}
ZERO = Decimal("0.00")


def _amounts(order: Order, **fields: str) -> dict[str, Any]:
    """`name: "12.00"` and `name_set: {…}` pairs from GraphQL amount names (`totalPriceSet`…)."""
    rendered: dict[str, Any] = {}
    for name, graphql in fields.items():
        value = ORDER_AMOUNTS[graphql](order)
        rendered[name] = amount(value)
        rendered[f"{name}_set"] = money_set(order, value)
    return rendered


def _customer(state: ShopState, order: Order) -> dict[str, Any] | None:
    customer = state.customers.get(order.customer_id or 0)
    return customer_json(customer) if customer else None


def order_json(state: ShopState, order: Order) -> dict[str, Any]:
    customer = state.customers.get(order.customer_id or 0)
    weight = sum(
        state.variants[line.variant_id].weight_grams * line.quantity
        for line in order.lines
        if line.variant_id in state.variants
    )
    return {
        "id": order.id,
        "admin_graphql_api_id": gid("Order", order.id),
        "app_id": None,
        "browser_ip": None,
        "buyer_accepts_marketing": bool(customer and customer.accepts_marketing),
        "cancel_reason": order.cancel_reason,
        "cancelled_at": rest_time(order.cancelled_at),
        "cart_token": None,
        "checkout_id": None,
        "checkout_token": None,
        "client_details": None,
        "closed_at": rest_time(order.updated_at) if order.status == "closed" else None,
        "company": None,
        "confirmation_number": f"{order.id:X}"[-9:],
        "confirmed": True,
        "contact_email": order.email,
        "created_at": rest_time(order.created_at),
        "currency": order.currency,
        "current_total_additional_fees_set": None,
        "current_total_duties_set": None,
        "customer_locale": "en",
        "device_id": None,
        "discount_codes": (
            [{"code": order.discount_code, "amount": amount(order.discount_amount), "type": "fixed_amount"}]
            if order.discount_code
            else []
        ),
        "duties_included": False,
        "email": order.email,
        "estimated_taxes": False,
        "financial_status": order.financial_status,
        "fulfillment_status": FULFILLMENT_STATUS.get(order.fulfillment_status),
        "landing_site": None,
        "landing_site_ref": None,
        "location_id": None,
        "merchant_business_entity_id": state.identity.handle,
        "merchant_of_record_app_id": None,
        "name": f"#{order.number}",
        "note": order.note or None,
        "note_attributes": [],
        "number": order.number - 1000,
        "order_number": order.number,
        "order_status_url": f"https://{state.identity.domain}/orders/{order.id:x}/authenticate",
        "original_total_additional_fees_set": None,
        "original_total_duties_set": None,
        "payment_gateway_names": ["shopify_payments"],
        "phone": None,
        "po_number": None,
        "presentment_currency": order.presentment_currency,
        "processed_at": rest_time(order.created_at),
        "reference": None,
        "referring_site": None,
        "source_identifier": None,
        "source_name": "web",
        "source_url": None,
        "tags": ", ".join(order.tags),
        "tax_exempt": False,
        "tax_lines": tax_lines_json(order, order_taxes(order)),
        "taxes_included": order.taxes_included,
        "test": False,
        "token": f"{order.id:032x}",
        "total_cash_rounding_payment_adjustment_set": money_set(order, ZERO),
        "total_cash_rounding_refund_adjustment_set": money_set(order, ZERO),
        "total_line_items_price": amount(line_items_total(order)),
        "total_line_items_price_set": money_set(order, line_items_total(order)),
        "total_shipping_price_set": money_set(order, order.shipping_price),
        "current_shipping_price_set": money_set(order, ORDER_AMOUNTS["currentShippingPriceSet"](order)),
        "total_weight": weight,
        "updated_at": rest_time(order.updated_at),
        "user_id": None,
        **_amounts(
            order,
            current_subtotal_price="currentSubtotalPriceSet",
            current_total_discounts="currentTotalDiscountsSet",
            current_total_price="currentTotalPriceSet",
            current_total_tax="currentTotalTaxSet",
            subtotal_price="subtotalPriceSet",
            total_discounts="totalDiscountsSet",
            total_price="totalPriceSet",
            total_tax="totalTaxSet",
        ),
        "total_outstanding": amount(ORDER_AMOUNTS["totalOutstandingSet"](order)),
        "total_tip_received": amount(ZERO),
        "billing_address": rest_address(order.billing),
        "customer": _customer(state, order),
        "discount_applications": [],
        "fulfillments": fulfillments_json(state, order),
        "line_items": [line_item_json(state, order, line) for line in order.lines],
        "payment_terms": None,
        "refunds": [refund_json(state, order, refund) for refund in order.refunds],
        "shipping_address": rest_address(order.shipping),
        "shipping_lines": shipping_lines_json(order),
        "returns": [],
    }
