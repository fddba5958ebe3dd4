"""Orders and refunds in WooCommerce's shape (one currency per order: the order's presentment currency;
the shop currency and rate go to meta_data the way multi-currency plugins store them)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ledgerlink.sandbox.dataset import TAX_BY_COUNTRY, Address, LineItem, Order, Refund, money
from ledgerlink.sandbox.faults import FaultInjector
from ledgerlink.sandbox.woocommerce.amounts import LineAmounts, OrderAmounts, order_amounts, refund_amounts
from ledgerlink.sandbox.woocommerce.catalog import Catalog
from ledgerlink.sandbox.woocommerce.wire import (
    API_PREFIX,
    WC_VERSION,
    json_number,
    money_formatter,
    money_str,
    quantized_money_formatter,
    wc_date_pair,
    wc_dates,
)

ORDER_STATUSES = ("pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "checkout-draft")
PAYMENT_METHODS = (
    [("stripe", "Credit Card (Stripe)")] * 3
    + [("paypal", "PayPal")] * 2
    + [("bacs", "Direct bank transfer"), ("cod", "Cash on delivery")]
)
TAX_RATE_IDS = {country: n + 1 for n, country in enumerate(TAX_BY_COUNTRY)}
TAX_RATE_PERCENTS = {country: json_number(rate * 100) for country, (_, rate) in TAX_BY_COUNTRY.items()}
PAID = {"paid", "partially_refunded", "refunded"}
USER_AGENT = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Safari/605.1.15"
Formatter = Callable[[Decimal], str]
Item = dict[str, Any]
Money = tuple[str, str, str, int]  # an item's subtotal, total and tax, as shown, and its tax rate's id
Identity = tuple[str, int, str | None]  # an item's name, variation_id and parent_name
ZERO = Decimal(0)


def _unit_price(total: Decimal, quantity: int) -> int | float:
    """An item's `price`: its total per unit to six places, as the JSON number WooCommerce shows
    (converted here, so orjson needs no callback for it). Most lines are of one unit, whose price is
    the total (amounts have fewer than six places): the number is decided by the value alone."""
    return json_number(total if quantity == 1 else money(total / quantity, 6))


def woo_status(order: Order) -> str:
    if order.cancelled_at:
        return "cancelled"
    if order.financial_status == "refunded":
        return "refunded"
    if order.fulfillment_status == "fulfilled" and order.financial_status in ("paid", "partially_refunded"):
        return "completed"
    return "pending" if order.financial_status == "pending" else "processing"


def status_changes(order: Order, status: str, now: datetime) -> dict[str, Any]:
    """The dataset fields a merchant's status change in wp-admin amounts to."""
    reopen: dict[str, Any] = {"cancelled_at": None, "cancel_reason": None}
    paid = "partially_refunded" if order.financial_status == "partially_refunded" else "paid"

    def fulfilled(done: bool) -> tuple[LineItem, ...]:
        return tuple(replace(line, fulfilled_quantity=line.quantity if done else 0) for line in order.lines)

    return {
        "pending": {**reopen, "financial_status": "pending"},
        "processing": {
            **reopen,
            "financial_status": paid,
            "fulfillment_status": "unfulfilled",
            "lines": fulfilled(False),
        },
        "completed": {**reopen, "financial_status": paid, "fulfillment_status": "fulfilled", "lines": fulfilled(True)},
        "cancelled": {"cancelled_at": now, "cancel_reason": "other", "financial_status": "voided"},
        "refunded": {**reopen, "financial_status": "refunded"},
    }[status]


TOUCHABLE_STATUSES = ("pending", "processing", "completed", "cancelled", "refunded")
CURRENCY_SYMBOLS = {
    "USD": "&#36;",
    "EUR": "&euro;",
    "GBP": "&pound;",
    "JPY": "&yen;",
    "MYR": "&#82;&#77;",
    "KWD": "&#x62f;.&#x643;",
}


def _digest(kind: str, order_id: int) -> str:
    return hashlib.sha1(f"{kind}:{order_id}".encode()).hexdigest()


def _transaction_id(method: str, order_id: int) -> str:
    """The gateway's reference for the payment: Stripe's payment intent, PayPal's capture; none offline."""
    if method == "stripe":
        return "pi_" + _digest("txn", order_id)[:24]
    if method == "paypal":
        return _digest("txn", order_id)[:17].upper()
    return ""


