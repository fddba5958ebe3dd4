"""The seller's financial events (Finances API v0): what Amazon charged and paid for each order.

Made once from the dataset: a ShipmentEvent a day after each shipped order, with each shipped item's
charges (Principal, Tax and, where Amazon collects it, the MarketplaceFacilitatorTax it withholds),
its promotions, and Amazon's fees on it (the Commission, and the FBAPerUnitFulfillmentFee for orders
Amazon fulfilled); a RefundEvent for each refund of a shipped item (the charges reversed, the commission
credited back less a RefundCommission); and a ServiceFeeEvent for each month's subscription and FBA
storage fees (which, as on Amazon, state no PostedDate: only the PostedAfter/PostedBefore filter places
them). Listed oldest first and paged by position (events never change once posted).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from ledgerlink.sandbox.amazon.marketplaces import HOME, Marketplace
from ledgerlink.sandbox.amazon.orders import AmazonOrder, Item, amazon_order, is_amazon, iso
from ledgerlink.sandbox.dataset import Store, money

COMMISSION_RATE = Decimal("0.15")
MIN_COMMISSION_USD = Decimal("0.30")
FBA_FEE_USD = Decimal("3.22")
REFUND_COMMISSION_RATE = Decimal("0.20")
MAX_REFUND_COMMISSION_USD = Decimal("5.00")
SUBSCRIPTION_USD = Decimal("39.99")
LISTS = ("ShipmentEventList", "RefundEventList", "ServiceFeeEventList")


@dataclass(frozen=True)
class Event:
    list: str  # the FinancialEvents list it belongs to
    posted: datetime
    key: str  # ties at one instant, in a stable order
    body: dict[str, Any]
    currency: str  # every amount in it is in this currency (one marketplace's, or the home one's)

    @property
    def total(self) -> Decimal:
        """What it did to the seller's balance: every amount in it (charges, promotions, fees), signed."""
        return _moved(self.body)


def _moved(node: Any) -> Decimal:
    if isinstance(node, dict):
        if "CurrencyAmount" in node:
            return Decimal(str(node["CurrencyAmount"]))
        return sum((_moved(v) for v in node.values()), Decimal(0))
    if isinstance(node, list):
        return sum((_moved(v) for v in node), Decimal(0))
    return Decimal(0)


def _amount(m: Marketplace, value: Decimal) -> dict[str, Any]:
    """A `Currency`: the amount is a JSON number (BigDecimal), as Amazon sends it."""
    amount = money(value, m.decimals)
    return {"CurrencyCode": m.currency, "CurrencyAmount": int(amount) if m.decimals == 0 else float(amount)}


def _charge(m: Marketplace, kind: str, value: Decimal) -> dict[str, Any]:
    return {"ChargeType": kind, "ChargeAmount": _amount(m, value)}


def _fee(m: Marketplace, kind: str, value: Decimal) -> dict[str, Any]:
    return {"FeeType": kind, "FeeAmount": _amount(m, value)}


def commission(m: Marketplace, item: Item) -> Decimal:
    base = (item.price - item.promotion + item.shipping) * COMMISSION_RATE
    return max(money(base, m.decimals), money(MIN_COMMISSION_USD * m.usd_rate, m.decimals))


def fba_fee(m: Marketplace, item: Item) -> Decimal:
    return money(FBA_FEE_USD * m.usd_rate * item.quantity, m.decimals)


def _shipment_item(order: AmazonOrder, item: Item) -> dict[str, Any]:
    m = order.marketplace
    charges = [_charge(m, "Principal", item.price)]
    if not m.tax_included:  # collected on top, and withheld again by Amazon as marketplace facilitator
        charges += [_charge(m, "Tax", item.tax), _charge(m, "MarketplaceFacilitatorTax-Principal", -item.tax)]
    if item.shipping:
        charges.append(_charge(m, "ShippingCharge", item.shipping))
        if not m.tax_included:
            charges.append(_charge(m, "ShippingTax", item.shipping_tax))
    fees = [_fee(m, "Commission", -commission(m, item))]
    if order.channel == "AFN":
        fees.append(_fee(m, "FBAPerUnitFulfillmentFee", -fba_fee(m, item)))
    body: dict[str, Any] = {
        "SellerSKU": item.sku,
        "OrderItemId": item.order_item_id,
        "QuantityShipped": item.quantity,
        "ItemChargeList": charges,
        "ItemFeeList": fees,
    }
    if item.promotion:
        body["PromotionList"] = [
            {
                "PromotionType": "PromotionMetaDataDefinitionValue",
                "PromotionId": item.promotion_id,
                "PromotionAmount": _amount(m, -item.promotion),
            }
        ]
    return body


