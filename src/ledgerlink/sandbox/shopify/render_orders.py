"""Order and what hangs off it: LineItem, ShippingLine, Refund, RefundLineItem, RefundShippingLine,
Fulfillment.

Amounts follow Shopify's arithmetic: subtotal = line items - all discounts; total = subtotal + shipping
(+ tax unless prices include it). A refund's shipping is what it gave back for shipping, its tax included;
its RefundShippingLine splits that into the order's shipping tax share and a subtotal that includes the
tax exactly when the order's prices do (as refund lines' subtotals). A malformed order (when the fault
is on) carries an unparseable `totalPriceSet` amount, which the Decimal scalar lets through as Shopify's
own bad records do.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from ledgerlink.sandbox.dataset import LineItem, Order, Refund, money
from ledgerlink.sandbox.shopify.context import Ctx
from ledgerlink.sandbox.shopify.fields import FieldMap, WithArgs
from ledgerlink.sandbox.shopify.formats import gid, iso, money_str
from ledgerlink.sandbox.shopify.paging import ListSource, connection
from ledgerlink.sandbox.shopify.refs import (
    AddressRef,
    FulfillmentLineRef,
    FulfillmentRef,
    LineRef,
    RefundLineRef,
    RefundRef,
    RefundShippingRef,
    ShippingRef,
)
from ledgerlink.sandbox.shopify.render_common import money_bag, tax_line

FINANCIAL_STATUS = {
    "pending": "PENDING",
    "paid": "PAID",
    "partially_paid": "PARTIALLY_PAID",
    "partially_refunded": "PARTIALLY_REFUNDED",
    "refunded": "REFUNDED",
    "voided": "VOIDED",
    "authorized": "AUTHORIZED",
    "expired": "EXPIRED",
}
FULFILLMENT_STATUS = {"unfulfilled": "UNFULFILLED", "partial": "PARTIALLY_FULFILLED", "fulfilled": "FULFILLED"}
PAID = frozenset({"paid", "partially_refunded", "refunded"})
BROKEN_AMOUNTS = ("NaN", "", "1,234.56")  # what a malformed order's total reads as, chosen by its id
FULFILLMENT_ID_BASE = 4_000_000
ZERO = Decimal("0.00")


# --- amounts -------------------------------------------------------------------------------------


def line_items_total(o: Order) -> Decimal:
    return sum((line.price * line.quantity for line in o.lines), ZERO)


def total_discounts(o: Order) -> Decimal:
    return sum((line.total_discount for line in o.lines), ZERO) + o.discount_amount


def subtotal(o: Order) -> Decimal:
    return o.subtotal - o.discount_amount


def refunded_subtotal(o: Order) -> Decimal:
    return sum((rl.subtotal for r in o.refunds for rl in r.lines), ZERO)


def refunded_tax(o: Order) -> Decimal:
    return sum((rl.total_tax for r in o.refunds for rl in r.lines), ZERO)


def refunded_shipping(o: Order) -> Decimal:
    return sum((r.shipping for r in o.refunds), ZERO)


def received(o: Order) -> Decimal:
    return o.total if o.financial_status in PAID else ZERO


def refunded_quantity(o: Order, line: LineItem) -> int:
    return sum(rl.quantity for r in o.refunds for rl in r.lines if rl.line_item_id == line.id)


ORDER_AMOUNTS: dict[str, Callable[[Order], Decimal]] = {
    "subtotalPriceSet": subtotal,
    "currentSubtotalPriceSet": lambda o: subtotal(o) - refunded_subtotal(o),
    "totalPriceSet": lambda o: o.total,
    "originalTotalPriceSet": lambda o: o.total,
    "currentTotalPriceSet": lambda o: o.total - o.refunded,
    "totalTaxSet": lambda o: o.total_tax,
    "currentTotalTaxSet": lambda o: o.total_tax - refunded_tax(o),
    "totalShippingPriceSet": lambda o: o.shipping_price,
    "currentShippingPriceSet": lambda o: o.shipping_price - refunded_shipping(o),
    "totalDiscountsSet": total_discounts,
    "currentTotalDiscountsSet": total_discounts,
    "cartDiscountAmountSet": lambda o: o.discount_amount,
    "currentCartDiscountAmountSet": lambda o: o.discount_amount,
    "totalRefundedSet": lambda o: o.refunded,
    "totalRefundedShippingSet": refunded_shipping,
    "totalReceivedSet": received,
    "netPaymentSet": lambda o: received(o) - o.refunded,
    "totalOutstandingSet": lambda o: o.total if o.financial_status == "pending" else ZERO,
    "totalCapturableSet": lambda o: ZERO,
    "totalTipReceivedSet": lambda o: ZERO,
    "refundDiscrepancySet": lambda o: ZERO,
}


def _amount_field(amount: Callable[[Order], Decimal]) -> Callable[[Order, Ctx], dict[str, Any]]:
    return lambda o, _: money_bag(o, amount(o))


def _total_price_set(o: Order, ctx: Ctx) -> dict[str, Any]:
    bag = money_bag(o, o.total)
    if o.malformed and ctx.malformed:
        broken = BROKEN_AMOUNTS[o.id % len(BROKEN_AMOUNTS)]
        bag = {name: {**value, "amount": broken} for name, value in bag.items()}
    return bag


def order_tax_lines(o: Order, _ctx: Ctx | None = None) -> list[dict[str, Any]]:
    """Line taxes and the shipping tax, summed per (title, rate)."""
    totals: dict[tuple[str, Decimal], Decimal] = {}
    for line in o.lines:
        for tax in line.tax_lines:
            totals[(tax.title, tax.rate)] = totals.get((tax.title, tax.rate), ZERO) + tax.amount
    if o.shipping_tax and totals:
        first = next(iter(totals))
        totals[first] += o.shipping_tax
    return [tax_line(o, title, rate, amount) for (title, rate), amount in totals.items()]


def shipping_tax_lines(o: Order) -> list[dict[str, Any]]:
    if not o.shipping_tax or not o.lines or not o.lines[0].tax_lines:
        return []
    tax = o.lines[0].tax_lines[0]
    return [tax_line(o, tax.title, tax.rate, o.shipping_tax)]


# --- Order ---------------------------------------------------------------------------------------


def _by_id(item_id: int) -> tuple[int, int]:
    return item_id, item_id


def _line_items(o: Order, ctx: Ctx, args: dict[str, Any]) -> dict[str, Any]:
    refs = [LineRef(o, line) for line in o.lines]
    return connection(ListSource(refs, lambda r: _by_id(r.line.id)), args, ctx.bulk)


def _shipping_lines(o: Order, ctx: Ctx, args: dict[str, Any]) -> dict[str, Any]:
    refs = [ShippingRef(o)] if o.shipping_title else []
    return connection(ListSource(refs, lambda r: _by_id(r.order.id)), args, ctx.bulk)


def _refunds(o: Order, _ctx: Ctx, args: dict[str, Any]) -> list[RefundRef]:
    return [RefundRef(o, r) for r in o.refunds][: args.get("first")]


def _fulfillments(o: Order, _ctx: Ctx, args: dict[str, Any]) -> list[FulfillmentRef]:
    fulfilled = any(line.fulfilled_quantity for line in o.lines)
    return [FulfillmentRef(o)][: args.get("first")] if fulfilled else []


def _customer_accepts_marketing(o: Order, ctx: Ctx) -> bool:
    customer = ctx.state.customers.get(o.customer_id or 0)
    return bool(customer and customer.accepts_marketing)


ORDER: FieldMap = {
    "id": lambda o, _: gid("Order", o.id),
    "legacyResourceId": lambda o, _: str(o.id),
    "name": lambda o, _: f"#{o.number}",
    "number": lambda o, _: o.number,
    "confirmationNumber": lambda o, _: f"{o.id:X}"[-9:],
    "createdAt": lambda o, _: iso(o.created_at),
    "processedAt": lambda o, _: iso(o.created_at),
    "updatedAt": lambda o, _: iso(o.updated_at),
    "cancelledAt": lambda o, _: iso(o.cancelled_at),
    "cancelReason": lambda o, _: o.cancel_reason.upper() if o.cancel_reason else None,
    "closed": lambda o, _: o.status == "closed",
    "closedAt": lambda o, _: iso(o.updated_at) if o.status == "closed" else None,
    "email": lambda o, _: o.email,
    "currencyCode": lambda o, _: o.currency,
    "presentmentCurrencyCode": lambda o, _: o.presentment_currency,
    "taxesIncluded": lambda o, _: o.taxes_included,
    "displayFinancialStatus": lambda o, _: FINANCIAL_STATUS.get(o.financial_status, "PENDING"),
    "displayFulfillmentStatus": lambda o, _: FULFILLMENT_STATUS.get(o.fulfillment_status, "UNFULFILLED"),
    "fullyPaid": lambda o, _: o.financial_status in PAID,
    "unpaid": lambda o, _: o.financial_status == "pending",
    "canMarkAsPaid": lambda o, _: o.financial_status == "pending" and o.cancelled_at is None,
    "confirmed": lambda o, _: True,
    "fulfillable": lambda o, _: o.cancelled_at is None and o.fulfillment_status != "fulfilled",
    "refundable": lambda o, _: o.financial_status in PAID and o.financial_status != "refunded",
    "restockable": lambda o, _: o.cancelled_at is None,
    "requiresShipping": lambda o, _: True,
    "customer": lambda o, ctx: ctx.state.customers.get(o.customer_id) if o.customer_id else None,
    "customerAcceptsMarketing": _customer_accepts_marketing,
    "billingAddress": lambda o, _: AddressRef(o.billing, o.id * 2),
    "shippingAddress": lambda o, _: AddressRef(o.shipping, o.id * 2 + 1),
    "displayAddress": lambda o, _: AddressRef(o.billing, o.id * 2),
    "billingAddressMatchesShippingAddress": lambda o, _: o.billing == o.shipping,
    "lineItems": WithArgs(_line_items),
    "subtotalLineItemsQuantity": lambda o, _: sum(line.quantity for line in o.lines),
    "currentSubtotalLineItemsQuantity": lambda o, _: sum(
        line.quantity - refunded_quantity(o, line) for line in o.lines
    ),
    "shippingLines": WithArgs(_shipping_lines),
    "shippingLine": lambda o, _: ShippingRef(o) if o.shipping_title else None,
    "taxLines": order_tax_lines,
    "currentTaxLines": order_tax_lines,
    "discountCode": lambda o, _: o.discount_code,
    "discountCodes": lambda o, _: [o.discount_code] if o.discount_code else [],
    "refunds": WithArgs(_refunds),
    "fulfillments": WithArgs(_fulfillments),
    "note": lambda o, _: o.note or None,
    "tags": lambda o, _: list(o.tags),
    "sourceName": lambda o, _: "web",
    "paymentGatewayNames": lambda o, _: ["shopify_payments"],
    "returnStatus": lambda o, _: "NO_RETURN",
    "statusPageUrl": lambda o, ctx: f"https://{ctx.state.identity.domain}/orders/{o.id:x}/authenticate",
    "totalWeight": lambda o, ctx: str(
        sum(
            ctx.state.variants[line.variant_id].weight_grams * line.quantity
            for line in o.lines
            if line.variant_id in ctx.state.variants
        )
    ),
    **{name: _amount_field(amount) for name, amount in ORDER_AMOUNTS.items()},
    "totalPriceSet": _total_price_set,
}


# --- LineItem ------------------------------------------------------------------------------------


def unit_discount(line: LineItem) -> Decimal:
    return money(line.total_discount / line.quantity) if line.quantity else ZERO


def _line_amount(amount: Callable[[LineItem], Decimal]) -> Callable[[LineRef, Ctx], dict[str, Any]]:
    return lambda r, _: money_bag(r.order, amount(r.line))


LINE_AMOUNTS: dict[str, Callable[[LineItem], Decimal]] = {
    "originalUnitPriceSet": lambda line: line.price,
    "discountedUnitPriceSet": lambda line: line.price - unit_discount(line),
    "discountedUnitPriceAfterAllDiscountsSet": lambda line: line.price - unit_discount(line),
    "originalTotalSet": lambda line: line.price * line.quantity,
    "discountedTotalSet": lambda line: line.price * line.quantity - line.total_discount,
    "totalDiscountSet": lambda line: line.total_discount,
    "unfulfilledOriginalTotalSet": lambda line: line.price * (line.quantity - line.fulfilled_quantity),
    "unfulfilledDiscountedTotalSet": lambda line: (
        (line.price - unit_discount(line)) * (line.quantity - line.fulfilled_quantity)
    ),
}

LINE_ITEM: FieldMap = {
    "id": lambda r, _: gid("LineItem", r.line.id),
    "name": lambda r, _: f"{r.line.title} - {r.line.variant_title}",
    "title": lambda r, _: r.line.title,
    "variantTitle": lambda r, _: r.line.variant_title,
    "sku": lambda r, _: r.line.sku,
    "vendor": lambda r, ctx: ctx.state.products[r.line.product_id].vendor,
    "quantity": lambda r, _: r.line.quantity,
    "currentQuantity": lambda r, _: r.line.quantity - refunded_quantity(r.order, r.line),
    "refundableQuantity": lambda r, _: r.line.quantity - refunded_quantity(r.order, r.line),
    "unfulfilledQuantity": lambda r, _: r.line.quantity - r.line.fulfilled_quantity,
    "nonFulfillableQuantity": lambda r, _: 0,
    "taxLines": lambda r, _: [tax_line(r.order, t.title, t.rate, t.amount) for t in r.line.tax_lines],
    "taxable": lambda r, _: bool(r.line.tax_lines),
    "requiresShipping": lambda r, _: True,
    "isGiftCard": lambda r, _: False,
    "merchantEditable": lambda r, _: r.order.cancelled_at is None,
    "restockable": lambda r, _: True,
    "variant": lambda r, ctx: ctx.state.variants.get(r.line.variant_id),
    "product": lambda r, ctx: ctx.state.products.get(r.line.product_id),
    "weight": lambda r, ctx: {"unit": "GRAMS", "value": float(ctx.state.variants[r.line.variant_id].weight_grams)},
    **{name: _line_amount(amount) for name, amount in LINE_AMOUNTS.items()},
}


# --- ShippingLine, Refund, RefundLineItem, Fulfillment ------------------------------------------

SHIPPING_LINE: FieldMap = {
    "id": lambda r, _: gid("ShippingLine", r.order.id),
    "title": lambda r, _: r.order.shipping_title,
    "code": lambda r, _: r.order.shipping_title,
    "source": lambda r, _: "shopify",
    "deliveryCategory": lambda r, _: "shipping",
    "custom": lambda r, _: False,
    "isRemoved": lambda r, _: False,
    "price": lambda r, _: money_str(r.order.shipping_price),
    "originalPriceSet": lambda r, _: money_bag(r.order, r.order.shipping_price),
    "discountedPriceSet": lambda r, _: money_bag(r.order, r.order.shipping_price),
    "currentDiscountedPriceSet": lambda r, _: money_bag(r.order, r.order.shipping_price),
    "taxLines": lambda r, _: shipping_tax_lines(r.order),
}


def _refund_lines(r: RefundRef, ctx: Ctx, args: dict[str, Any]) -> dict[str, Any]:
    refs = [RefundLineRef(r.order, r.refund, line, n) for n, line in enumerate(r.refund.lines)]
    return connection(ListSource(refs, lambda x: _by_id(x.line.line_item_id)), args, ctx.bulk)


def _refund_shipping_lines(r: RefundRef, ctx: Ctx, args: dict[str, Any]) -> dict[str, Any]:
    refs = [RefundShippingRef(r.order, r.refund)] if r.refund.shipping else []
    return connection(ListSource(refs, lambda x: _by_id(x.refund.id)), args, ctx.bulk)


def refund_shipping_tax(o: Order, refund: Refund) -> Decimal:
    """The order's shipping tax share of the shipping a refund gave back."""
    gross = o.shipping_price + (ZERO if o.taxes_included else o.shipping_tax)
    return money(refund.shipping * o.shipping_tax / gross) if gross and refund.shipping else ZERO


