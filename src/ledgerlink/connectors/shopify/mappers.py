"""Shopify GraphQL Admin records -> canonical records.

Ids: the hub keeps Shopify's numeric ids (`legacyResourceId`, the tail of a global id): webhooks and the
REST-era references name objects by them. Global ids are rebuilt from them when asking Shopify.

Money: every amount of an order comes as a MoneyBag, in the shop's currency and in the one the buyer
paid in, each already rounded by Shopify; both are kept as they are. Shopify states no exchange rate on
an order, so the canonical rate (shop units per presentment unit) is the ratio of the order's two
totals: exact to the presentment currency's rounding. Shopify's `subtotalPriceSet` is after every
discount; the canonical subtotal is before them (subtotal - discount + shipping (+ tax unless included)
= total), so the discounts are added back. Shopify splits discounts into the order's (cart) part and the
lines' part: a discount code takes the cart part when there is one, else the lines' part; what remains
is listed as automatic. An amount that is not a number fails the record.

Refunds: a refund's lines and its refunded shipping lines (`refundShippingLines`) are each read at their
subtotal, which includes tax exactly when the order's prices do, with their tax beside it (a line's
`totalTaxSet`, a shipping line's `taxAmountSet`), so the books can give each back to where the order put it.

Inventory: the hub's `reserved` is everything at a location that is not available (Shopify's committed,
reserved, safety stock, damaged…: on_hand - available), so the hub's available equals Shopify's.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from ledgerlink.canonical import records as rec
from ledgerlink.canonical.money import parse_decimal, to_minor
from ledgerlink.connectors.framework.parsing import required_time, utc_time

GID_PREFIX = "gid://shopify/"
FINANCIAL_STATUS = {
    "AUTHORIZED": "authorized",
    "EXPIRED": "voided",
    "PAID": "paid",
    "PARTIALLY_PAID": "partially_paid",
    "PARTIALLY_REFUNDED": "partially_refunded",
    "PENDING": "pending",
    "REFUNDED": "refunded",
    "VOIDED": "voided",
}
FULFILLMENT_STATUS = {
    "FULFILLED": "fulfilled",
    "PARTIALLY_FULFILLED": "partial",
    "RESTOCKED": "restocked",
    "UNFULFILLED": "unfulfilled",
    "OPEN": "unfulfilled",
    "IN_PROGRESS": "unfulfilled",
    "PENDING_FULFILLMENT": "unfulfilled",
    "SCHEDULED": "unfulfilled",
    "ON_HOLD": "unfulfilled",
    "REQUEST_DECLINED": "unfulfilled",
}
PRODUCT_STATUS = {"ACTIVE": "active", "UNLISTED": "active", "DRAFT": "draft", "ARCHIVED": "archived"}
GRAMS_PER_UNIT = {
    "GRAMS": Decimal(1),
    "KILOGRAMS": Decimal(1000),
    "OUNCES": Decimal("28.349523125"),
    "POUNDS": Decimal("453.59237"),
}


def numeric_id(value: Any) -> str:
    """`gid://shopify/Order/100005` (or `100005`) -> `100005`."""
    text = str(value or "")
    if text.startswith(GID_PREFIX):
        text = text[len(GID_PREFIX) :].partition("?")[0].rpartition("/")[2]
    if not text.isdigit():
        raise ValueError(f"not a Shopify id: {value!r}")
    return text


def global_id(kind: str, external_id: str) -> str | None:
    """The global id of a `kind` object from its numeric id or global id (None if it is neither)."""
    if external_id.startswith(f"{GID_PREFIX}{kind}/"):
        return external_id
    return f"{GID_PREFIX}{kind}/{external_id}" if external_id.isdigit() else None


def ref_id(obj: Any) -> str | None:
    """The numeric id of a referenced object (`variant { id }`), None when there is none."""
    return numeric_id(obj["id"]) if isinstance(obj, dict) and obj.get("id") else None


def _text(value: Any) -> str | None:
    return (str(value).strip() or None) if value is not None else None


def _nodes(connection: Any) -> list[Any]:
    return list((connection or {}).get("nodes") or [])


# --- money ---------------------------------------------------------------------------------------


class Money:
    """An order's two currencies: every MoneyBag read into (shop minor units, presentment minor units)."""

    def __init__(self, order: dict[str, Any]) -> None:
        self.shop = str(order["currencyCode"]).upper()
        self.presentment = str(order.get("presentmentCurrencyCode") or self.shop).upper()

    def pair(self, bag: Any) -> tuple[int, int]:
        if bag is None:
            return 0, 0
        shop, presentment = _amounts(bag)
        return to_minor(shop, self.shop), to_minor(presentment, self.presentment)

    def rate(self, *bags: Any) -> Decimal | None:
        """Shop units per presentment unit, from the first bag with both amounts above zero."""
        if self.shop == self.presentment:
            return None
        for bag in bags:
            shop, presentment = _amounts(bag) if bag is not None else (Decimal(0), Decimal(0))
            if shop > 0 and presentment > 0:
                return shop / presentment
        return None


