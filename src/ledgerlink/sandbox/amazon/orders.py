"""The seller's Amazon orders: about 30 % of the shared dataset's orders, each placed on one of the
marketplaces in its currency, rendered as the Orders API v0 renders an Order and its OrderItems.

An order is worked out from the dataset order on every request (so a touched order answers with its
new state). Money is exact Decimal in the marketplace's currency; every item carries its price for the
quantity ordered (`ItemPrice` is unit price times quantity, as on Amazon) and the tax on it. Pending
orders have no money yet: Amazon states neither `OrderTotal` nor item prices until payment is authorised.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from ledgerlink.sandbox.amazon import ids
from ledgerlink.sandbox.amazon.marketplaces import Marketplace, pick
from ledgerlink.sandbox.dataset import Order, Store, money

AMAZON_SHARE = 0.3
PROMOTION_RATE = Decimal("0.10")


@dataclass(frozen=True)
class Item:
    order_item_id: str
    line_id: int
    asin: str
    sku: str
    title: str
    quantity: int
    shipped: int
    price: Decimal  # for the quantity ordered
    tax: Decimal
    promotion: Decimal
    promotion_tax: Decimal
    promotion_id: str | None
    shipping: Decimal
    shipping_tax: Decimal


@dataclass(frozen=True)
class AmazonOrder:
    id: str
    index: int
    source: Order
    marketplace: Marketplace
    channel: str  # AFN | MFN
    items: tuple[Item, ...]

    @property
    def status(self) -> str:
        o = self.source
        if o.cancelled_at:
            return "Canceled"
        if o.financial_status == "pending":
            return "Pending"
        return {"unfulfilled": "Unshipped", "partial": "PartiallyShipped"}.get(o.fulfillment_status, "Shipped")

    @property
    def purchased_at(self) -> datetime:
        return self.source.created_at

    @property
    def updated_at(self) -> datetime:
        return self.source.updated_at

    @property
    def priced(self) -> bool:
        return self.status != "Pending"

    @property
    def total(self) -> Decimal:
        if self.marketplace.tax_included:
            return sum((i.price + i.shipping - i.promotion for i in self.items), Decimal(0))
        return sum(
            (i.price + i.tax + i.shipping + i.shipping_tax - i.promotion - i.promotion_tax for i in self.items),
            Decimal(0),
        )

    def amount(self, value: Decimal) -> str:
        return f"{money(value, self.marketplace.decimals):f}"


def is_amazon(seed: int, index: int) -> bool:
    return random.Random(f"{seed}:amazon:{index}").random() < AMAZON_SHARE


def amazon_order(store: Store, index: int) -> AmazonOrder | None:
    """Dataset order `index` as the Amazon order it is, or None when it was not sold on Amazon."""
    if not is_amazon(store.seed, index):
        return None
    rnd = random.Random(f"{store.seed}:amazon-order:{index}")
    marketplace = pick(rnd.random())
    order = store.order(index)
    items = tuple(_item(store, order, marketplace, n) for n in range(len(order.lines)))
    channel = "AFN" if rnd.random() < 0.6 else "MFN"
    return AmazonOrder(ids.order_id(store.seed, index, marketplace), index, order, marketplace, channel, items)


def _taxed(amount: Decimal, m: Marketplace) -> Decimal:
    """The tax on `amount`, or in it where prices include tax."""
    if m.tax_included:
        return money(amount - amount / (1 + m.tax_rate), m.decimals)
    return money(amount * m.tax_rate, m.decimals)


def _item(store: Store, order: Order, m: Marketplace, n: int) -> Item:
    line = order.lines[n]
    unit = money(line.price * m.usd_rate, m.decimals)
    price = unit * line.quantity
    promotion = money(price * PROMOTION_RATE, m.decimals) if line.total_discount else Decimal(0)
    shipping = money(order.shipping_price * m.usd_rate, m.decimals) if n == 0 else Decimal(0)
    return Item(
        order_item_id=ids.order_item_id(line.id),
        line_id=line.id,
        asin=ids.asin(store.seed, line.product_id),
        sku=line.sku,
        title=f"{line.title} ({line.variant_title})",
        quantity=line.quantity,
        shipped=line.fulfilled_quantity,
        price=price,
        tax=_taxed(price, m),
        promotion=promotion,
        promotion_tax=_taxed(promotion, m),
        promotion_id=ids.promotion_id(store.seed, line.id) if promotion else None,
        shipping=shipping,
        shipping_tax=_taxed(shipping, m),
    )


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _money(order: AmazonOrder, value: Decimal, broken: bool = False) -> dict[str, str]:
    amount = order.amount(value)
    return {"CurrencyCode": order.marketplace.currency, "Amount": amount.replace(".", ",") if broken else amount}


def render_order(order: AmazonOrder, *, malformed: bool = False) -> dict[str, Any]:
    """An Orders API v0 `Order`. A malformed one (the dataset's bad records) states its total with a
    decimal comma, a string the description allows and no parser should take for money."""
    o, m = order.source, order.marketplace
    shipped = sum(i.shipped for i in order.items)
    body: dict[str, Any] = {
        "AmazonOrderId": order.id,
        "PurchaseDate": iso(order.purchased_at),
        "LastUpdateDate": iso(order.updated_at),
        "OrderStatus": order.status,
        "FulfillmentChannel": order.channel,
        "SalesChannel": m.name,
        "ShipServiceLevel": "Std US D2D Dom" if m.country == "US" else "Std Domestic",
        "NumberOfItemsShipped": shipped,
        "NumberOfItemsUnshipped": sum(i.quantity for i in order.items) - shipped,
        "PaymentMethod": "Other",
        "PaymentMethodDetails": ["Standard"],
        "MarketplaceId": m.id,
        "ShipmentServiceLevelCategory": "Standard",
        "OrderType": "StandardOrder",
        "EarliestShipDate": iso(order.purchased_at),
        "LatestShipDate": iso(order.purchased_at.replace(hour=23, minute=59, second=59)),
        "IsBusinessOrder": False,
        "IsPrime": order.channel == "AFN",
        "IsPremiumOrder": False,
        "IsGlobalExpressEnabled": False,
        "IsReplacementOrder": False,
        "IsSoldByAB": False,
        "IsISPU": False,
        "IsAccessPointOrder": False,
        "HasRegulatedItems": False,
        "ShippingAddress": {
            "City": o.shipping.city,
            "StateOrRegion": o.shipping.region,
            "PostalCode": o.shipping.postal_code,
            "CountryCode": o.shipping.country_code,
        },
        "BuyerInfo": {"BuyerEmail": f"{ids.secret(order.index, 'buyer', 16)}@marketplace.amazon.com"},
    }
    if order.priced:
        body["OrderTotal"] = _money(order, order.total, broken=malformed)
    if o.cancelled_at is None and order.status == "Unshipped":
        body["EarliestDeliveryDate"] = iso(order.purchased_at)
    return body


def render_item(order: AmazonOrder, item: Item) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ASIN": item.asin,
        "SellerSKU": item.sku,
        "OrderItemId": item.order_item_id,
        "Title": item.title,
        "QuantityOrdered": item.quantity,
        "QuantityShipped": item.shipped,
        "ProductInfo": {"NumberOfItems": "1"},
        "IsGift": "false",
        "ConditionId": "New",
        "ConditionSubtypeId": "New",
        "IsTransparency": False,
        "SerialNumberRequired": False,
        "PromotionIds": [item.promotion_id] if item.promotion_id else [],
    }
    if order.priced:
        body |= {
            "ItemPrice": _money(order, item.price),
            "ItemTax": _money(order, item.tax),
            "ShippingPrice": _money(order, item.shipping),
            "ShippingTax": _money(order, item.shipping_tax),
            "ShippingDiscount": _money(order, Decimal(0)),
            "ShippingDiscountTax": _money(order, Decimal(0)),
            "PromotionDiscount": _money(order, item.promotion),
            "PromotionDiscountTax": _money(order, item.promotion_tax),
        }
    if not order.marketplace.tax_included:
        body["TaxCollection"] = {"Model": "MarketplaceFacilitator", "ResponsibleParty": "Amazon Services, Inc."}
    return body
