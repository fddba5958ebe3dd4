"""GET /refunds: WooCommerce's read-only list of refunds across orders (each with its `parent_id`).

A client completing a page of orders asks here for all their refunds at once (`parent=1,2,3`)
instead of once per order at /orders/{id}/refunds. Without `parent` the whole store's refunds are
listed, which reads every order: fine for a sandbox, and what the real endpoint costs a shop too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ledgerlink.sandbox.dataset import Order, Store
from ledgerlink.sandbox.woocommerce.orders import OrderRenderer
from ledgerlink.sandbox.woocommerce.routing import Endpoint
from ledgerlink.sandbox.woocommerce.wire import Params, Window, page_of, paginated, site_url

ORDERBY = ("date", "id", "include", "title", "slug", "modified")


@dataclass(frozen=True)
class RefundList:
    parents: tuple[int, ...]  # empty: every order's
    parents_excluded: frozenset[int]
    orderby: str
    descending: bool
    window: Window
    dp: int | None


class RefundsAPI:
    def __init__(self, store: Store, renderer: OrderRenderer) -> None:
        self.store, self.renderer = store, renderer

    def endpoints(self) -> list[Endpoint]:
        return [Endpoint("/refunds", "list", self.list_refunds, self.parse_list)]

    async def parse_list(self, request: Request) -> RefundList:
        p = Params(request.query_params)
        window, descending, dp = p.window(), p.order(), p.decimals()
        parents, excluded = p.id_list("parent"), p.id_list("parent_exclude")
        orderby = p.enum("orderby", ORDERBY, "date") or "date"
        p.check()
        return RefundList(tuple(parents), frozenset(excluded), orderby, descending, window, dp)

    def _orders(self, args: RefundList) -> Iterable[Order]:
        if args.parents:
            found = (self.store.order_by_id(order_id) for order_id in dict.fromkeys(args.parents))
            orders: Iterable[Order] = (o for o in found if o is not None)
        else:
            orders = (self.store.order(index) for index in range(self.store.orders_count))
        return (o for o in orders if o.id not in args.parents_excluded)

    async def list_refunds(self, request: Request, args: RefundList) -> Response:
        refunds = [(order, refund) for order in self._orders(args) for refund in order.refunds]
        refunds.sort(key=_sort_key(args.orderby), reverse=args.descending)
        site = site_url(request)
        items = (
            self._with_parent(order, self.renderer.refund_json(order, refund, site, args.dp))
            for order, refund in page_of(refunds, args.window)
        )
        return paginated(request, items, len(refunds), args.window)

    @staticmethod
    def _with_parent(order: Order, refund: dict[str, Any]) -> dict[str, Any]:
        """The order refunds' shape with the one property this list adds, after the id as WooCommerce
        renders it."""
        rendered = {"id": refund["id"], "parent_id": order.id}
        rendered.update(refund)
        return rendered


def _sort_key(orderby: str) -> Any:
    if orderby == "id":
        return lambda pair: pair[1].id
    # date (the default) and the post fields refunds share it with: by creation, ties by id.
    return lambda pair: (pair[1].created_at, pair[1].id)
