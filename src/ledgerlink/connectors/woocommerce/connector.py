"""WooCommerce REST API v3: consumer key/secret over HTTP Basic, `per_page` at most 100,
`X-WP-Total`/`X-WP-TotalPages`, `modified_after` for incremental reads (WooCommerce 5.8+)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from ledgerlink.canonical import records as rec
from ledgerlink.connectors.framework.connector import Connector, InventoryChange, InventoryResult
from ledgerlink.connectors.framework.derived import FixedStream, FlatStream
from ledgerlink.connectors.framework.parsing import utc_time
from ledgerlink.connectors.framework.rest import RestStream
from ledgerlink.connectors.framework.stream import RecordParts, Stream, enrich_each
from ledgerlink.connectors.framework.window import SyncWindow
from ledgerlink.connectors.woocommerce import mappers
from ledgerlink.connectors.woocommerce.credentials import WooCommerceCredentials
from ledgerlink.connectors.woocommerce.registration import WooCommerceHookRegistration
from ledgerlink.upstream.client import UpstreamClient
from ledgerlink.upstream.errors import UpstreamRejected
from ledgerlink.upstream.policy import RetryPolicy

API_PATH = "/wp-json/wc/v3"
REFUNDS_PER_PAGE = 100  # WooCommerce's per_page ceiling
ONE_BY_ONE_CONCURRENCY = 8  # refund requests in flight when the store has no /refunds list


def _gmt(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _order_filters(window: SyncWindow) -> dict[str, Any]:
    statuses = window.filters.get("orderStatus")
    if isinstance(statuses, list) and statuses:
        return {"status": ",".join(statuses)}
    return {"status": "any"}


def _product_filters(window: SyncWindow) -> dict[str, Any]:
    published = window.filters.get("publishedStatus")
    mapping = {"published": "publish", "unpublished": "draft", "draft": "draft"}
    return {"status": mapping[published]} if published in mapping else {"status": "any"}


async def _with_refunds(client: UpstreamClient, order: dict[str, Any]) -> dict[str, Any]:
    """The order lists refunds only as totals; their lines are at /orders/{id}/refunds."""
    if not order.get("refunds"):
        return order
    reply = await client.get(f"/orders/{order['id']}/refunds", per_page=100)
    return {**order, "_refund_details": reply.data}


async def _with_page_refunds(client: UpstreamClient, orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The refunds of a page's refunded orders from one list, GET /refunds?parent=… (WooCommerce's
    refunds across orders), instead of one /orders/{id}/refunds request per refunded order. A store
    older than that endpoint answers 404: it is asked order by order.

    Each refund is kept as /orders/{id}/refunds gives it (that list's order, newest first, and without
    the `parent_id` only the cross-order list adds), so an order reads the same whichever way it came
    (a webhook fetches one order) and its payload hash does not flap between the two."""
    refunded = [o["id"] for o in orders if o.get("refunds")]
    if not refunded:
        return orders
    try:
        found = await _refunds_of(client, refunded)
    except UpstreamRejected as exc:
        if exc.upstream_status != 404:
            raise
        return await enrich_each(_with_refunds, client, orders, ONE_BY_ONE_CONCURRENCY)
    return [{**o, "_refund_details": found.get(o["id"], [])} if o.get("refunds") else o for o in orders]


async def _refunds_of(client: UpstreamClient, order_ids: list[Any]) -> dict[Any, list[dict[str, Any]]]:
    by_order: dict[Any, list[dict[str, Any]]] = {order_id: [] for order_id in order_ids}
    page = 1
    while True:
        reply = await client.get("/refunds", parent=",".join(map(str, order_ids)), per_page=REFUNDS_PER_PAGE, page=page)
        refunds = reply.data or []
        for refund in refunds:
            refund = dict(refund)
            by_order.setdefault(refund.pop("parent_id", None), []).append(refund)
        pages = reply.headers.get("X-WP-TotalPages")
        if len(refunds) < REFUNDS_PER_PAGE or (pages is not None and pages.isdigit() and page >= int(pages)):
            return by_order
        page += 1


async def _with_variations(client: UpstreamClient, product: dict[str, Any]) -> dict[str, Any]:
    if product.get("type") != "variable" or not product.get("variations"):
        return product
    reply = await client.get(f"/products/{product['id']}/variations", per_page=100)
    return {**product, "_variations": reply.data}


def _stock_items(product: dict[str, Any]) -> list[dict[str, Any]]:
    variations = product.get("_variations") or []
    if variations:
        return [
            {**v, "_variant_external_id": f"{product['id']}/{v['id']}"}
            for v in variations
            if v.get("manage_stock") and v.get("stock_quantity") is not None
        ]
    if product.get("manage_stock") and product.get("stock_quantity") is not None:
        return [{**product, "_variant_external_id": str(product["id"])}]
    return []


