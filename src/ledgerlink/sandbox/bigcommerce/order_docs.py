"""v2 order documents (orders.v2.oas2.yml): the order, its products, shipping address and coupons."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

from ledgerlink.sandbox.bigcommerce.amounts import LineAmounts, OrderAmounts, order_amounts
from ledgerlink.sandbox.bigcommerce.formats import (
    ZERO,
    country_name,
    currency_id,
    money4,
    rate10,
    rfc2822,
)
from ledgerlink.sandbox.bigcommerce.statuses import STATUS_NAMES, payment_status, status_id
from ledgerlink.sandbox.dataset import Address, LineItem, Order, Product, Variant

ZERO4 = money4(ZERO)
SHIPPING_ADDRESS_BASE = 1_000  # an order's one shipping address: id SHIPPING_ADDRESS_BASE + order index
OPTION_NAMES = {
    "Apparel": "Size",
    "Hardware": "Color",
    "Stationery": "Format",
    "Food": "Weight",
    "Electronics": "Edition",
    "Beauty": "Scent",
    "Homeware": "Style",
}


def shipping_address_id(order: Order) -> int:
    return SHIPPING_ADDRESS_BASE + order.id - 100_000


def _link(root: str, resource: str) -> dict[str, str]:
    return {"url": f"{root}{resource}", "resource": resource}


def _address(address: Address, email: str) -> dict[str, Any]:
    return {
        "first_name": address.first_name,
        "last_name": address.last_name,
        "company": address.company,
        "street_1": address.line1,
        "street_2": address.line2,
        "city": address.city,
        "state": address.region,
        "zip": address.postal_code,
        "country": country_name(address.country_code),
        "country_iso2": address.country_code,
        "phone": address.phone,
        "email": email,
    }


def _date_shipped(order: Order) -> str:
    shipped = order.fulfillment_status != "unfulfilled" and order.cancelled_at is None
    return rfc2822(order.created_at + timedelta(days=1)) if shipped else ""


def _money_fields(amounts: OrderAmounts, order: Order) -> dict[str, Any]:
    total = amounts.total
    return {
        "subtotal_ex_tax": money4(amounts.subtotal.ex),
        "subtotal_inc_tax": money4(amounts.subtotal.inc),
        "subtotal_tax": money4(amounts.subtotal.tax),
        "base_shipping_cost": money4(order.shipping_price),
        "shipping_cost_ex_tax": money4(amounts.shipping.ex),
        "shipping_cost_inc_tax": money4(amounts.shipping.inc),
        "shipping_cost_tax": money4(amounts.shipping.tax),
        "shipping_cost_tax_class_id": 2,
        "base_handling_cost": ZERO4,
        "handling_cost_ex_tax": ZERO4,
        "handling_cost_inc_tax": ZERO4,
        "handling_cost_tax": ZERO4,
        "handling_cost_tax_class_id": 2,
        "base_wrapping_cost": ZERO4,
        "wrapping_cost_ex_tax": ZERO4,
        "wrapping_cost_inc_tax": ZERO4,
        "wrapping_cost_tax": ZERO4,
        "wrapping_cost_tax_class_id": 3,
        "total_ex_tax": money4(total.ex),
        "total_inc_tax": money4(total.inc),
        "total_tax": money4(total.tax),
        "refunded_amount": money4(amounts.refunded),
        "store_credit_amount": ZERO4,
        "gift_certificate_amount": ZERO4,
        "discount_amount": money4(amounts.product_discounts),
        "coupon_discount": money4(amounts.coupon_discount),
    }


def _currency_fields(order: Order) -> dict[str, Any]:
    """Amounts are in the store's (default) currency; the shopper paid in `currency_code`."""
    return {
        "currency_id": currency_id(order.presentment_currency),
        "currency_code": order.presentment_currency,
        "currency_exchange_rate": rate10(order.exchange_rate),
        "default_currency_id": currency_id(order.currency),
        "default_currency_code": order.currency,
        "store_default_currency_code": order.currency,
        "store_default_to_transactional_exchange_rate": rate10(order.exchange_rate),
    }


def order_doc(order: Order, root: str, amounts: OrderAmounts | None = None) -> dict[str, Any]:
    """GET /v2/orders/{id}; `root` is the API's base URL up to and including /v2."""
    amounts = amounts or order_amounts(order)
    status = status_id(order)
    resource = f"/orders/{order.id}"
    return {
        "id": order.id,
        "customer_id": order.customer_id or 0,
        "date_created": rfc2822(order.created_at),
        "date_modified": rfc2822(order.updated_at),
        "date_shipped": _date_shipped(order),
        "status_id": status,
        "status": STATUS_NAMES[status],
        **_money_fields(amounts, order),
        "is_tax_inclusive_pricing": order.taxes_included,
        "items_total": sum(line.quantity for line in order.lines),
        "items_shipped": sum(line.fulfilled_quantity for line in order.lines),
        "payment_method": "Credit Card",
        "payment_provider_id": "",
        "payment_status": payment_status(order),
        "order_is_digital": False,
        "ip_address": "",
        "ip_address_v6": "",
        "geoip_country": country_name(order.billing.country_code),
        "geoip_country_iso2": order.billing.country_code,
        **_currency_fields(order),
        "staff_notes": ", ".join(order.tags),
        "customer_message": order.note,
        "shipping_address_count": 1,
        "is_deleted": False,
        "ebay_order_id": "0",
        "cart_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"bigcommerce-cart:{order.id}")),
        "billing_address": {**_address(order.billing, order.email), "form_fields": []},
        "is_email_opt_in": False,
        "credit_card_type": None,
        "order_source": "www",
        "channel_id": 1,
        "external_source": None,
        "products": _link(root, f"{resource}/products"),
        "shipping_addresses": _link(root, f"{resource}/shippingaddresses"),
        "coupons": _link(root, f"{resource}/coupons"),
        "external_id": None,
        "external_merchant_id": None,
        "tax_provider_id": "BasicTaxProvider",
        "custom_status": STATUS_NAMES[status],
        "customer_locale": "en",
        "external_order_id": "",
    }


