"""v3 refunds (orders.v3.yml): one order's, and the store's across orders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from ledgerlink.sandbox.bigcommerce import query
from ledgerlink.sandbox.bigcommerce.amounts import refund_amount, refund_line_amount
from ledgerlink.sandbox.bigcommerce.context import Context
from ledgerlink.sandbox.bigcommerce.formats import ZERO, iso8601
from ledgerlink.sandbox.bigcommerce.order_docs import shipping_address_id
from ledgerlink.sandbox.bigcommerce.order_index import OrderFilter
from ledgerlink.sandbox.bigcommerce.orders import find_order
from ledgerlink.sandbox.bigcommerce.responses import JSON
from ledgerlink.sandbox.bigcommerce.routing import ApiRoute
from ledgerlink.sandbox.dataset import Order, Refund


def refund_doc(order: Order, refund: Refund) -> dict[str, Any]:
    items = [
        {
            "item_type": "PRODUCT",
            "item_id": line.line_item_id,
            "quantity": line.quantity,
            "requested_amount": refund_line_amount(order, line),
            "reason": refund.note,
        }
        for line in refund.lines
    ]
    if refund.shipping:
        items.append(
            {
                "item_type": "SHIPPING",
                "item_id": shipping_address_id(order),
                "quantity": 1,
                "requested_amount": refund.shipping,
                "reason": refund.note,
            }
        )
    total = refund_amount(order, refund)
    return {
        "id": refund.id,
        "order_id": order.id,
        "user_id": 0,
        "created": iso8601(refund.created_at),
        "reason": refund.note,
        "total_amount": total,
        "total_tax": sum((line.total_tax for line in refund.lines), ZERO),
        "uses_merchant_override_values": False,
        "items": items,
        "payments": [
            {
                "id": refund.id,
                "provider_id": "braintree",
                "amount": total,
                "offline": False,
                "is_declined": False,
                "declined_message": "",
                "transaction_id": f"txn-{refund.id}",
            }
        ],
    }


async def order_refunds(ctx: Context, request: Request) -> Response:
    order = find_order(ctx, request)
    return JSON({"data": [refund_doc(order, refund) for refund in order.refunds], "meta": {}})


@dataclass(frozen=True)
class RefundFilter:
    order_ids: list[int] | None
    refund_ids: list[int] | None
    created_min: datetime | None
    created_max: datetime | None

    @classmethod
    def parse(cls, params: QueryParams) -> RefundFilter:
        return cls(
            query.integers(params, "order_id:in"),
            query.integers(params, "id:in"),
            query.date(params, "created:min"),
            query.date(params, "created:max"),
        )

    def orders(self) -> OrderFilter:
        """Orders that may hold a match: with refunds, within the ids asked for and created before
        `created:max` (a refund is never older than its order)."""
        ids = self.order_ids or []
        return OrderFilter(
            min_id=min(ids, default=None),
            max_id=max(ids, default=None),
            max_created=self.created_max,
            with_refunds=True,
        )

    def matches(self, order: Order, refund: Refund) -> bool:
        return (
            (self.order_ids is None or order.id in self.order_ids)
            and (self.refund_ids is None or refund.id in self.refund_ids)
            and query.within(query.shown(refund.created_at), self.created_min, self.created_max)
        )


async def all_refunds(ctx: Context, request: Request) -> Response:
    flt = RefundFilter.parse(request.query_params)
    orders = map(ctx.store.order, ctx.orders.select(flt.orders()))
    refunds = [(order, refund) for order in orders for refund in order.refunds if flt.matches(order, refund)]
    return JSON(query.collection(request, refunds, lambda pair: refund_doc(*pair)))


ROUTES = [
    ApiRoute("v3", "GET", "/v3/orders/payment_actions/refunds", all_refunds),
    ApiRoute("v3", "GET", "/v3/orders/{order_id}/payment_actions/refunds", order_refunds),
]