def _keyset(name: str, resource_type: str, path: str, parts: RecordParts, **kwargs: Any) -> RestStream:
    return RestStream(
        name=name,
        resource_type=resource_type,
        path=path,
        records=parts,
        max_page_size=100,
        since_param="modified_after",
        until_param="modified_before",
        format_time=_gmt,
        since_exclusive=True,
        static_params={"orderby": "modified", "order": "asc", "dates_are_gmt": "true"},
        total_pages_header="X-WP-TotalPages",
        total_header="X-WP-Total",
        **kwargs,
    )


class WooCommerceConnector(WooCommerceHookRegistration, Connector):
    provider = "woocommerce"
    stream_names = ("orders", "products", "customers", "locations", "inventory")
    default_limit = None  # WooCommerce sets none; a host's 429s are obeyed as they come
    default_location = mappers.DEFAULT_LOCATION

    def __init__(self, credentials: WooCommerceCredentials, **kwargs: Any) -> None:  # type: ignore[override]
        super().__init__(credentials, **kwargs)
        self.creds = credentials

    @property
    def base_url(self) -> str:
        return str(self.creds.apiBaseUrl or self.creds.siteUrl).rstrip("/") + API_PATH

    def client(self, retry: RetryPolicy | None = None) -> UpstreamClient:
        return UpstreamClient(
            base_url=self.base_url,
            auth=httpx.BasicAuth(
                self.creds.consumerKey.get_secret_value(), self.creds.consumerSecret.get_secret_value()
            ),
            headers={"User-Agent": "ledgerlink"},
            budget=self.budget,
            retry=retry or RetryPolicy(),
            transport=self.transport,
        )

    @property
    def streams(self) -> Mapping[str, Stream]:
        products = _keyset(
            "products",
            "product",
            "/products",
            RecordParts("id", "date_modified_gmt", utc_time, mappers.map_product),
            window_params=_product_filters,
            enrich=_with_variations,
        )
        return {
            "orders": _keyset(
                "orders",
                "order",
                "/orders",
                RecordParts("id", "date_modified_gmt", utc_time, mappers.map_order),
                window_params=_order_filters,
                enrich_page=_with_page_refunds,
            ),
            "products": products,
            "customers": RestStream(
                name="customers",
                resource_type="customer",
                path="/customers",
                max_page_size=100,
                records=RecordParts("id", "date_modified_gmt", utc_time, mappers.map_customer),
                static_params={"orderby": "id", "order": "asc", "role": "all"},
                total_pages_header="X-WP-TotalPages",
            ),
            "locations": FixedStream(
                "locations",
                "location",
                ({"id": mappers.DEFAULT_LOCATION, "name": "Store stock"},),
                RecordParts(
                    "id", None, utc_time, lambda r: rec.Location(external_id=r["id"], name=r["name"], kind="warehouse")
                ),
            ),
            "inventory": FlatStream(
                "inventory",
                "inventory_level",
                products,
                _stock_items,
                RecordParts("_variant_external_id", "date_modified_gmt", utc_time, mappers.map_stock),
            ),
        }

    async def check(self, client: UpstreamClient) -> dict[str, Any]:
        reply = await client.get("/system_status")
        environment = (reply.data or {}).get("environment", {})
        settings = (reply.data or {}).get("settings", {})
        return {"version": environment.get("version"), "currency": settings.get("currency")}

    async def fetch_record(self, client: UpstreamClient, stream: str, external_id: str) -> Any | None:
        paths = {"orders": "/orders/{}", "products": "/products/{}", "customers": "/customers/{}"}
        if stream not in paths:
            return None
        try:
            reply = await client.get(paths[stream].format(external_id))
        except UpstreamRejected as exc:
            if exc.upstream_status == 404:
                return None
            raise
        enrich = {"orders": _with_refunds, "products": _with_variations}.get(stream)
        return await enrich(client, reply.data) if enrich else reply.data

    async def push_inventory(self, client: UpstreamClient, changes: list[InventoryChange]) -> list[InventoryResult]:
        results = []
        for change in changes:
            if not change.variant_external_id:
                results.append(
                    InventoryResult(
                        change.sku,
                        change.location_external_id,
                        False,
                        error="SKU not known on this store: sync products first",
                    )
                )
                continue
            product_id, _, variation_id = change.variant_external_id.partition("/")
            path = f"/products/{product_id}/variations/{variation_id}" if variation_id else f"/products/{product_id}"
            quantity = change.quantity
            if change.mode == "adjust":  # WooCommerce has no relative update: read, then write
                current = (await client.get(path)).data.get("stock_quantity") or 0
                quantity = int(current) + change.quantity
            reply = await client.request("PUT", path, json={"manage_stock": True, "stock_quantity": max(0, quantity)})
            results.append(
                InventoryResult(
                    change.sku, change.location_external_id, True, quantity_after=reply.data.get("stock_quantity")
                )
            )
        return results