def refund_shipping_subtotal(o: Order, refund: Refund) -> Decimal:
    return refund.shipping if o.taxes_included else refund.shipping - refund_shipping_tax(o, refund)


def _order_line(order: Order, line_id: int) -> LineRef | None:
    return next((LineRef(order, line) for line in order.lines if line.id == line_id), None)


REFUND: FieldMap = {
    "id": lambda r, _: gid("Refund", r.refund.id),
    "legacyResourceId": lambda r, _: str(r.refund.id),
    "createdAt": lambda r, _: iso(r.refund.created_at),
    "processedAt": lambda r, _: iso(r.refund.created_at),
    "updatedAt": lambda r, _: iso(r.refund.created_at),
    "note": lambda r, _: r.refund.note or None,
    "order": lambda r, _: r.order,
    "totalRefundedSet": lambda r, _: money_bag(r.order, r.refund.amount),
    "refundLineItems": WithArgs(_refund_lines),
    "refundShippingLines": WithArgs(_refund_shipping_lines),
}

REFUND_SHIPPING_LINE: FieldMap = {
    "id": lambda r, _: gid("RefundShippingLine", r.refund.id),
    "shippingLine": lambda r, _: ShippingRef(r.order),
    "subtotalAmountSet": lambda r, _: money_bag(r.order, refund_shipping_subtotal(r.order, r.refund)),
    "taxAmountSet": lambda r, _: money_bag(r.order, refund_shipping_tax(r.order, r.refund)),
}

