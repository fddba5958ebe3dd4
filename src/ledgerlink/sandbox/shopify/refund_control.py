"""`POST /_sandbox/orders/{id}/refunds`: refund part of an order as a merchant would in the admin, shipping
included, so a test can watch a refund that gave shipping back travel through a sync.

The body is `{"shipping"?: amount, "lines"?: [{"lineItemId", "quantity"}], "note"?, "at"?}`; `shipping`
is what goes back for shipping with its tax (default: all of it not yet refunded). The refund takes the
next id of the order's id range (resolvers look refunds up by it) and the order is touched (updated_at
moves, webhooks fire) with its financial status recomputed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ledgerlink.sandbox.dataset import Order, Refund, RefundLine, Store, money
from ledgerlink.sandbox.shopify.resolvers import REFUND_ID_BASE

MAX_REFUNDS = 10  # refund ids are REFUND_ID_BASE + order index * 10 + n


class RefundRequestError(ValueError):
    """What a refund request asks for cannot be refunded (answered 400)."""


@dataclass(frozen=True)
class RefundRequest:
    shipping: Decimal | None
    lines: tuple[tuple[int, int], ...]  # (line item id, quantity)
    note: str
    at: datetime | None

    @classmethod
    def parse(cls, body: Any) -> RefundRequest:
        if not isinstance(body, dict):
            raise RefundRequestError("the body must be a JSON object")
        try:
            shipping = None if body.get("shipping") is None else Decimal(str(body["shipping"]))
            lines = tuple((int(x["lineItemId"]), int(x["quantity"])) for x in body.get("lines") or [])
            at = datetime.fromisoformat(body["at"]) if body.get("at") else None
        except (InvalidOperation, KeyError, TypeError, ValueError) as exc:
            raise RefundRequestError(f"invalid refund: {exc}") from None
        if (shipping is not None and not shipping.is_finite()) or (shipping is not None and shipping < 0):
            raise RefundRequestError("shipping must be an amount of zero or more")
        return cls(shipping, lines, str(body.get("note") or "Refund"), at)


def shipping_gross(order: Order) -> Decimal:
    return order.shipping_price + (Decimal(0) if order.taxes_included else order.shipping_tax)


def _line(order: Order, line_id: int, quantity: int) -> RefundLine:
    line = next((ln for ln in order.lines if ln.id == line_id), None)
    if line is None:
        raise RefundRequestError(f"line item {line_id} is not on order {order.id}")
    refunded = sum(rl.quantity for r in order.refunds for rl in r.lines if rl.line_item_id == line_id)
    if not 0 < quantity <= line.quantity - refunded:
        raise RefundRequestError(f"line item {line_id}: {line.quantity - refunded} left to refund, not {quantity}")
    tax = sum((t.amount for t in line.tax_lines), Decimal(0))
    return RefundLine(line_id, quantity, money(line.price * quantity), money(tax / line.quantity * quantity))


def add_refund(store: Store, order_id: int, request: RefundRequest) -> tuple[Order, Refund]:
    """The order with the new refund, and the refund (raises RefundRequestError, or KeyError when there is
    no such order)."""
    order = store.order_by_id(order_id)
    if order is None:
        raise KeyError(order_id)
    if len(order.refunds) >= MAX_REFUNDS:
        raise RefundRequestError(f"order {order_id} has as many refunds as the sandbox keeps")
    left = shipping_gross(order) - sum((r.shipping for r in order.refunds), Decimal(0))
    shipping = left if request.shipping is None else money(request.shipping)
    if shipping > left:
        raise RefundRequestError(f"{left} of shipping is left to refund, not {shipping}")
    lines = tuple(_line(order, line_id, quantity) for line_id, quantity in request.lines)
    if not lines and not shipping:
        raise RefundRequestError("nothing to refund")
    refund_id = REFUND_ID_BASE + (order_id - 100_000) * 10 + len(order.refunds)
    at = request.at or datetime.now(UTC)
    refund = Refund(refund_id, at, request.note, lines, shipping, taxes_included=order.taxes_included)
    refunds = (*order.refunds, refund)
    refunded = sum((r.amount for r in refunds), Decimal(0))
    financial = "refunded" if refunded >= order.total else "partially_refunded"
    return store.touch_order(order_id, at=at, refunds=refunds, financial_status=financial), refund