def address_json(address: Address, email: str | None = None) -> dict[str, str]:
    data = {
        "first_name": address.first_name,
        "last_name": address.last_name,
        "company": address.company,
        "address_1": address.line1,
        "address_2": address.line2,
        "city": address.city,
        "state": address.region_code,
        "postcode": address.postal_code,
        "country": address.country_code,
    }
    if email is not None:
        data["email"] = email
    data["phone"] = address.phone
    return data


def _meta(meta_id: int, key: str, value: str) -> dict[str, Any]:
    return {"id": meta_id, "key": key, "value": value}


# Ways a real site serves a broken order: a plugin writing words into item meta, a NaN from a bad
# currency conversion, a row missing its GMT column, PHP encoding an empty address as a JSON list.
def _quantity_word(data: dict[str, Any]) -> None:
    data["line_items"][0]["quantity"] = "two"


def _nan_total(data: dict[str, Any]) -> None:
    data["line_items"][0]["total"] = "NaN"


def _no_modified_gmt(data: dict[str, Any]) -> None:
    del data["date_modified_gmt"]


def _billing_list(data: dict[str, Any]) -> None:
    data["billing"] = []


MALFORMATIONS = (_quantity_word, _nan_total, _no_modified_gmt, _billing_list)


PAID_AFTER = timedelta(seconds=20)  # date_paid: the gateway's answer, a little after checkout