def _shipment(order: AmazonOrder) -> Event | None:
    shipped = [i for i in order.items if i.shipped == i.quantity and i.quantity]
    if order.status not in ("Shipped", "PartiallyShipped") or not shipped:
        return None
    posted = order.purchased_at + timedelta(days=1)
    body = {
        "AmazonOrderId": order.id,
        "MarketplaceName": order.marketplace.name,
        "PostedDate": iso(posted),
        "ShipmentItemList": [_shipment_item(order, item) for item in shipped],
    }
    return Event("ShipmentEventList", posted, f"{order.id}:shipment", body, order.marketplace.currency)


def _refunds(order: AmazonOrder) -> list[Event]:
    m, events = order.marketplace, []
    shipped = {i.line_id: i for i in order.items if i.shipped == i.quantity and i.quantity}
    for refund in order.source.refunds:
        adjustments = []
        for line in refund.lines:
            item = shipped.get(line.line_item_id)
            if item is None:
                continue  # nothing was charged for an item that never shipped
            share = Decimal(line.quantity) / item.quantity
            principal = money(item.price * share, m.decimals)
            credited = money(commission(m, item) * share, m.decimals)
            kept = min(
                money(credited * REFUND_COMMISSION_RATE, m.decimals),
                money(MAX_REFUND_COMMISSION_USD * m.usd_rate, m.decimals),
            )
            charges = [_charge(m, "Principal", -principal)]
            if not m.tax_included:
                tax = money(item.tax * share, m.decimals)
                charges += [_charge(m, "Tax", -tax), _charge(m, "MarketplaceFacilitatorTax-Principal", tax)]
            adjustments.append(
                {
                    "SellerSKU": item.sku,
                    "OrderAdjustmentItemId": f"{item.order_item_id[:-2]}{refund.id % 100:02d}",
                    "QuantityShipped": line.quantity,
                    "ItemChargeAdjustmentList": charges,
                    "ItemFeeAdjustmentList": [_fee(m, "Commission", credited), _fee(m, "RefundCommission", -kept)],
                }
            )
        if adjustments:
            body = {
                "AmazonOrderId": order.id,
                "MarketplaceName": m.name,
                "PostedDate": iso(refund.created_at),
                "ShipmentItemAdjustmentList": adjustments,
            }
            events.append(
                Event("RefundEventList", refund.created_at, f"{order.id}:refund:{refund.id}", body, m.currency)
            )
    return events


def _service_fees(first: datetime, last: datetime, seed: int) -> list[Event]:
    """Each month's subscription and FBA storage fee, billed in the home marketplace's currency."""
    events, month = [], datetime(first.year, first.month, 1, 8, tzinfo=UTC)
    while month <= last:
        storage = money(Decimal(12 + (month.month * 7 + seed) % 30) + Decimal("0.45"))
        for day, kind, reason, amount in (
            (0, "Subscription", "Subscription Fee", SUBSCRIPTION_USD),
            (6, "FBAStorageFee", "FBA Inventory Storage Fee", storage),
        ):
            posted = month + timedelta(days=day)
            body = {
                "FeeReason": reason,
                "FeeDescription": f"{reason} {month:%Y-%m}",
                "FeeList": [_fee(HOME, kind, -amount)],
            }
            events.append(Event("ServiceFeeEventList", posted, f"service:{month:%Y-%m}:{kind}", body, HOME.currency))
        month = (month + timedelta(days=32)).replace(day=1)
    return events


def build(store: Store) -> list[Event]:
    events: list[Event] = []
    for index in range(store.orders_count):
        if not is_amazon(store.seed, index):
            continue
        order = amazon_order(store, index)
        assert order is not None
        shipment = _shipment(order)
        if shipment is not None:
            events.append(shipment)
            events += _refunds(order)
    if store.orders_count:
        events += _service_fees(store.start, store.order_created_at(store.orders_count - 1), store.seed)
    events.sort(key=lambda e: (e.posted, e.key))
    return events


def render_page(events: list[Event]) -> dict[str, list[dict[str, Any]]]:
    """One page's events, each in its list (every list present, empty or not, as Amazon answers)."""
    grouped: dict[str, list[dict[str, Any]]] = {name: [] for name in LISTS}
    for event in events:
        grouped[event.list].append(event.body)
    return grouped
