"""v2 orders: list, count, one order and its products, shipping addresses and coupons."""

from __future__ import annotations

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from ledgerlink.sandbox.bigcommerce import query
from ledgerlink.sandbox.bigcommerce.amounts import order_amounts
from ledgerlink.sandbox.bigcommerce.context import Context
from ledgerlink.sandbox.bigcommerce.order_docs import coupon_docs, shipping_address_doc
from ledgerlink.sandbox.bigcommerce.order_index import SORT_FIELDS, OrderFilter
from ledgerlink.sandbox.bigcommerce.responses import JSON, InvalidQuery, NotFound, v2_collection
from ledgerlink.sandbox.bigcommerce.routing import ApiRoute, path_id
from ledgerlink.sandbox.bigcommerce.statuses import STATUS_NAMES
from ledgerlink.sandbox.dataset import Order


def order_filter(params: QueryParams) -> OrderFilter:
    return OrderFilter(
        min_id=query.integer(params, "min_id"),
        max_id=query.integer(params, "max_id"),
        min_created=query.date(params, "min_date_created"),
        max_created=query.date(params, "max_date_created"),
        min_modified=query.date(params, "min_date_modified"),
        max_modified=query.date(params, "max_date_modified"),
        status_id=_status(params),
        customer_id=query.integer(params, "customer_id"),
        email=query.text(params, "email"),
    )


def _status(params: QueryParams) -> int | None:
    status = query.integer(params, "status_id")
    if status is not None and status not in STATUS_NAMES:
        raise InvalidQuery("status_id", "is not an order status id")
    return status


def sort_order(params: QueryParams) -> tuple[str, bool]:
    """`sort=date_modified` or `sort=date_modified:desc`; ids ascending by default."""
    field, _, direction = (query.text(params, "sort") or "id").partition(":")
    if field not in SORT_FIELDS or direction.lower() not in {"", "asc", "desc"}:
        raise InvalidQuery("sort", f"must be one of {', '.join(SORT_FIELDS)}, optionally with :asc or :desc")
    return field, direction.lower() == "desc"


def find_order(ctx: Context, request: Request) -> Order:
    order = ctx.store.order_by_id(path_id(request, "order_id"))
    if order is None:
        raise NotFound()
    return order


async def list_orders(ctx: Context, request: Request) -> Response:
    flt = order_filter(request.query_params)
    field, descending = sort_order(request.query_params)
    page, limit = query.page_and_limit(request.query_params)
    indices = query.page_of(ctx.orders.select(flt, field, descending), page, limit)
    return v2_collection([ctx.order_doc(ctx.store.order(i), request) for i in indices])


async def count_orders(ctx: Context, request: Request) -> Response:
    indices = ctx.orders.select(order_filter(request.query_params))
    counts = ctx.orders.status_counts(indices)
    statuses = [
        {
            "id": sid,
            "name": name,
            "system_label": name,
            "custom_label": name,
            "system_description": "",
            "count": counts[sid],
            "sort_order": sid,
        }
        for sid, name in STATUS_NAMES.items()
    ]
    return JSON({"statuses": statuses, "count": len(indices)})


async def get_order(ctx: Context, request: Request) -> Response:
    return JSON(ctx.order_doc(find_order(ctx, request), request))


async def order_products(ctx: Context, request: Request) -> Response:
    order = find_order(ctx, request)
    page, limit = query.page_and_limit(request.query_params)
    return v2_collection(list(query.page_of(ctx.product_docs(order), page, limit)))


async def order_shipping_addresses(ctx: Context, request: Request) -> Response:
    order = find_order(ctx, request)
    query.page_and_limit(request.query_params)  # validated; an order has one shipping address
    return v2_collection([shipping_address_doc(order, order_amounts(order), ctx.api_root(request))])


async def order_coupons(ctx: Context, request: Request) -> Response:
    order = find_order(ctx, request)
    page, limit = query.page_and_limit(request.query_params)
    return v2_collection(list(query.page_of(coupon_docs(order), page, limit)))


ROUTES = [
    ApiRoute("v2", "GET", "/v2/orders", list_orders),
    ApiRoute("v2", "GET", "/v2/orders/count", count_orders),
    ApiRoute("v2", "GET", "/v2/orders/{order_id}", get_order),
    ApiRoute("v2", "GET", "/v2/orders/{order_id}/products", order_products),
    ApiRoute("v2", "GET", "/v2/orders/{order_id}/shipping_addresses", order_shipping_addresses),
    ApiRoute("v2", "GET", "/v2/orders/{order_id}/shippingaddresses", order_shipping_addresses),
    ApiRoute("v2", "GET", "/v2/orders/{order_id}/coupons", order_coupons),
]