REFUND_LINE_ITEM: FieldMap = {
    "id": lambda r, _: gid("RefundLineItem", r.refund.id * 100 + r.position),
    "lineItem": lambda r, _: _order_line(r.order, r.line.line_item_id),
    "quantity": lambda r, _: r.line.quantity,
    "subtotalSet": lambda r, _: money_bag(r.order, r.line.subtotal),
    "totalTaxSet": lambda r, _: money_bag(r.order, r.line.total_tax),
    "priceSet": lambda r, _: money_bag(r.order, money(r.line.subtotal / r.line.quantity)),
    "restockType": lambda r, _: "RETURN",
    "restocked": lambda r, _: True,
}


def _fulfillment_lines(r: FulfillmentRef, ctx: Ctx, args: dict[str, Any]) -> dict[str, Any]:
    refs = [FulfillmentLineRef(r.order, line) for line in r.order.lines if line.fulfilled_quantity]
    return connection(ListSource(refs, lambda x: _by_id(x.line.id)), args, ctx.bulk)


def _fulfilled_at(r: FulfillmentRef) -> str | None:
    return iso(min(r.order.created_at + timedelta(days=1), r.order.updated_at))


FULFILLMENT: FieldMap = {
    "id": lambda r, _: gid("Fulfillment", FULFILLMENT_ID_BASE + r.order.id),
    "legacyResourceId": lambda r, _: str(FULFILLMENT_ID_BASE + r.order.id),
    "name": lambda r, _: f"#{r.order.number}-F1",
    "status": lambda r, _: "SUCCESS",
    "displayStatus": lambda r, _: "FULFILLED",
    "createdAt": lambda r, _: _fulfilled_at(r),
    "updatedAt": lambda r, _: _fulfilled_at(r),
    "requiresShipping": lambda r, _: True,
    "totalQuantity": lambda r, _: sum(line.fulfilled_quantity for line in r.order.lines),
    "trackingInfo": lambda r, _: [
        {
            "company": "UPS",
            "number": f"1Z999AA1{r.order.id:010d}",
            "url": f"https://www.ups.com/track?tracknum=1Z999AA1{r.order.id:010d}",
        }
    ],
    "location": lambda r, ctx: ctx.store.locations[0],
    "order": lambda r, _: r.order,
    "fulfillmentLineItems": WithArgs(_fulfillment_lines),
}

FULFILLMENT_LINE_ITEM: FieldMap = {
    "id": lambda r, _: gid("FulfillmentLineItem", r.line.id),
    "lineItem": lambda r, _: LineRef(r.order, r.line),
    "quantity": lambda r, _: r.line.fulfilled_quantity,
    "originalTotalSet": lambda r, _: money_bag(r.order, r.line.price * r.line.fulfilled_quantity),
    "discountedTotalSet": lambda r, _: money_bag(
        r.order, (r.line.price - unit_discount(r.line)) * r.line.fulfilled_quantity
    ),
}

ORDER_TYPES: dict[str, FieldMap] = {
    "Order": ORDER,
    "LineItem": LINE_ITEM,
    "ShippingLine": SHIPPING_LINE,
    "Refund": REFUND,
    "RefundLineItem": REFUND_LINE_ITEM,
    "RefundShippingLine": REFUND_SHIPPING_LINE,
    "Fulfillment": FULFILLMENT,
    "FulfillmentLineItem": FULFILLMENT_LINE_ITEM,
}
