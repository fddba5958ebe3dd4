"""A refund in Shopify's REST shape: the body of `refunds/create`, and each entry of an order's `refunds`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ledgerlink.sandbox.dataset import Order, Refund
from ledgerlink.sandbox.shopify.formats import gid
from ledgerlink.sandbox.shopify.rest_common import amount, money_set, rest_time
from ledgerlink.sandbox.shopify.rest_lines import line_item_json
from ledgerlink.sandbox.shopify.state import ShopState

ZERO = Decimal("0.00")


def _refund_transaction(order: Order, refund: Refund) -> dict[str, Any]:
    ident = refund.id + 1
    unsettled = {"amount": "0.00", "currency": order.currency}
    return {
        "id": ident,
        "admin_graphql_api_id": gid("OrderTransaction", ident),
        "amount": amount(refund.amount),
        "amount_rounding": None,
        "authorization": None,
        "created_at": rest_time(refund.created_at),
        "currency": order.currency,
        "device_id": None,
        "error_code": None,
        "gateway": "shopify_payments",
        "kind": "refund",
        "location_id": None,
        "manual_payment_gateway": False,
        "message": None,
        "order_id": order.id,
        "parent_id": None,
        "payment_id": f"#{order.number}.2",
        "processed_at": rest_time(refund.created_at),
        "receipt": {},
        "source_name": "web",
        "status": "success",
        "test": False,
        "total_unsettled_set": {"presentment_money": unsettled, "shop_money": unsettled},
        "user_id": None,
    }


def refund_json(state: ShopState, order: Order, refund: Refund) -> dict[str, Any]:
    lines = {line.id: line for line in order.lines}
    return {
        "id": refund.id,
        "order_id": order.id,
        "created_at": rest_time(refund.created_at),
        "note": refund.note or None,
        "user_id": None,
        "processed_at": rest_time(refund.created_at),
        "duties": [],
        "total_duties_set": money_set(order, ZERO),
        "return": None,
        "restock": True,
        "refund_shipping_lines": [],
        "admin_graphql_api_id": gid("Refund", refund.id),
        "order_adjustments": [],
        "refund_line_items": [
            {
                "id": refund.id * 100 + n,
                "quantity": rl.quantity,
                "line_item_id": rl.line_item_id,
                "location_id": state.store.locations[0].id,
                "restock_type": "return",
                "subtotal": float(rl.subtotal),
                "total_tax": float(rl.total_tax),
                "subtotal_set": money_set(order, rl.subtotal),
                "total_tax_set": money_set(order, rl.total_tax),
                "line_item": line_item_json(state, order, lines[rl.line_item_id]),
            }
            for n, rl in enumerate(refund.lines)
            if rl.line_item_id in lines
        ],
        "transactions": [_refund_transaction(order, refund)],
    }