def _amounts(bag: dict[str, Any]) -> tuple[Decimal, Decimal]:
    return parse_decimal(bag["shopMoney"]["amount"]), parse_decimal(bag["presentmentMoney"]["amount"])


def _plus(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    return a[0] + b[0], a[1] + b[1]


def _minus(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    return a[0] - b[0], a[1] - b[1]


def _tax_lines(lines: Any, money: Money, includes_tax: bool) -> tuple[rec.TaxLine, ...]:
    taxes = []
    for tax in lines or []:
        shop, pres = money.pair(tax["priceSet"])
        rate = tax.get("rate")
        taxes.append(
            rec.TaxLine(
                title=_text(tax.get("title")) or "Tax",
                rate=None if rate is None else parse_decimal(rate),
                amount=shop,
                presentment_amount=pres,
                price_includes_tax=includes_tax,
            )
        )
    return tuple(taxes)


# --- orders --------------------------------------------------------------------------------------


def _address(a: Any) -> rec.Address | None:
    if not a or not any(a.get(k) for k in ("address1", "city", "firstName", "lastName")):
        return None
    name = _text(a.get("name")) or " ".join(p for p in (_text(a.get("firstName")), _text(a.get("lastName"))) if p)
    return rec.Address(
        name=name or None,
        company=_text(a.get("company")),
        line1=_text(a.get("address1")),
        line2=_text(a.get("address2")),
        city=_text(a.get("city")),
        region=_text(a.get("province")),
        region_code=_text(a.get("provinceCode")),
        postal_code=_text(a.get("zip")),
        country_code=_text(a.get("countryCodeV2")),
        phone=_text(a.get("phone")),
    )


def _line(line: dict[str, Any], money: Money, includes_tax: bool) -> rec.OrderLine:
    quantity = line["quantity"]
    if not isinstance(quantity, int) or isinstance(quantity, bool):
        raise ValueError(f"line {line.get('id')}: quantity {quantity!r} is not a whole number")
    unit_shop, unit_pres = money.pair(line["originalUnitPriceSet"])
    disc_shop, disc_pres = money.pair(line.get("totalDiscountSet"))
    return rec.OrderLine(
        external_id=numeric_id(line["id"]),
        sku=_text(line.get("sku")),
        title=_text(line.get("title")) or "",
        variant_title=_text(line.get("variantTitle")),
        variant_external_id=ref_id(line.get("variant")),
        product_external_id=ref_id(line.get("product")),
        quantity=quantity,
        unit_price=unit_shop,
        unit_price_presentment=unit_pres,
        discount=disc_shop,
        discount_presentment=disc_pres,
        taxable=bool(line.get("taxable", True)),
        requires_shipping=bool(line.get("requiresShipping", True)),
        tax_lines=_tax_lines(line.get("taxLines"), money, includes_tax),
    )


def _shipping_line(line: dict[str, Any], money: Money, includes_tax: bool) -> rec.ShippingLine:
    original = money.pair(line["originalPriceSet"])
    discounted = money.pair(line.get("discountedPriceSet") or line["originalPriceSet"])
    discount = _minus(original, discounted)
    return rec.ShippingLine(
        title=_text(line.get("title")) or "Shipping",
        code=_text(line.get("code")),
        carrier=_text(line.get("carrierIdentifier")),
        amount=original[0],
        presentment_amount=original[1],
        discount=discount[0],
        discount_presentment=discount[1],
        tax_lines=_tax_lines(line.get("taxLines"), money, includes_tax),
    )


def _discounts(order: dict[str, Any], money: Money) -> list[rec.Discount]:
    """The order's (cart) discount and the lines' discounts; the code(s) go with the cart part when
    there is one, else with the lines' part. A cart discount without a code was the merchant's."""
    cart = money.pair(order.get("cartDiscountAmountSet"))
    lines = _minus(money.pair(order.get("totalDiscountsSet")), cart)
    codes = ", ".join(str(c) for c in order.get("discountCodes") or []) or None
    coded = "cart" if any(cart) else "lines"
    found = []
    for part, title, (shop, pres), kind in (
        ("cart", "Order discount", cart, "manual"),
        ("lines", "Line item discounts", lines, "automatic"),
    ):
        if not (shop or pres):
            continue
        is_code = codes is not None and part == coded
        found.append(
            rec.Discount(
                kind="code" if is_code else kind,
                code=codes if is_code else None,
                title=title,
                amount=shop,
                presentment_amount=pres,
            )
        )
    return found


def _refund(refund: dict[str, Any], money: Money) -> rec.Refund:
    amount = money.pair(refund["totalRefundedSet"])
    lines = []
    for item in _nodes(refund.get("refundLineItems")):
        line_shop, line_pres = money.pair(item["subtotalSet"])
        tax_shop, tax_pres = money.pair(item.get("totalTaxSet"))
        lines.append(
            rec.RefundLine(
                line_external_id=ref_id(item.get("lineItem")),
                quantity=int(item["quantity"]),
                amount=line_shop,
                presentment_amount=line_pres,
                tax_amount=tax_shop,
                tax_presentment_amount=tax_pres,
                restock_type=str(item["restockType"]).lower() if item.get("restockType") else None,
            )
        )
    shipping, shipping_tax = (0, 0), (0, 0)
    for line in _nodes(refund.get("refundShippingLines")):
        shipping = _plus(shipping, money.pair(line["subtotalAmountSet"]))
        shipping_tax = _plus(shipping_tax, money.pair(line.get("taxAmountSet")))
    return rec.Refund(
        external_id=numeric_id(refund["id"]),
        processed_at=utc_time(refund.get("processedAt") or refund.get("createdAt")),
        note=_text(refund.get("note")),
        amount=amount[0],
        presentment_amount=amount[1],
        shipping_amount=shipping[0],
        shipping_presentment_amount=shipping[1],
        shipping_tax_amount=shipping_tax[0],
        shipping_tax_presentment_amount=shipping_tax[1],
        lines=tuple(lines),
    )


def _status(order: dict[str, Any]) -> str:
    if order.get("cancelledAt"):
        return "cancelled"
    return "closed" if order.get("closedAt") else "open"


def _headline(order: dict[str, Any], money: Money) -> dict[str, tuple[int, int]]:
    """The order's totals in both currencies; the subtotal before discounts (see the module's notes)."""
    discount = money.pair(order.get("totalDiscountsSet"))
    return {
        "subtotal": _plus(money.pair(order.get("subtotalPriceSet")), discount),
        "discount": discount,
        "shipping": money.pair(order.get("totalShippingPriceSet")),
        "tax": money.pair(order.get("totalTaxSet")),
        "total": money.pair(order["totalPriceSet"]),
    }


def order_own_data(order: dict[str, Any]) -> dict[str, Any]:
    """The order without what belongs to its customer: an embedded customer counts by its id alone (its
    name, tags, marketing state… change on the customer, which the customers stream reads)."""
    customer = order.get("customer")
    if not isinstance(customer, dict):
        return order
    return {**order, "customer": {"id": customer.get("id")}}


def map_order(order: dict[str, Any]) -> rec.Order:
    """An order with every line and shipping line (`{nodes}`), and its refunds in full."""
    money = Money(order)
    includes_tax = bool(order.get("taxesIncluded"))
    amounts = _headline(order, money)
    customer = map_customer(order["customer"]) if order.get("customer") else None
    cancel_reason = order.get("cancelReason")
    return rec.Order(
        external_id=numeric_id(order["id"]),
        number=_text(order.get("name")),
        customer_external_id=customer.external_id if customer else None,
        customer=customer,
        email=_text(order.get("email")),
        status=_status(order),
        financial_status=FINANCIAL_STATUS.get(str(order.get("displayFinancialStatus"))),
        fulfillment_status=FULFILLMENT_STATUS.get(str(order.get("displayFulfillmentStatus"))),
        currency=money.shop,
        presentment_currency=money.presentment,
        exchange_rate=money.rate(order["totalPriceSet"], order.get("subtotalPriceSet")),
        taxes_included=includes_tax,
        **{name: pair[0] for name, pair in amounts.items()},
        **{f"{name}_presentment": pair[1] for name, pair in amounts.items()},
        placed_at=utc_time(order.get("processedAt") or order.get("createdAt")),
        updated_at=required_time(order.get("updatedAt")),
        closed_at=utc_time(order.get("closedAt")),
        cancelled_at=utc_time(order.get("cancelledAt")),
        cancel_reason=str(cancel_reason).lower() if cancel_reason else None,
        note=_text(order.get("note")),
        tags=tuple(str(t) for t in order.get("tags") or ()),
        billing_address=_address(order.get("billingAddress")),
        shipping_address=_address(order.get("shippingAddress")),
        lines=tuple(_line(line, money, includes_tax) for line in _nodes(order.get("lineItems"))),
        shipping_lines=tuple(_shipping_line(s, money, includes_tax) for s in _nodes(order.get("shippingLines"))),
        discounts=tuple(_discounts(order, money)),
        refunds=tuple(_refund(r, money) for r in order.get("refunds") or []),
        attributes={
            k: order[k] for k in ("displayFinancialStatus", "displayFulfillmentStatus") if order.get(k) is not None
        },
    )


# --- customers, catalogue, locations, stock ----------------------------------------------------------


def map_customer(customer: dict[str, Any]) -> rec.Customer:
    email = customer.get("defaultEmailAddress") or {}
    phone = customer.get("defaultPhoneNumber") or {}
    return rec.Customer(
        external_id=numeric_id(customer["id"]),
        email=_text(email.get("emailAddress")),
        first_name=_text(customer.get("firstName")),
        last_name=_text(customer.get("lastName")),
        company=_text((customer.get("defaultAddress") or {}).get("company")),
        phone=_text(phone.get("phoneNumber")),
        accepts_marketing=email.get("marketingState") == "SUBSCRIBED",
        tax_exempt=bool(customer.get("taxExempt")),
        note=_text(customer.get("note")),
        tags=tuple(str(t) for t in customer.get("tags") or ()),
        updated_at=utc_time(customer.get("updatedAt")),
    )


def _grams(measurement: Any) -> int | None:
    weight = (measurement or {}).get("weight")
    if not weight or weight.get("value") is None:
        return None
    grams = parse_decimal(weight["value"]) * GRAMS_PER_UNIT[str(weight["unit"])]
    return int(grams.to_integral_value(rounding=ROUND_HALF_EVEN))


def _price(value: Any, currency: str) -> int | None:
    return None if value in (None, "") else to_minor(value, currency)


def _variant(variant: dict[str, Any], currency: str) -> rec.Variant:
    item = variant.get("inventoryItem") or {}
    options = {str(o["name"]): str(o["value"]) for o in variant.get("selectedOptions") or []}
    return rec.Variant(
        external_id=numeric_id(variant["id"]),
        sku=_text(variant.get("sku")),
        barcode=_text(variant.get("barcode")),
        title=_text(variant.get("title")),
        options=options,
        currency=currency,
        price=_price(variant.get("price"), currency),
        compare_at_price=_price(variant.get("compareAtPrice"), currency),
        cost=_price((item.get("unitCost") or {}).get("amount"), currency),
        taxable=bool(variant.get("taxable", True)),
        requires_shipping=bool(item.get("requiresShipping", True)),
        weight_grams=_grams(item.get("measurement")),
        position=max(0, int(variant.get("position") or 1) - 1),
        inventory_item_external_id=numeric_id(item["id"]) if item.get("id") else None,
    )


def map_product(product: dict[str, Any]) -> rec.Product:
    """A product with every variant (`{nodes}`) and `_currency`, the shop's (its prices are in it)."""
    currency = str(product["_currency"]).upper()
    return rec.Product(
        external_id=numeric_id(product["id"]),
        title=_text(product.get("title")) or f"Product {numeric_id(product['id'])}",
        handle=_text(product.get("handle")),
        description=_text(product.get("descriptionHtml")),
        vendor=_text(product.get("vendor")),
        product_type=_text(product.get("productType")),
        status=PRODUCT_STATUS.get(str(product.get("status")), "active"),
        tags=tuple(str(t) for t in product.get("tags") or ()),
        updated_at=utc_time(product.get("updatedAt")),
        variants=tuple(_variant(v, currency) for v in _nodes(product.get("variants"))),
    )


def map_location(location: dict[str, Any]) -> rec.Location:
    return rec.Location(
        external_id=numeric_id(location["id"]),
        name=_text(location.get("name")) or f"Location {numeric_id(location['id'])}",
        kind="fulfillment_service" if location.get("isFulfillmentService") else "warehouse",
        active=bool(location.get("isActive", True)),
        country_code=_text((location.get("address") or {}).get("countryCode")),
        updated_at=utc_time(location.get("updatedAt")),
    )


def stock_rows(variant: dict[str, Any]) -> list[dict[str, Any]]:
    """A variant with its inventory item's levels -> one row per location, keyed `variant@location`.
    An item Shopify does not track has no quantities to sync."""
    item = variant.get("inventoryItem") or {}
    if not item.get("tracked", True):
        return []
    variant_id = numeric_id(variant["id"])
    rows = []
    for level in _nodes(item.get("inventoryLevels")):
        key = f"{variant_id}@{numeric_id(level['location']['id'])}"
        rows.append({**level, "_variant": variant_id, "_sku": variant.get("sku"), "_key": key})
    return rows


def map_stock(row: dict[str, Any]) -> rec.InventoryLevel:
    quantities = {q["name"]: q["quantity"] for q in row.get("quantities") or []}
    on_hand, available = quantities["on_hand"], quantities["available"]
    for name, value in (("on_hand", on_hand), ("available", available)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"{name} {value!r} is not a whole number")
    return rec.InventoryLevel(
        variant_external_id=row["_variant"],
        sku=_text(row.get("_sku")),
        location_external_id=numeric_id(row["location"]["id"]),
        on_hand=on_hand,
        reserved=on_hand - available,
        updated_at=utc_time(row.get("updatedAt")),
    )
