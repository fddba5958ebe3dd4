"""BigCommerce: v2 orders (with their products, shipping addresses, coupons and v3 refunds), and the v3
catalogue, customers, locations and inventory, under `https://api.bigcommerce.com/stores/{store_hash}`
with an `X-Auth-Token`.

`limit` is at most 250 everywhere; v2 lists answer 204 No Content when a page is empty, v3 lists carry
`meta.pagination`. Orders, products and customers are read in date_modified order from a lower bound
(inclusive, to the second), so the framework's keyset paging applies; orders one status at a time when
a request filters them, counted first with `/v2/orders/count` (orders.py). A store has a request quota
per fixed window (150 per 30 s on the Standard and Plus plans), reported on every answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ledgerlink.canonical.money import MoneyError, parse_decimal
from ledgerlink.connectors.bigcommerce import mappers
from ledgerlink.connectors.bigcommerce.credentials import BigCommerceCredentials
from ledgerlink.connectors.bigcommerce.orders import OrdersByStatus
from ledgerlink.connectors.bigcommerce.policy import BigCommercePolicy
from ledgerlink.connectors.bigcommerce.registration import BigCommerceHookRegistration
from ledgerlink.connectors.framework.connector import Connector, InventoryChange, InventoryResult
from ledgerlink.connectors.framework.derived import FlatStream
from ledgerlink.connectors.framework.parsing import utc_time
from ledgerlink.connectors.framework.rest import RestStream
from ledgerlink.connectors.framework.stream import RecordParts, Stream
from ledgerlink.connectors.framework.window import SyncWindow
from ledgerlink.ratelimit import Limit
from ledgerlink.upstream.client import UpstreamClient
from ledgerlink.upstream.errors import UpstreamError, UpstreamRejected
from ledgerlink.upstream.policy import RetryPolicy

API_HOST = "https://api.bigcommerce.com"
PAGE_LIMIT = 250
ADJUST_REASON = "ledgerlink inventory push"


def _iso(value: datetime) -> str:
    """Date filters to the second, in UTC: what both API generations accept and compare."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def _positive(value: Any) -> bool:
    """Whether an amount is above zero; a broken one is the mapper's to refuse, not the reader's."""
    try:
        return parse_decimal(value) > 0
    except MoneyError:
        return False


async def _get(client: UpstreamClient, path: str, **params: Any) -> Any:
    """The body, or None when the object is gone (404)."""
    try:
        return (await client.get(path, **params)).data
    except UpstreamRejected as exc:
        if exc.upstream_status == 404:
            return None
        raise


async def _v2_rows(client: UpstreamClient, path: str) -> Any:
    """Every row of one order's v2 sub-collection, page by page (204, an empty page, ends it)."""
    rows: list[Any] = []
    page = 1
    while True:
        batch = await _get(client, path, limit=PAGE_LIMIT, page=page)
        if batch is not None and not isinstance(batch, list):
            return batch  # not a list: the mapper refuses the order
        rows += batch or []
        if len(batch or []) < PAGE_LIMIT:
            return rows
        page += 1


async def _with_order_parts(client: UpstreamClient, order: Any) -> Any:
    """A v2 order lists its products, shipping addresses and coupons only as links; refunds are in v3."""
    if not isinstance(order, dict) or not str(order.get("id", "")).isdigit():
        return order
    base = f"/v2/orders/{order['id']}"
    parts: dict[str, Any] = {
        "_products": await _v2_rows(client, f"{base}/products"),
        "_shipping_addresses": await _v2_rows(client, f"{base}/shipping_addresses"),
    }
    if _positive(order.get("coupon_discount")):
        parts["_coupons"] = await _v2_rows(client, f"{base}/coupons")
    if _positive(order.get("refunded_amount")):
        refunds = await _get(client, f"/v3/orders/{order['id']}/payment_actions/refunds")
        parts["_refunds"] = refunds.get("data") if isinstance(refunds, dict) else refunds
    return {**order, **parts}


def _product_filters(window: SyncWindow) -> dict[str, Any]:
    visible = {"published": "true", "unpublished": "false", "draft": "false"}.get(window.filters.get("publishedStatus"))
    return {"is_visible": visible} if visible else {}


