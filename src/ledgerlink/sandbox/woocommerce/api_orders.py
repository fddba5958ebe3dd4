"""GET /orders, /orders/{id}, /orders/{id}/refunds, and the sandbox's own POST /_sandbox/orders/{id}/touch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ledgerlink.sandbox.dataset import Order, Store
from ledgerlink.sandbox.woocommerce.order_finder import OrderFilter, OrderFinder
from ledgerlink.sandbox.woocommerce.orders import ORDER_STATUSES, TOUCHABLE_STATUSES, OrderRenderer, status_changes
from ledgerlink.sandbox.woocommerce.routing import Endpoint
from ledgerlink.sandbox.woocommerce.wire import (
    Params,
    Window,
    WooError,
    invalid_id,
    json_body,
    page_of,
    paginated,
    respond,
    site_url,
)

ORDERBY = ("date", "id", "include", "title", "slug", "modified")


@dataclass(frozen=True)
class OrderList:
    filter: OrderFilter
    window: Window
    dp: int | None


def orderby_include_check(orderby: str | None, include: list[int]) -> None:
    if orderby == "include" and not include:
        raise WooError(
            400, "rest_orderby_include_missing_include", "You need to define an include parameter to order by include."
        )


def parse_order_list(request: Request) -> OrderList:
    p = Params(request.query_params)
    window, dates, desc = p.window(), p.date_range(), p.order()
    statuses = p.enum_list("status", ("any", "trash", *ORDER_STATUSES), ["any"])
    include, exclude = p.id_list("include"), p.id_list("exclude")
    customer, product, search = p.integer("customer"), p.integer("product"), p.string("search")
    orderby = p.enum("orderby", ORDERBY, "date") or "date"
    dp = p.decimals()
    p.check()
    orderby_include_check(orderby, include)
    return OrderList(
        OrderFilter(
            dates=dates,
            statuses=None if "any" in statuses else frozenset(statuses),
            include=tuple(include),
            exclude=frozenset(exclude),
            customer=customer,
            product=product,
            search=search or None,
            orderby=orderby,
            descending=desc,
        ),
        window,
        dp,
    )


class OrdersAPI:
    def __init__(self, store: Store, finder: OrderFinder, renderer: OrderRenderer) -> None:
        self.store, self.finder, self.renderer = store, finder, renderer

    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint("/orders", "list", self.list_orders, self.parse_list),
            Endpoint("/orders/{order_id:int}", "view", self.get_order, self.parse_order),
            Endpoint("/orders/{order_id:int}/refunds", "list", self.list_refunds, self.parse_refunds),
        ]

    def _order(self, order_id: int, code: str = "shop_order") -> Order:
        order = self.store.order_by_id(order_id)
        if order is None:
            raise invalid_id(code)
        return order

    @staticmethod
    def _dp(request: Request) -> int | None:
        p = Params(request.query_params)
        dp = p.decimals()
        p.check()
        return dp

    async def parse_list(self, request: Request) -> OrderList:
        return parse_order_list(request)

    async def list_orders(self, request: Request, args: OrderList) -> Response:
        orders, total = self.finder.find(args.filter, args.window.start, args.window.per_page)
        site = site_url(request)
        return paginated(request, (self.renderer.order_json(o, site, args.dp) for o in orders), total, args.window)

    async def parse_order(self, request: Request) -> tuple[Order, int | None]:
        return self._order(request.path_params["order_id"]), self._dp(request)

    async def get_order(self, request: Request, args: tuple[Order, int | None]) -> Response:
        order, dp = args
        return respond(request, self.renderer.order_json(order, site_url(request), dp))

    async def parse_refunds(self, request: Request) -> tuple[Window, int | None]:
        p = Params(request.query_params)
        window, dp = p.window(), p.decimals()
        p.check()
        return window, dp

    async def list_refunds(self, request: Request, args: tuple[Window, int | None]) -> Response:
        window, dp = args
        order = self.store.order_by_id(request.path_params["order_id"])
        if order is None:
            raise WooError(404, "woocommerce_rest_invalid_order_id", "Invalid order ID.")
        refunds = sorted(order.refunds, key=lambda r: (r.created_at, r.id), reverse=True)
        site = site_url(request)
        items = (self.renderer.refund_json(order, r, site, dp) for r in page_of(refunds, window))
        return paginated(request, items, len(refunds), window)

    async def touch(self, request: Request) -> Response:
        """Simulates a merchant editing the order in wp-admin: its date_modified moves to now."""
        try:
            order = self._order(request.path_params["order_id"])
            p = Params(await json_body(request))
            status = p.enum("status", TOUCHABLE_STATUSES, None)
            p.check()
        except WooError as error:
            return error.response()
        now = datetime.now(UTC)
        changes: dict[str, Any] = status_changes(order, status, now) if status else {}
        touched = self.store.touch_order(order.id, at=now, **changes)
        return respond(request, self.renderer.order_json(touched, site_url(request)))