class OrderRenderer:
    def __init__(self, catalog: Catalog, injector: FaultInjector) -> None:
        self.catalog = catalog
        self.injector = injector
        self._variable_products: dict[int, bool] = {}

    @staticmethod
    def formatter(order: Order, dp: int | None) -> Formatter:
        """How the order's amounts print: at the request's `dp`, or else as converted to the order's
        currency (amounts.py quantizes each to its decimals, so they print as they are)."""
        return quantized_money_formatter(order.presentment_decimals) if dp is None else money_formatter(dp)

    def _variable(self, product_id: int) -> bool:
        """Whether the product has variations (lines then name and reference them); products keep
        their variants for good, so each is asked once."""
        if product_id not in self._variable_products:
            product = self.catalog.product(product_id)
            self._variable_products[product_id] = product is not None and self.catalog.is_variable(product)
        return self._variable_products[product_id]

    def _identity(self, line: LineItem) -> Identity:
        """The item's name, variation_id and parent_name: a variable product's lines name the variation
        (and only theirs have a parent_name)."""
        if self._variable(line.product_id):
            return f"{line.title} - {line.variant_title}", line.variant_id, line.title
        return line.title, 0, None

    @staticmethod
    def _item(
        item_id: int, line: LineItem, identity: Identity, quantity: int, money: Money, meta: list[Item], price: float
    ) -> Item:
        """What an order's line items and a refund's have in common, in one literal (in WooCommerce's
        order of keys): the product the line sold, its amounts, meta_data and unit price."""
        name, variation_id, parent_name = identity
        subtotal, total, tax, rate_id = money
        return {
            "id": item_id,
            "name": name,
            "product_id": line.product_id,
            "variation_id": variation_id,
            "tax_class": "",
            "sku": line.sku,
            "parent_name": parent_name,
            "quantity": quantity,
            "subtotal": subtotal,
            "subtotal_tax": tax,
            "total": total,
            "total_tax": tax,
            "taxes": [{"id": rate_id, "total": tax, "subtotal": tax}],
            "meta_data": meta,
            "price": price,
        }

    @staticmethod
    def _option_meta(line: LineItem) -> dict[str, Any]:
        return {
            "id": line.id + 7_000_000,
            "key": "option",
            "value": line.variant_title,
            "display_key": "Option",
            "display_value": line.variant_title,
        }

    def _line_json(self, amounts: LineAmounts, rate_id: int, fmt: Formatter) -> Item:
        line = amounts.line
        identity = self._identity(line)
        options = [] if identity[2] is None else [self._option_meta(line)]  # a variation's option
        money = fmt(amounts.subtotal), fmt(amounts.total), fmt(amounts.tax), rate_id
        price = _unit_price(amounts.total, line.quantity)
        item = self._item(line.id, line, identity, line.quantity, money, options, price)
        item["image"] = {"id": "", "src": ""}
        return item

    @staticmethod
    def _payment(order: Order) -> tuple[str, str, str, str | None, str | None]:
        """payment_method, payment_method_title, transaction_id, date_paid and date_paid_gmt."""
        method, title = PAYMENT_METHODS[order.id % len(PAYMENT_METHODS)]
        if order.financial_status not in PAID:
            return method, title, "", None, None
        return method, title, _transaction_id(method, order.id), *wc_date_pair(order.created_at + PAID_AFTER)

    def _tax_lines(self, order: Order, cart_tax: str, shipping_tax: str) -> list[dict[str, Any]]:
        country = order.shipping.country_code
        label = TAX_BY_COUNTRY[country][0]
        return [
            {
                "id": self._item_id(order, 1),
                "rate_code": f"{country}-{label.upper()}-1",
                "rate_id": TAX_RATE_IDS[country],
                "label": label,
                "compound": False,
                "tax_total": cart_tax,
                "shipping_tax_total": shipping_tax,
                "rate_percent": TAX_RATE_PERCENTS[country],
                "meta_data": [],
            }
        ]

    @staticmethod
    def _item_id(order: Order, slot: int) -> int:
        return 5_000_000 + (order.id - 100_000) * 10 + slot

    def _shipping_lines(self, order: Order, free: bool, total: str, tax: str, rate_id: int) -> list[dict[str, Any]]:
        items = ", ".join([f"{line.title} &times; {line.quantity}" for line in order.lines])
        return [
            {
                "id": self._item_id(order, 0),
                "method_title": "Free shipping" if free else order.shipping_title,
                "method_id": "free_shipping" if free else "flat_rate",
                "instance_id": "2" if free else "1",
                "total": total,
                "total_tax": tax,
                "taxes": [{"id": rate_id, "total": tax, "subtotal": ""}],
                "meta_data": [
                    {
                        "id": self._item_id(order, 9),
                        "key": "Items",
                        "display_key": "Items",
                        "value": items,
                        "display_value": items,
                    }
                ],
            }
        ]

    def _coupon_lines(self, order: Order, amounts: OrderAmounts, fmt: Formatter) -> list[dict[str, Any]]:
        if not amounts.coupons:
            return []
        zero = fmt(ZERO)
        return [
            {
                "id": self._item_id(order, 2 + n),
                "code": c.code,
                "discount": fmt(c.discount),
                "discount_tax": zero,
                "discount_type": c.discount_type,
                "nominal_amount": json_number(c.nominal_amount),
                "free_shipping": False,
                "meta_data": [],
            }
            for n, c in enumerate(amounts.coupons)
        ]

    @staticmethod
    def _meta_data(order: Order, amounts: OrderAmounts) -> list[dict[str, Any]]:
        base = 9_000_000 + (order.id - 100_000) * 10
        return [
            _meta(base, "_shop_currency", order.currency),
            _meta(base + 1, "_exchange_rate", str(order.exchange_rate)),
            _meta(base + 2, "_order_total_base_currency", money_str(amounts.shop_total, 2)),
        ]

    def order_json(self, order: Order, site: str, dp: int | None = None) -> dict[str, Any]:
        fmt = self.formatter(order, dp)
        amounts = order_amounts(order)
        rate_id = TAX_RATE_IDS[order.shipping.country_code]
        status = woo_status(order)
        order_key = "wc_order_" + _digest("key", order.id)[:13]
        date_created, date_created_gmt = wc_date_pair(order.created_at)
        date_modified, date_modified_gmt = wc_date_pair(order.updated_at)
        completed = status == "completed"  # completed when last modified
        method, method_title, transaction_id, date_paid, date_paid_gmt = self._payment(order)
        # Formatted once: the tax and shipping lines repeat them.
        shipping, shipping_tax, cart_tax = fmt(amounts.shipping), fmt(amounts.shipping_tax), fmt(amounts.cart_tax)
        data: dict[str, Any] = {
            "id": order.id,
            "parent_id": 0,
            "status": status,
            "currency": order.presentment_currency,
            "version": WC_VERSION,
            "prices_include_tax": order.taxes_included,
            "date_created": date_created,
            "date_created_gmt": date_created_gmt,
            "date_modified": date_modified,
            "date_modified_gmt": date_modified_gmt,
            "discount_total": fmt(amounts.discount_total),
            "discount_tax": fmt(ZERO),
            "shipping_total": shipping,
            "shipping_tax": shipping_tax,
            "cart_tax": cart_tax,
            "total": fmt(amounts.total),
            "total_tax": fmt(amounts.total_tax),
            "customer_id": order.customer_id or 0,
            "order_key": order_key,
            "billing": address_json(order.billing, order.email),
            "shipping": address_json(order.shipping),
            "payment_method": method,
            "payment_method_title": method_title,
            "transaction_id": transaction_id,
            "date_paid": date_paid,
            "date_paid_gmt": date_paid_gmt,
            "customer_ip_address": f"198.51.100.{order.id % 250 + 1}",
            "customer_user_agent": USER_AGENT,
            "created_via": "checkout",
            "customer_note": order.note,
            "date_completed": date_modified if completed else None,
            "date_completed_gmt": date_modified_gmt if completed else None,
            "cart_hash": _digest("cart", order.id)[:32],
            "number": str(order.number),
            "meta_data": self._meta_data(order, amounts),
            "line_items": [self._line_json(line, rate_id, fmt) for line in amounts.lines],
            "tax_lines": self._tax_lines(order, cart_tax, shipping_tax),
            "shipping_lines": self._shipping_lines(order, not amounts.shipping, shipping, shipping_tax, rate_id),
            "fee_lines": [],
            "coupon_lines": self._coupon_lines(order, amounts, fmt),
            "refunds": [
                {"id": r.id, "reason": r.note, "total": fmt(-refund_amounts(order, r).amount)} for r in order.refunds
            ],
            "payment_url": f"{site}/checkout/order-pay/{order.id}/?pay_for_order=true&key={order_key}",
            "is_editable": status in ("pending", "on-hold"),
            "needs_payment": status == "pending",
            "needs_processing": True,
            "currency_symbol": CURRENCY_SYMBOLS.get(order.presentment_currency, "&#36;"),
            "_links": self._links(order, site),
        }
        if order.malformed and self.injector.faults.malformed:
            MALFORMATIONS[order.id % len(MALFORMATIONS)](data)
        return data

    @staticmethod
    def _links(order: Order, site: str) -> dict[str, Any]:
        links: dict[str, Any] = {
            "self": [{"href": f"{site}{API_PREFIX}/orders/{order.id}"}],
            "collection": [{"href": f"{site}{API_PREFIX}/orders"}],
        }
        if order.customer_id:
            links["customer"] = [{"href": f"{site}{API_PREFIX}/customers/{order.customer_id}"}]
        return links

    def refund_json(self, order: Order, refund: Refund, site: str, dp: int | None = None) -> dict[str, Any]:
        fmt = self.formatter(order, dp)
        amounts = refund_amounts(order, refund)
        rate_id = TAX_RATE_IDS[order.shipping.country_code]
        lines_by_id = {line.id: line for line in order.lines}
        items = []
        for n, part in enumerate(amounts.lines):
            line = lines_by_id[part.line.line_item_id]
            item_id, refunded_id, subtotal = refund.id * 10 + n, str(line.id), fmt(-part.subtotal)
            meta_data = [
                {
                    "id": item_id,
                    "key": "_refunded_item_id",
                    "value": refunded_id,
                    "display_key": "_refunded_item_id",
                    "display_value": refunded_id,
                }
            ]
            money = subtotal, subtotal, fmt(-part.tax), rate_id
            price = -_unit_price(part.subtotal, part.line.quantity)
            items.append(self._item(item_id, line, self._identity(line), -part.line.quantity, money, meta_data, price))
        method = PAYMENT_METHODS[order.id % len(PAYMENT_METHODS)][0]
        return {
            "id": refund.id,
            **wc_dates("date_created", refund.created_at),
            "amount": fmt(amounts.amount),
            "reason": refund.note,
            "refunded_by": 1,
            "refunded_payment": method in ("stripe", "paypal"),
            "meta_data": [],
            "line_items": items,
            "shipping_lines": [],
            "tax_lines": [],
            "fee_lines": [],
            "_links": {
                "self": [{"href": f"{site}{API_PREFIX}/orders/{order.id}/refunds/{refund.id}"}],
                "collection": [{"href": f"{site}{API_PREFIX}/orders/{order.id}/refunds"}],
                "up": [{"href": f"{site}{API_PREFIX}/orders/{order.id}"}],
            },
        }