def _unit(amount: Decimal, quantity: int) -> str:
    return money4(amount / quantity)


def _applied_discounts(line: LineItem) -> list[dict[str, Any]]:
    if not line.total_discount:
        return []
    return [
        {
            "id": "total-discount",
            "amount": money4(line.total_discount),
            "name": "Product discount",
            "code": None,
            "target": "product",
        }
    ]


def option_name(product: Product) -> str:
    return OPTION_NAMES.get(product.product_type, "Option")


def _product_options(line: LineItem, product: Product) -> list[dict[str, Any]]:
    if len(product.variants) < 2:
        return []
    name, order_product_id = option_name(product), line.id
    return [
        {
            "id": order_product_id,
            "option_id": 1,
            "order_product_id": order_product_id,
            "product_option_id": 1,
            "display_name": name,
            "display_value": line.variant_title,
            "value": line.variant_title,
            "type": "Multiple choice",
            "name": name,
            "display_style": "Dropdown",
            "display_name_customer": name,
            "display_name_merchant": name,
            "display_value_customer": line.variant_title,
            "display_value_merchant": line.variant_title,
        }
    ]


def product_doc(order: Order, line_amounts: LineAmounts, product: Product, variant: Variant | None) -> dict[str, Any]:
    """One line of GET /v2/orders/{id}/products (its schema admits no other property)."""
    line, total, quantity = line_amounts.line, line_amounts.total, line_amounts.line.quantity
    weight = Decimal(variant.weight_grams if variant else 0)
    return {
        "id": line.id,
        "order_id": order.id,
        "product_id": line.product_id,
        "variant_id": line.variant_id,
        "order_address_id": shipping_address_id(order),
        "name": line.title,
        "name_customer": line.title,
        "name_merchant": line.title,
        "sku": line.sku,
        "upc": variant.barcode if variant else "",
        "type": "physical",
        "base_price": money4(line.price),
        "price_ex_tax": _unit(total.ex, quantity),
        "price_inc_tax": _unit(total.inc, quantity),
        "price_tax": _unit(total.tax, quantity),
        "base_total": money4(line.price * quantity),
        "total_ex_tax": money4(total.ex),
        "total_inc_tax": money4(total.inc),
        "total_tax": money4(total.tax),
        "discounted_total_inc_tax": money4(total.inc - line_amounts.discount),
        "quantity": quantity,
        "quantity_shipped": line.fulfilled_quantity,
        "base_cost_price": ZERO4,
        "cost_price_inc_tax": ZERO4,
        "cost_price_ex_tax": ZERO4,
        "cost_price_tax": ZERO4,
        "weight": money4(weight),
        "width": "0.0000",
        "height": "0.0000",
        "depth": "0.0000",
        "is_refunded": line_amounts.refunded_quantity >= quantity,
        "quantity_refunded": line_amounts.refunded_quantity,
        "refund_amount": money4(line_amounts.refunded),
        "return_id": 0,
        "wrapping_id": 0,
        "wrapping_name": None,
        "base_wrapping_cost": ZERO4,
        "wrapping_cost_ex_tax": ZERO4,
        "wrapping_cost_inc_tax": ZERO4,
        "wrapping_cost_tax": ZERO4,
        "wrapping_message": "",
        "event_name": None,
        "event_date": None,
        "fixed_shipping_cost": ZERO4,
        "ebay_item_id": "",
        "ebay_transaction_id": "",
        "option_set_id": None,
        "parent_order_product_id": None,
        "is_bundled_product": False,
        "bin_picking_number": "",
        "external_id": None,
        "brand": product.vendor,
        "applied_discounts": _applied_discounts(line),
        "product_options": _product_options(line, product),
        "configurable_fields": [],
        "gift_certificate_id": None,
    }


def shipping_address_doc(order: Order, amounts: OrderAmounts, root: str) -> dict[str, Any]:
    address_id = shipping_address_id(order)
    return {
        "id": address_id,
        "order_id": order.id,
        **_address(order.shipping, order.email),
        "items_total": sum(line.quantity for line in order.lines),
        "items_shipped": sum(line.fulfilled_quantity for line in order.lines),
        "shipping_method": order.shipping_title,
        "base_cost": money4(order.shipping_price),
        "cost_ex_tax": money4(amounts.shipping.ex),
        "cost_inc_tax": money4(amounts.shipping.inc),
        "cost_tax": money4(amounts.shipping.tax),
        "cost_tax_class_id": 2,
        "base_handling_cost": ZERO4,
        "handling_cost_ex_tax": ZERO4,
        "handling_cost_inc_tax": ZERO4,
        "handling_cost_tax": ZERO4,
        "handling_cost_tax_class_id": 2,
        "shipping_zone_id": 1,
        "shipping_zone_name": country_name(order.shipping.country_code),
        "form_fields": [],
        "shipping_quotes": _link(root, f"/orders/{order.id}/shippingaddresses/{address_id}/shippingquotes"),
    }


def coupon_docs(order: Order) -> list[dict[str, Any]]:
    if not order.discount_code:
        return []
    return [
        {
            "id": order.id - 100_000 + 1,
            "coupon_id": 1,
            "order_id": order.id,
            "code": order.discount_code,
            "amount": money4(order.discount_amount),
            "type": 2,
            "discount": order.discount_amount,
        }
    ]
