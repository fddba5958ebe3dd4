"""Amazon orders (Orders API v0, each with its items from getOrderItems) -> canonical orders.

An order's money is on its items: `ItemPrice` is the price for the whole quantity, `ItemTax` the tax
on it, `PromotionDiscount` what promotions took off it (with its tax share `PromotionDiscountTax`),
`ShippingPrice`/`ShippingTax`/`ShippingDiscount` the same for its shipping. Where prices include VAT
(Europe, Japan, …) `ItemTax` is the part of `ItemPrice` that is tax; in the US and Canada it comes on
top. `OrderTotal` is what the buyer paid. One currency, the marketplace's, so shop and presentment
amounts are the same. Pending orders carry no money yet (Amazon states none until payment is authorised).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from ledgerlink.canonical import records as rec
from ledgerlink.canonical.money import to_minor
from ledgerlink.connectors.framework.parsing import required_time, utc_time

# (status, financial status, fulfillment status) of each OrderStatus.
STATUS: Mapping[str, tuple[rec.OrderStatus, rec.FinancialStatus, rec.FulfillmentStatus]] = {
    "PendingAvailability": ("open", "pending", "unfulfilled"),
    "Pending": ("open", "pending", "unfulfilled"),
    "Unshipped": ("open", "authorized", "unfulfilled"),
    "PartiallyShipped": ("open", "partially_paid", "partial"),
    "Shipped": ("closed", "paid", "fulfilled"),
    "InvoiceUnconfirmed": ("closed", "paid", "fulfilled"),
    "Canceled": ("cancelled", "voided", "unfulfilled"),
    "Unfulfillable": ("cancelled", "voided", "unfulfilled"),
}
# marketplace -> (currency, prices include tax)
MARKETPLACES: Mapping[str, tuple[str, bool]] = {
    "ATVPDKIKX0DER": ("USD", False),
    "A2EUQ1WTGCTBG2": ("CAD", False),
    "A1AM78C64UM0Y8": ("MXN", True),
    "A2Q3Y263D00KWC": ("BRL", True),
    "A1F83G8C2ARO7P": ("GBP", True),
    "A28R8C7NBKEWEA": ("EUR", True),
    "A1PA6795UKMFR9": ("EUR", True),
    "A13V1IB3VIYZZH": ("EUR", True),
    "APJ6JRA9NG5V4": ("EUR", True),
    "A1RKKUPIHCS9HS": ("EUR", True),
    "A1805IZSGTT6HS": ("EUR", True),
    "AMEN7PMS3EDWL": ("EUR", True),
    "A2NODRKZP88ZB9": ("SEK", True),
    "A1C3SOZRARQ6R3": ("PLN", True),
    "A33AVAJ2PDY3EV": ("TRY", True),
    "A2VIGQ35RCS4UG": ("AED", True),
    "A17E79C6D8DWNP": ("SAR", True),
    "ARBP9OOSHTCHU": ("EGP", True),
    "A21TJRUUN4KGV": ("INR", True),
    "A1VC38T7YXB528": ("JPY", True),
    "A39IBJ37TRP1C6": ("AUD", True),
    "A19VAU5U5O7RUS": ("SGD", True),
}
ITEM_AMOUNTS = (
    "ItemPrice", "ItemTax", "PromotionDiscount", "PromotionDiscountTax",
    "ShippingPrice", "ShippingTax", "ShippingDiscount", "ShippingDiscountTax",
)  # fmt: skip


class _Money:
    """Amounts of one order: its currency, and each Money in minor units (checked to be in it)."""

    def __init__(self, currency: str) -> None:
        self.currency = currency

    def __call__(self, value: Any) -> int:
        if value is None:
            return 0
        code = str(value.get("CurrencyCode") or self.currency).upper()
        if code != self.currency:
            raise ValueError(f"an amount in {code} on an order in {self.currency}")
        return to_minor(value["Amount"], self.currency, exact=True)


def _currency(order: Mapping[str, Any], items: list[Mapping[str, Any]]) -> str:
    stated = [order.get("OrderTotal")] + [item.get(f) for item in items for f in ITEM_AMOUNTS]
    found = {str(m["CurrencyCode"]).upper() for m in stated if isinstance(m, Mapping) and m.get("CurrencyCode")}
    if len(found) > 1:
        raise ValueError(f"amounts in several currencies: {', '.join(sorted(found))}")
    if found:
        return found.pop()
    known = MARKETPLACES.get(str(order.get("MarketplaceId")))
    if known is None:
        raise ValueError(f"no amounts, and no known currency for marketplace {order.get('MarketplaceId')}")
    return known[0]


def _address(a: Mapping[str, Any] | None) -> rec.Address | None:
    if not a:
        return None
    line1 = a.get("AddressLine1") or None
    return rec.Address(
        name=a.get("Name") or None,
        company=a.get("CompanyName") or None,
        line1=line1,
        line2=" ".join(p for p in (a.get("AddressLine2"), a.get("AddressLine3")) if p) or None,
        city=a.get("City") or None,
        region=a.get("StateOrRegion") or None,
        postal_code=a.get("PostalCode") or None,
        country_code=a.get("CountryCode") or None,
        phone=a.get("Phone") or None,
    )


def _tax_included(marketplace: Any, total: int | None, before_tax: int) -> bool:
    """By the marketplace where it is known; elsewhere by the total: tax on top makes it larger."""
    known = MARKETPLACES.get(str(marketplace))
    if known is not None:
        return known[1]
    return total is not None and total == before_tax


def _unit(price: int, quantity: int) -> int:
    if quantity <= 0:
        return price
    return int((Decimal(price) / quantity).to_integral_value(rounding=ROUND_HALF_EVEN))


def _tax(amount: int, included: bool) -> tuple[rec.TaxLine, ...]:
    return (rec.TaxLine(title="Tax", amount=amount, presentment_amount=amount, price_includes_tax=included),)


def _line(item: Mapping[str, Any], money: _Money, included: bool) -> rec.OrderLine:
    quantity = item["QuantityOrdered"]
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
        raise ValueError(f"item {item.get('OrderItemId')}: QuantityOrdered {quantity!r} is not a count")
    price, promotion = money(item.get("ItemPrice")), money(item.get("PromotionDiscount"))
    tax = money(item.get("ItemTax")) - money(item.get("PromotionDiscountTax"))
    unit = _unit(price, quantity)
    attributes: dict[str, Any] = {"asin": item.get("ASIN"), "quantityShipped": item.get("QuantityShipped")}
    if unit * quantity != price:
        attributes["itemPrice"] = price  # the whole quantity's price, which no whole unit price multiplies to
    return rec.OrderLine(
        external_id=str(item["OrderItemId"]),
        sku=item.get("SellerSKU") or None,
        title=item.get("Title") or str(item.get("ASIN") or item["OrderItemId"]),
        product_external_id=item.get("ASIN") or None,
        quantity=quantity,
        unit_price=unit,
        unit_price_presentment=unit,
        discount=promotion,
        discount_presentment=promotion,
        tax_lines=_tax(tax, included) if tax else (),
        attributes=attributes,
    )


def _discounts(items: list[Mapping[str, Any]], money: _Money) -> tuple[rec.Discount, ...]:
    by_promotion: dict[str | None, int] = {}
    shipping = 0
    for item in items:
        promotion = money(item.get("PromotionDiscount"))
        if promotion:
            ids = item.get("PromotionIds") or [None]
            key = str(ids[0]) if ids[0] else None
            by_promotion[key] = by_promotion.get(key, 0) + promotion
        shipping += money(item.get("ShippingDiscount"))
    found = [
        rec.Discount(kind="automatic", code=code, title="Amazon promotion", amount=amount, presentment_amount=amount)
        for code, amount in by_promotion.items()
    ]
    if shipping:
        found.append(
            rec.Discount(
                kind="automatic",
                title="Amazon shipping promotion",
                target="shipping_lines",
                amount=shipping,
                presentment_amount=shipping,
            )
        )
    return tuple(found)


def map_order(order: Mapping[str, Any]) -> rec.Order:
    items: list[Mapping[str, Any]] = list(order.get("_items") or [])
    amazon_status = order["OrderStatus"]
    status, financial, fulfillment = STATUS[amazon_status]
    currency = _currency(order, items)
    money = _Money(currency)
    subtotal = sum(money(i.get("ItemPrice")) for i in items)
    discount = sum(money(i.get("PromotionDiscount")) + money(i.get("ShippingDiscount")) for i in items)
    shipping = sum(money(i.get("ShippingPrice")) for i in items)
    shipping_tax = sum(money(i.get("ShippingTax")) - money(i.get("ShippingDiscountTax")) for i in items)
    tax = sum(money(i.get("ItemTax")) - money(i.get("PromotionDiscountTax")) for i in items) + shipping_tax
    stated = money(order["OrderTotal"]) if order.get("OrderTotal") else None
    included = _tax_included(order.get("MarketplaceId"), stated, subtotal - discount + shipping)
    total = stated if stated is not None else subtotal - discount + shipping + (0 if included else tax)
    lines = tuple(_line(item, money, included) for item in items)
    shipping_lines: tuple[rec.ShippingLine, ...] = ()
    if shipping or shipping_tax:
        off = sum(money(i.get("ShippingDiscount")) for i in items)
        shipping_lines = (
            rec.ShippingLine(
                title=order.get("ShipServiceLevel") or order.get("ShipmentServiceLevelCategory") or "Shipping",
                code=order.get("ShipmentServiceLevelCategory"),
                amount=shipping,
                presentment_amount=shipping,
                discount=off,
                discount_presentment=off,
                tax_lines=_tax(shipping_tax, included) if shipping_tax else (),
            ),
        )
    updated = required_time(order["LastUpdateDate"])
    buyer = order.get("BuyerInfo") or {}
    return rec.Order(
        external_id=str(order["AmazonOrderId"]),
        number=str(order["AmazonOrderId"]),
        email=buyer.get("BuyerEmail") or None,
        status=status,
        financial_status=financial,
        fulfillment_status=fulfillment,
        currency=currency,
        presentment_currency=currency,
        taxes_included=included,
        subtotal=subtotal,
        subtotal_presentment=subtotal,
        discount=discount,
        discount_presentment=discount,
        shipping=shipping,
        shipping_presentment=shipping,
        tax=tax,
        tax_presentment=tax,
        total=total,
        total_presentment=total,
        placed_at=utc_time(order.get("PurchaseDate")),
        updated_at=updated,
        closed_at=updated if status == "closed" else None,
        cancelled_at=updated if status == "cancelled" else None,
        cancel_reason="canceled on Amazon" if amazon_status == "Canceled" else None,
        shipping_address=_address(order.get("ShippingAddress")),
        lines=lines,
        shipping_lines=shipping_lines,
        discounts=_discounts(items, money),
        attributes={
            "marketplaceId": order.get("MarketplaceId"),
            "salesChannel": order.get("SalesChannel"),
            "fulfillmentChannel": order.get("FulfillmentChannel"),
            "amazonStatus": amazon_status,
            "isPrime": order.get("IsPrime"),
            "isBusinessOrder": order.get("IsBusinessOrder"),
        },
    )