def _v3(name: str, resource_type: str, path: str, parts: RecordParts, **kwargs: Any) -> RestStream:
    return RestStream(
        name=name,
        resource_type=resource_type,
        path=path,
        records=parts,
        records_at="data",
        size_param="limit",
        max_page_size=PAGE_LIMIT,
        format_time=_iso,
        total_pages_at="meta.pagination.total_pages",
        total_at="meta.pagination.total",
        until_inclusive=True,  # `date_modified:max` includes its instant
        **kwargs,
    )


def _failure_reason(exc: UpstreamError) -> str:
    """BigCommerce's own words where its error body has them (v3: `title`)."""
    body = (exc.details or {}).get("upstreamBody") if isinstance(exc.details, dict) else None
    try:
        title = json.loads(body).get("title") if body else None
    except (ValueError, AttributeError):
        title = None
    return f"{exc.message}: {title}" if title else exc.message


class BigCommerceConnector(BigCommerceHookRegistration, Connector):
    provider = "bigcommerce"
    stream_names = ("orders", "products", "customers", "locations", "inventory")
    # Standard and Plus plans: 150 requests per 30 s window, all of it usable at once. The budget is
    # aligned with X-Rate-Limit-Requests-Left / -Time-Reset-Ms after every answer, so other plans work too.
    default_limit = Limit(rate=150, period=30, burst=150)
    # Location 1 is every store's default location (its shipping origin; locations.v3.yml).
    default_location = "1"

    def __init__(self, credentials: BigCommerceCredentials, **kwargs: Any) -> None:  # type: ignore[override]
        super().__init__(credentials, **kwargs)
        self.creds = credentials
        self._currency: str | None = None

    @property
    def base_url(self) -> str:
        return f"{str(self.creds.apiBaseUrl or API_HOST).rstrip('/')}/stores/{self.creds.storeHash}"

    def client(self, retry: RetryPolicy | None = None) -> UpstreamClient:
        return UpstreamClient(
            base_url=self.base_url,
            headers={
                "X-Auth-Token": self.creds.accessToken.get_secret_value(),
                "Accept": "application/json",
                "User-Agent": "ledgerlink",
            },
            budget=self.budget,
            policy=BigCommercePolicy(),
            retry=retry or RetryPolicy(),
            transport=self.transport,
        )

    async def _store_currency(self, client: UpstreamClient) -> str | None:
        """Catalogue prices are in the store's default currency: asked once per connector."""
        if self._currency is None:
            self._currency = (await self.check(client)).get("currency")
        return self._currency

    async def _with_currency(self, client: UpstreamClient, product: Any) -> Any:
        if not isinstance(product, dict):
            return product
        return {**product, "_currency": await self._store_currency(client)}

    @property
    def streams(self) -> Mapping[str, Stream]:
        walk = RestStream(
            name="orders",
            resource_type="order",
            path="/v2/orders",
            records=RecordParts("id", "date_modified", utc_time, mappers.map_order),
            size_param="limit",
            max_page_size=PAGE_LIMIT,
            since_param="min_date_modified",
            until_param="max_date_modified",
            until_inclusive=True,
            static_params={"sort": "date_modified:asc"},
            format_time=_iso,
            enrich=_with_order_parts,
            # BigCommerce counts requests in a fixed window and says with every answer how many are
            # left: one sub-resource request at a time keeps the shared budget aligned with that count
            # (several in flight would spend from a figure already stale, and overshoot the quota).
            enrich_concurrency=1,
        )
        orders = OrdersByStatus(walk, _iso)  # per status the request's filters select, counted first
        products = _v3(
            "products",
            "product",
            "/v3/catalog/products",
            RecordParts("id", "date_modified", utc_time, mappers.map_product),
            since_param="date_modified:min",
            until_param="date_modified:max",
            static_params={"include": "variants", "sort": "date_modified", "direction": "asc"},
            window_params=_product_filters,
            enrich=self._with_currency,
        )
        customers = _v3(
            "customers",
            "customer",
            "/v3/customers",
            RecordParts("id", "date_modified", utc_time, mappers.map_customer),
            since_param="date_modified:min",
            until_param="date_modified:max",
            static_params={"sort": "date_modified:asc"},
        )
        locations = _v3(
            "locations", "location", "/v3/inventory/locations", RecordParts("id", None, utc_time, mappers.map_location)
        )
        items = _v3(
            "inventory",
            "inventory_level",
            "/v3/inventory/items",
            RecordParts("identity.variant_id", None, utc_time, _no_map),
        )
        inventory = FlatStream(
            "inventory",
            "inventory_level",
            items,
            mappers.stock_rows,
            RecordParts("_key", None, utc_time, mappers.map_stock),
        )
        return {
            "orders": orders,
            "products": products,
            "customers": customers,
            "locations": locations,
            "inventory": inventory,
        }

    async def check(self, client: UpstreamClient) -> dict[str, Any]:
        store = (await client.get("/v2/store")).data
        store = store if isinstance(store, dict) else {}
        return {
            "name": store.get("name"),
            "currency": store.get("currency"),
            "domain": store.get("domain"),
            "plan": store.get("plan_name"),
        }

    async def fetch_record(self, client: UpstreamClient, stream: str, external_id: str) -> Any | None:
        if not external_id.isdigit():
            return None
        if stream == "orders":
            order = await _get(client, f"/v2/orders/{external_id}")
            return await _with_order_parts(client, order) if order else None
        if stream == "products":
            product = await _get(client, f"/v3/catalog/products/{external_id}", include="variants")
            return await self._with_currency(client, product.get("data")) if product else None
        if stream == "customers":  # v3 has no customer by id, only a filter
            found = await _get(client, "/v3/customers", **{"id:in": external_id})
            return next(iter(found.get("data") or []), None) if found else None
        return None

    async def push_inventory(self, client: UpstreamClient, changes: list[InventoryChange]) -> list[InventoryResult]:
        """One adjustment per change (BigCommerce refuses a whole batch for one bad item): absolute for
        set, relative for adjust, never below zero (BigCommerce refuses that change; it is reported)."""
        return [await self._push(client, change) for change in changes]

    async def _push(self, client: UpstreamClient, change: InventoryChange) -> InventoryResult:
        location = change.location_external_id or self.default_location or ""

        def failed(reason: str) -> InventoryResult:
            return InventoryResult(change.sku, location, False, error=reason)

        if not location.isdigit():
            return failed(f"{location!r} is not a BigCommerce location id")
        if change.mode == "set" and change.quantity < 0:
            return failed("inventory cannot be set below zero")
        item = {"location_id": int(location), "quantity": change.quantity, **_identity(change)}
        try:
            if change.mode == "adjust":
                await client.request("POST", "/v3/inventory/adjustments/relative", json=_adjustment(item))
                after = await _on_hand(client, change, location)
            else:
                await client.request("PUT", "/v3/inventory/adjustments/absolute", json=_adjustment(item))
                after = change.quantity
        except UpstreamError as exc:
            return failed(_failure_reason(exc))
        return InventoryResult(change.sku, location, True, quantity_after=after)


def _no_map(raw: Any) -> Any:
    raise TypeError("inventory items are mapped per location (FlatStream)")


def _identity(change: InventoryChange) -> dict[str, Any]:
    """The variant by the id the products stream gave it, else by SKU (which BigCommerce also accepts)."""
    variant = change.variant_external_id
    return {"variant_id": int(variant)} if variant and variant.isdigit() else {"sku": change.sku}


def _adjustment(item: dict[str, Any]) -> dict[str, Any]:
    return {"reason": ADJUST_REASON, "items": [item]}


async def _on_hand(client: UpstreamClient, change: InventoryChange, location: str) -> int | None:
    """What the location holds now (a relative adjustment's answer does not say)."""
    identity = _identity(change)
    key, value = next(iter(identity.items()))
    found = await _get(client, "/v3/inventory/items", **{f"{key}:in": str(value), "location_id:in": location})
    for item in (found or {}).get("data") or []:
        for row in item.get("locations") or []:
            if str(row.get("location_id")) == location:
                return int(row["total_inventory_onhand"])
    return None
