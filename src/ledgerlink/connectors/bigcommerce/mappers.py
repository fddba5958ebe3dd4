"""BigCommerce records -> canonical records.

A v2 order states every amount in the store's default currency (`default_currency_code`) as a string
with four decimals; the shopper paid in `currency_code`, at `currency_exchange_rate` presentment units per
store unit. So the store amounts are exact, and presentment amounts are the store amount times that
rate, rounded to the presentment currency. Amounts come in ex/inc-tax pairs; `is_tax_inclusive_pricing`
says which side the merchant entered, and the canonical record keeps that side (as WooCommerce's does).

A v2 order's `total_inc_tax` is `subtotal_inc_tax + shipping_cost_inc_tax + handling_cost_inc_tax
- discount_amount - coupon_discount`: `discount_amount` is the products' own discounts (the lines'
`applied_discounts`), `coupon_discount` the coupons'.

Every money field read is parsed, both sides of every pair: a value that is not a number fails the
record rather than loading a wrong one.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ledgerlink.canonical import records as rec
from ledgerlink.canonical.currencies import OrderCurrencies, order_totals
from ledgerlink.canonical.money import parse_decimal, to_minor
from ledgerlink.connectors.framework.parsing import required_time, utc_time

# status_id (statuses.py of the sandbox, BigCommerce's fixed list) -> (status, financial status)
ORDER_STATUS: dict[int, tuple[str, str]] = {
    0: ("open", "pending"),  # Incomplete
    1: ("open", "pending"),  # Pending
    2: ("closed", "paid"),  # Shipped
    3: ("open", "paid"),  # Partially Shipped
    4: ("closed", "refunded"),  # Refunded
    5: ("cancelled", "voided"),  # Cancelled
    6: ("cancelled", "voided"),  # Declined
    7: ("open", "pending"),  # Awaiting Payment
    8: ("open", "paid"),  # Awaiting Pickup
    9: ("open", "paid"),  # Awaiting Shipment
    10: ("closed", "paid"),  # Completed
    11: ("open", "paid"),  # Awaiting Fulfillment
    12: ("open", "pending"),  # Manual Verification Required
    13: ("open", "paid"),  # Disputed
    14: ("open", "partially_refunded"),  # Partially Refunded
}
LOCATION_KINDS = {"PHYSICAL": "warehouse", "VIRTUAL": "fulfillment_service"}


def _currency(value: Any) -> str:
    code = str(value or "").strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ValueError(f"not a currency code: {value!r}")
    return code


def _count(value: Any, what: str, minimum: int | None = 0) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or (minimum is not None and value < minimum):
        raise ValueError(f"{what} {value!r} is not a whole number")
    return value


def _text(value: Any) -> str | None:
    """Strings as they are, numbers (BigCommerce sends some zips and phones as numbers) as text."""
    if value is None or isinstance(value, bool):
        return None
    return str(value).strip() or None


class Money(OrderCurrencies):
    """BigCommerce v2 states amounts in the store (shop) currency; `currency_exchange_rate` is
    presentment units per store unit."""

    @classmethod
    def of(cls, order: dict[str, Any]) -> Money:
        shop = _currency(order.get("default_currency_code") or order.get("store_default_currency_code"))
        presentment = _currency(order.get("currency_code") or shop)
        if presentment == shop:
            return cls(shop, presentment, Decimal(1))
        return cls(shop, presentment, parse_decimal(order.get("currency_exchange_rate")))

    def pair(self, amount: Decimal) -> tuple[int, int]:
        return self.from_shop(amount)


@dataclass(frozen=True)
class Taxed:
    """One amount as BigCommerce states it: without tax, with tax, and the tax."""

    ex: Decimal
    inc: Decimal
    tax: Decimal

    @classmethod
    def read(cls, doc: dict[str, Any], prefix: str, tax: str | None = None) -> Taxed:
        """`Taxed.read(order, "subtotal")` reads subtotal_ex_tax, subtotal_inc_tax and subtotal_tax."""
        return cls(
            parse_decimal(doc[f"{prefix}_ex_tax"]),
            parse_decimal(doc[f"{prefix}_inc_tax"]),
            parse_decimal(doc[tax or f"{prefix}_tax"]),
        )

    def entered(self, includes_tax: bool) -> Decimal:
        return self.inc if includes_tax else self.ex


def _taxes_included(order: dict[str, Any], products: list[dict[str, Any]]) -> bool:
    """The flag where the order has it; else the side of a taxed line that equals its entered base price."""
    flag = order.get("is_tax_inclusive_pricing")
    if isinstance(flag, bool):
        return flag
    for row in products:
        unit = Taxed.read(row, "price")
        if unit.tax:
            return parse_decimal(row["base_price"]) == unit.inc
    return False


def _address(a: dict[str, Any] | None) -> rec.Address | None:
    if not a or not any(a.get(k) for k in ("street_1", "city", "first_name", "last_name")):
        return None
    name = " ".join(p for p in (_text(a.get("first_name")), _text(a.get("last_name"))) if p) or None
    return rec.Address(
        name=name,
        company=_text(a.get("company")),
        line1=_text(a.get("street_1")),
        line2=_text(a.get("street_2")),
        city=_text(a.get("city")),
        region=_text(a.get("state")),
        postal_code=_text(a.get("zip")),
        country_code=_text(a.get("country_iso2")),
        phone=_text(a.get("phone")),
    )


def _tax_line(amount: Decimal, money: Money, includes_tax: bool) -> tuple[rec.TaxLine, ...]:
    if not amount:
        return ()
    shop, pres = money.pair(amount)
    return (rec.TaxLine(title="Tax", amount=shop, presentment_amount=pres, price_includes_tax=includes_tax),)


def _product_discount(row: dict[str, Any]) -> Decimal:
    """The line's own discounts; an order-level coupon's share (target "order") is in coupon_discount."""
    applied = row.get("applied_discounts") or []
    return sum((parse_decimal(d["amount"]) for d in applied if d.get("target") != "order"), Decimal(0))


def _line(row: dict[str, Any], money: Money, includes_tax: bool) -> rec.OrderLine:
    quantity = _count(row.get("quantity"), f"line {row.get('id')}: quantity")
    unit = Taxed.read(row, "price")
    total = Taxed.read(row, "total")
    unit_shop, unit_pres = money.pair(unit.entered(includes_tax))
    disc_shop, disc_pres = money.pair(_product_discount(row))
    options = [_text(o.get("display_value")) for o in row.get("product_options") or []]
    return rec.OrderLine(
        external_id=str(row["id"]),
        sku=_text(row.get("sku")),
        title=_text(row.get("name")) or "",
        variant_title=" / ".join(o for o in options if o) or None,
        variant_external_id=str(row["variant_id"]) if row.get("variant_id") else None,
        product_external_id=str(row["product_id"]) if row.get("product_id") else None,
        quantity=quantity,
        unit_price=unit_shop,
        unit_price_presentment=unit_pres,
        discount=disc_shop,
        discount_presentment=disc_pres,
        taxable=bool(total.tax),
        requires_shipping=row.get("type", "physical") == "physical",
        tax_lines=_tax_line(total.tax, money, includes_tax),
    )


def _shipping_lines(order: dict[str, Any], money: Money, includes_tax: bool) -> list[rec.ShippingLine]:
    """One line per shipping address (its method and cost), and one for handling when there is any."""
    charges = [
        (_text(a.get("shipping_method")) or "Shipping", Taxed.read(a, "cost", "cost_tax"))
        for a in order.get("_shipping_addresses") or []
    ]
    if not charges:
        charges = [("Shipping", Taxed.read(order, "shipping_cost"))]
    charges.append(("Handling", Taxed.read(order, "handling_cost")))
    lines = []
    for title, cost in charges:
        if not (cost.ex or cost.inc):
            continue
        shop, pres = money.pair(cost.entered(includes_tax))
        lines.append(
            rec.ShippingLine(
                title=title,
                amount=shop,
                presentment_amount=pres,
                tax_lines=_tax_line(cost.tax, money, includes_tax),
            )
        )
    return lines


def _discounts(order: dict[str, Any], money: Money) -> list[rec.Discount]:
    """Coupons (with their codes when the order's coupons were read), then the products' own discounts."""
    found = []
    coupon = parse_decimal(order["coupon_discount"])
    if coupon:
        codes = [_text(c.get("code")) for c in order.get("_coupons") or []]
        shop, pres = money.pair(coupon)
        code = ", ".join(c for c in codes if c) or None
        found.append(rec.Discount(kind="code", code=code, title="Coupon", amount=shop, presentment_amount=pres))
    products = parse_decimal(order["discount_amount"])
    if products:
        shop, pres = money.pair(products)
        found.append(rec.Discount(kind="automatic", title="Product discounts", amount=shop, presentment_amount=pres))
    return found


def _refund(refund: dict[str, Any], money: Money) -> rec.Refund:
    """A v3 refund: its items say what went back, products by order line, shipping and the rest by amount."""
    lines, shipping = [], Decimal(0)
    for item in refund.get("items") or []:
        amount = abs(parse_decimal(item.get("requested_amount") or 0))
        if item.get("item_type") == "SHIPPING":
            shipping += amount
        elif item.get("item_type") == "PRODUCT":
            shop, pres = money.pair(amount)
            quantity = _count(item.get("quantity") or 0, f"refund {refund.get('id')}: quantity")
            lines.append(
                rec.RefundLine(
                    line_external_id=str(item["item_id"]), quantity=quantity, amount=shop, presentment_amount=pres
                )
            )
    shop, pres = money.pair(abs(parse_decimal(refund["total_amount"])))
    ship_shop, ship_pres = money.pair(shipping)
    return rec.Refund(
        external_id=str(refund["id"]),
        processed_at=utc_time(refund.get("created")),
        reason=_text(refund.get("reason")),
        amount=shop,
        presentment_amount=pres,
        shipping_amount=ship_shop,
        shipping_presentment_amount=ship_pres,
        lines=tuple(lines),
    )


def _statuses(order: dict[str, Any], total: Decimal, refunded: Decimal) -> tuple[str, str, str | None]:
    """(status, financial, fulfillment): status_id for the first two (refunds refine "paid"), the
    shipped item count for the third."""
    status_id = order.get("status_id")
    if status_id not in ORDER_STATUS:
        raise ValueError(f"unknown status_id {status_id!r}")
    status, financial = ORDER_STATUS[status_id]
    if financial == "paid" and refunded > 0:
        financial = "refunded" if refunded >= total else "partially_refunded"
    shipped, items = order.get("items_shipped"), order.get("items_total")
    fulfillment = None
    if isinstance(shipped, int) and isinstance(items, int) and items > 0:
        fulfillment = "unfulfilled" if shipped == 0 else ("fulfilled" if shipped >= items else "partial")
    return status, financial, fulfillment


def _pairs(order: dict[str, Any], money: Money, includes_tax: bool) -> dict[str, tuple[int, int]]:
    """The order's headline amounts, each in both currencies."""
    shipping = Taxed.read(order, "shipping_cost").entered(includes_tax)
    handling = Taxed.read(order, "handling_cost").entered(includes_tax)
    discount = parse_decimal(order["discount_amount"]) + parse_decimal(order["coupon_discount"])
    total = Taxed.read(order, "total")
    return {
        "subtotal": money.pair(Taxed.read(order, "subtotal").entered(includes_tax)),
        "discount": money.pair(discount),
        "shipping": money.pair(shipping + handling),
        "tax": money.pair(total.tax),
        "total": money.pair(total.inc),
    }


def map_order(order: dict[str, Any]) -> rec.Order:
    """A v2 order enriched with `_products`, `_shipping_addresses` and, where it has them, `_coupons`
    and `_refunds` (v3 refunds)."""
    money = Money.of(order)
    products = order.get("_products") or []
    includes_tax = _taxes_included(order, products)
    pairs = _pairs(order, money, includes_tax)
    updated_at = required_time(order.get("date_modified"))
    refunded = parse_decimal(order["refunded_amount"])
    status, financial, fulfillment = _statuses(order, parse_decimal(order["total_inc_tax"]), refunded)
    customer_id = order.get("customer_id") or 0
    billing = order.get("billing_address") or {}
    addresses = order.get("_shipping_addresses") or []
    return rec.Order(
        external_id=str(order["id"]),
        number=str(order["id"]),
        customer_external_id=str(customer_id) if customer_id else None,
        email=_text(billing.get("email")),
        status=status,
        financial_status=financial,
        fulfillment_status=fulfillment,
        currency=money.shop,
        presentment_currency=money.presentment,
        exchange_rate=money.shop_per_presentment,
        taxes_included=includes_tax,
        **order_totals(pairs),
        placed_at=utc_time(order.get("date_created")),
        updated_at=updated_at,
        closed_at=(utc_time(order.get("date_shipped")) or updated_at) if status == "closed" else None,
        cancelled_at=updated_at if status == "cancelled" else None,
        note=_text(order.get("customer_message")),
        billing_address=_address(billing),
        shipping_address=_address(addresses[0] if addresses else None),
        lines=tuple(_line(row, money, includes_tax) for row in products),
        shipping_lines=tuple(_shipping_lines(order, money, includes_tax)),
        discounts=tuple(_discounts(order, money)),
        refunds=tuple(_refund(r, money) for r in order.get("_refunds") or []),
        attributes={
            k: order[k] for k in ("status", "payment_method", "channel_id", "order_source") if order.get(k) is not None
        },
    )


# --- catalogue, customers, stock ------------------------------------------------------------------------------------


def _price(value: Any, currency: str) -> int | None:
    return None if value is None or value == "" else to_minor(value, currency)


def _variant(variant: dict[str, Any], product: dict[str, Any], currency: str, position: int) -> rec.Variant:
    options = {
        str(o.get("option_display_name") or ""): str(o.get("label") or "") for o in variant.get("option_values") or []
    }
    price = variant.get("price")
    retail = variant.get("retail_price")
    cost = variant.get("cost_price")
    return rec.Variant(
        external_id=str(variant["id"]),
        sku=_text(variant.get("sku")),
        barcode=_text(variant.get("upc")) or _text(variant.get("gtin")),
        title=" / ".join(options.values()) or None,
        options=options,
        currency=currency,
        price=_price(product.get("price") if price is None else price, currency),
        compare_at_price=_price(retail, currency) if retail else None,
        cost=_price(cost, currency) if cost else None,
        requires_shipping=product.get("type", "physical") == "physical",
        position=position,
        inventory_item_external_id=_text(variant.get("sku_id")),
    )


def _product_status(product: dict[str, Any]) -> str:
    if product.get("is_visible", True):
        return "active"
    return "archived" if product.get("availability") == "disabled" else "draft"


def map_product(product: dict[str, Any]) -> rec.Product:
    """A v3 product read with `include=variants`, and `_currency` (the store's: catalogue prices are in it)."""
    currency = _currency(product["_currency"])
    variants = product.get("variants")
    if not variants:
        raise ValueError("the product came without its variants")
    keywords = str(product.get("search_keywords") or "")
    handle = ((product.get("custom_url") or {}).get("url") or "").strip("/")
    return rec.Product(
        external_id=str(product["id"]),
        title=_text(product.get("name")) or f"Product {product['id']}",
        handle=handle or None,
        description=_text(product.get("description")),
        status=_product_status(product),
        tags=tuple(t.strip() for t in keywords.split(",") if t.strip()),
        updated_at=utc_time(product.get("date_modified")),
        variants=tuple(_variant(v, product, currency, n) for n, v in enumerate(variants)),
    )


def map_customer(customer: dict[str, Any]) -> rec.Customer:
    return rec.Customer(
        external_id=str(customer["id"]),
        email=_text(customer.get("email")),
        first_name=_text(customer.get("first_name")),
        last_name=_text(customer.get("last_name")),
        company=_text(customer.get("company")),
        phone=_text(customer.get("phone")),
        accepts_marketing=bool(customer.get("accepts_product_review_abandoned_cart_emails")),
        tax_exempt=bool(customer.get("tax_exempt_category")),
        note=_text(customer.get("notes")),
        updated_at=utc_time(customer.get("date_modified")),
    )


def map_location(location: dict[str, Any]) -> rec.Location:
    return rec.Location(
        external_id=str(location["id"]),
        name=_text(location.get("label")) or _text(location.get("code")) or f"Location {location['id']}",
        kind=LOCATION_KINDS.get(str(location.get("type_id")), "warehouse"),
        active=bool(location.get("enabled", True)),
        country_code=_text((location.get("address") or {}).get("country_code")),
        updated_at=utc_time(location.get("updated_at")),
    )


def stock_rows(item: dict[str, Any]) -> list[dict[str, Any]]:
    """A v3 inventory item (one variant, every location) -> one row per location, keyed `variant@location`."""
    identity = item.get("identity") or {}
    return [
        {**row, "identity": identity, "_key": f"{identity.get('variant_id')}@{row.get('location_id')}"}
        for row in item.get("locations") or []
    ]


def map_stock(row: dict[str, Any]) -> rec.InventoryLevel:
    """One variant at one location; BigCommerce's safety stock is what the hub calls reserved."""
    identity = row["identity"]
    return rec.InventoryLevel(
        variant_external_id=str(identity["variant_id"]),
        sku=_text(identity.get("sku")),
        location_external_id=str(row["location_id"]),
        on_hand=_count(row.get("total_inventory_onhand"), "total_inventory_onhand", minimum=None),
        reserved=_count((row.get("settings") or {}).get("safety_stock") or 0, "safety_stock"),
    )
