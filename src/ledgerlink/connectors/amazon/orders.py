"""How the orders stream reads Amazon orders: getOrders by last update, oldest first, each order
completed with its items (getOrderItems, every page of them); and one order by its id (getOrder)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from ledgerlink.connectors.amazon.order_mapper import STATUS
from ledgerlink.connectors.framework.window import SyncWindow
from ledgerlink.errors import ConfigurationError
from ledgerlink.upstream.client import UpstreamClient
from ledgerlink.upstream.errors import UpstreamRejected

# What `orderStatus` filters may say, as SP-API spells it (seed 000 asks for "Delivered": shipped).
STATUS_WORDS = {
    **{s.lower(): s for s in STATUS},
    "delivered": "Shipped",
    "completed": "Shipped",
    "fulfilled": "Shipped",
    "cancelled": "Canceled",
    "processing": "Unshipped",
    "unfulfilled": "Unshipped",
    "partial": "PartiallyShipped",
}
EARLIEST = datetime(2016, 1, 1, tzinfo=UTC)  # before anything SP-API still holds
LATENCY = timedelta(minutes=2)  # a "…Before" bound must be this long before the request


def sp_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def amazon_statuses(words: list[Any]) -> list[str]:
    statuses = []
    for word in words:
        status = STATUS_WORDS.get(str(word).strip().lower())
        if status is None:
            raise ConfigurationError(
                f"'{word}' is not an Amazon order status",
                {"orderStatus": word, "known": sorted(STATUS)},
            )
        statuses.append(status)
    return list(dict.fromkeys(statuses))


def order_params(marketplaces: list[str]) -> Any:
    """getOrders' arguments for a window: orders last updated in it, oldest first."""

    def params(window: SyncWindow) -> dict[str, Any]:
        args: dict[str, Any] = {
            "MarketplaceIds": ",".join(marketplaces),
            "LastUpdatedAfter": sp_time(window.since or EARLIEST),
            "MaxResultsPerPage": min(max(window.page_size, 1), 100),
        }
        if window.until is not None and window.until <= datetime.now(UTC) - LATENCY:
            args["LastUpdatedBefore"] = sp_time(window.until)  # nearer to now: up to now, as SP-API allows
        statuses = window.filters.get("orderStatus")
        if isinstance(statuses, list) and statuses:
            args["OrderStatuses"] = ",".join(amazon_statuses(statuses))
        return args

    return params


def orders_of(body: Any) -> list[Any]:
    return list(body["payload"]["Orders"])


async def with_items(client: UpstreamClient, order: dict[str, Any]) -> dict[str, Any]:
    """The order with every one of its items (`_items`), page after page."""
    order_id = order.get("AmazonOrderId")
    if not isinstance(order_id, str):
        return order  # the mapper says what is wrong with it
    items: list[Any] = []
    token: str | None = None
    while True:
        params = {"NextToken": token} if token else {}
        reply = await client.get(f"/orders/v0/orders/{quote(order_id, safe='')}/orderItems", **params)
        payload = (reply.data or {}).get("payload") or {}
        items += payload.get("OrderItems") or []
        token = payload.get("NextToken")
        if not token:
            return {**order, "_items": items}


async def fetch_order(client: UpstreamClient, order_id: str) -> dict[str, Any] | None:
    try:
        reply = await client.get(f"/orders/v0/orders/{quote(order_id, safe='')}")
    except UpstreamRejected as exc:
        if exc.upstream_status in (400, 404):
            return None
        raise
    return await with_items(client, reply.data["payload"])
