"""Shopify: the GraphQL Admin API 2026-10 at `https://{shop}.myshopify.com/admin/api/2026-10/graphql.json`
with an `X-Shopify-Access-Token`.

Every list is a Relay connection read `first`/`after`, sorted by UPDATED_AT and searched
`updated_at:>='<since>'` (and `<=` the window's end), so the framework's GraphQL streams apply.
Requests are limited by cost, not count: each page asks for as many nodes as keep its requested cost
within `page_cost_ceiling` (requested cost per order with its default nested sizes: 106, so 7 orders a
page; a product with 10 variants 64, 12 a page; a customer 4, a location 2, a variant's stock 19).
A whole-history order read of more than `bulk_threshold` orders is a bulk export (bulk.py). A page
cursor Shopify no longer accepts restarts the walk from the run's checkpoint (paging.py). Refunds are read
in full in batches after each page: their lines and the shipping they gave back.

Inventory is written with `inventorySetQuantities` (the hub's count is Shopify's `on_hand`; compare-and-set
on it, against the caller's expected quantity or the one read just before) and `inventoryAdjustQuantities`
(a delta on `available`, which moves `on_hand` alike), each with an `@idempotent` key.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cached_property, lru_cache
from typing import Any

from ledgerlink.connectors.framework.connector import Connector, InventoryChange, InventoryResult
from ledgerlink.connectors.framework.derived import FlatStream
from ledgerlink.connectors.framework.graphql import GraphQLEndpoint, GraphQLStream, Nested, read_nested
from ledgerlink.connectors.framework.parsing import utc_time
from ledgerlink.connectors.framework.stream import RecordParts, Stream
from ledgerlink.connectors.framework.window import SyncWindow
from ledgerlink.connectors.shopify import mappers, queries
from ledgerlink.connectors.shopify.bulk import BulkExportStream
from ledgerlink.connectors.shopify.cost import largest_page
from ledgerlink.connectors.shopify.credentials import ShopifyCredentials
from ledgerlink.connectors.shopify.paging import ShopifyStream
from ledgerlink.connectors.shopify.policy import ShopifyPolicy
from ledgerlink.connectors.shopify.registration import ShopifyHookRegistration
from ledgerlink.ratelimit import Limit
from ledgerlink.upstream.client import UpstreamClient
from ledgerlink.upstream.errors import UpstreamError
from ledgerlink.upstream.policy import RetryPolicy

ENDPOINT = GraphQLEndpoint(queries.API_PATH)
FINANCIAL_SEARCH = frozenset({"pending", "authorized", "paid", "partially_paid", "partially_refunded", "refunded"})
REASON = "correction"


def _stamp(moment: datetime) -> str:
    """Search dates to the second, in UTC (Shopify's timestamps have no fractions: flooring misses nothing)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _updated_terms(window: SyncWindow, since: datetime | None) -> list[str]:
    """[since, until) in Shopify's search: the end is exclusive, at the first whole second not before it."""
    terms = [f"updated_at:>='{_stamp(since)}'"] if since else []
    if window.until is None:
        return terms
    until = window.until if not window.until.microsecond else window.until + timedelta(seconds=1)
    return [*terms, f"updated_at:<'{_stamp(until)}'"]


def _search(terms: list[str], alternatives: list[list[str]]) -> str | None:
    """Shopify search with AND binding tighter than OR: one group per combination of the alternatives."""
    groups = [" ".join([*terms, *combo]) for combo in itertools.product(*alternatives)]
    return " OR ".join(g for g in groups if g) or None


def order_search(window: SyncWindow, since: datetime | None) -> str | None:
    statuses = [str(s).lower() for s in window.filters.get("orderStatus") or []]
    fulfillment = [str(s).lower() for s in window.filters.get("fulfillmentStatus") or []]
    alternatives = [
        [f"financial_status:{s}" if s in FINANCIAL_SEARCH else f"status:{s}" for s in statuses],
        [f"fulfillment_status:{s}" for s in fulfillment],
    ]
    return _search(_updated_terms(window, since), [a for a in alternatives if a])


def product_search(window: SyncWindow, since: datetime | None) -> str | None:
    published = {"published": "published", "unpublished": "unpublished", "draft": "unpublished"}
    status = published.get(window.filters.get("publishedStatus") or "")
    return _search(_updated_terms(window, since), [[f"published_status:{status}"]] if status else [])


def updated_search(window: SyncWindow, since: datetime | None) -> str | None:
    return _search(_updated_terms(window, since), [])


@lru_cache(maxsize=64)
def _page_size(document: str, nested: tuple[tuple[str, int], ...], ceiling: int) -> int:
    return largest_page(document, {"after": None, "query": None, "withCount": False, **dict(nested)}, ceiling)


def fitted(document: str, nested: tuple[Nested, ...], ceiling: int) -> int:
    """The most nodes a page of `document` may ask for with its requested cost within `ceiling`."""
    return _page_size(document, tuple((n.variable, n.page_size) for n in nested), ceiling)


@lru_cache(maxsize=16)
def _batch_size(document: str, nested: tuple[tuple[str, int], ...], ceiling: int) -> int:
    return largest_page(document, dict(nested), ceiling, sized=lambda n: {"ids": ["id"] * n})


def fitted_batch(document: str, nested: tuple[Nested, ...], ceiling: int) -> int:
    """The most ids one `nodes(ids:)` query of `document` may name within `ceiling`."""
    return _batch_size(document, tuple((n.variable, n.page_size) for n in nested), ceiling)


def _quantities(level: Any) -> dict[str, int]:
    return {q["name"]: int(q["quantity"]) for q in (level or {}).get("quantities") or []}


def _after(answer: dict[str, Any], name: str) -> int | None:
    changes = (answer.get("inventoryAdjustmentGroup") or {}).get("changes") or []
    return next((c["quantityAfterChange"] for c in changes if c.get("name") == name), None)


def _user_errors(answer: dict[str, Any]) -> str | None:
    errors = answer.get("userErrors") or []
    return "; ".join(f"{e.get('code') or 'ERROR'}: {e.get('message')}" for e in errors) or None


def _no_map(raw: Any) -> Any:
    raise TypeError("stock is mapped per location (FlatStream)")


class ShopifyConnector(ShopifyHookRegistration, Connector):
    provider = "shopify"
    stream_names = ("orders", "products", "customers", "locations", "inventory")
    # The Standard plan's bucket: 100 points a second, 2000 at once. Every answer reports the shop's real
    # bucket and the budget is aligned with it; other plans set `rateLimit` in the integration's settings.
    default_limit = Limit(rate=100, period=1, burst=2000)
    default_location = None  # a change without a location goes to the shop's primary one, asked for once
    page_cost_ceiling = 800  # the most a page may request (Shopify refuses one query over 1000)
    line_items_page = queries.LINE_ITEMS.page_size
    shipping_lines_page = queries.SHIPPING_LINES.page_size
    refund_lines_page = queries.REFUND_LINE_ITEMS.page_size
    refund_shipping_page = queries.REFUND_SHIPPING_LINES.page_size
    variants_page = queries.VARIANTS.page_size
    inventory_levels_page = queries.INVENTORY_LEVELS.page_size
    bulk_threshold = 2000  # a full order read of more orders than this is a bulk export
    bulk_poll_interval = 1.0
    quantity_name = "on_hand"  # what a set writes; an adjustment moves `available` (and on_hand with it)

    def __init__(self, credentials: ShopifyCredentials, **kwargs: Any) -> None:  # type: ignore[override]
        super().__init__(credentials, **kwargs)
        self.creds = credentials
        self._primary_location: str | None = None

    @property
    def base_url(self) -> str:
        return str(self.creds.apiBaseUrl or f"https://{self.creds.shopDomain}").rstrip("/")

    def client(self, retry: RetryPolicy | None = None) -> UpstreamClient:
        return UpstreamClient(
            base_url=self.base_url,
            headers={
                "X-Shopify-Access-Token": self.creds.accessToken.get_secret_value(),
                "Accept": "application/json",
                "User-Agent": "ledgerlink",
            },
            budget=self.budget,
            policy=ShopifyPolicy(),
            retry=retry or RetryPolicy(),
            transport=self.transport,
        )

    # --- streams ---------------------------------------------------------------------------------

    @cached_property
    def nested(self) -> dict[str, Nested]:
        return {
            "lineItems": replace(queries.LINE_ITEMS, page_size=self.line_items_page),
            "shippingLines": replace(queries.SHIPPING_LINES, page_size=self.shipping_lines_page),
            "refundLineItems": replace(queries.REFUND_LINE_ITEMS, page_size=self.refund_lines_page),
            "refundShippingLines": replace(queries.REFUND_SHIPPING_LINES, page_size=self.refund_shipping_page),
            "variants": replace(queries.VARIANTS, page_size=self.variants_page),
            "inventoryLevels": replace(queries.INVENTORY_LEVELS, page_size=self.inventory_levels_page),
        }

    def _stream(self, name: str, resource_type: str, document: str, at: str, parts: RecordParts, **kw: Any) -> Any:
        nested = kw.get("nested", ())
        size = fitted(document, nested, self.page_cost_ceiling)
        return ShopifyStream(name, resource_type, ENDPOINT, document, at, parts, max_page_size=size, **kw)

    def _orders(self) -> BulkExportStream:
        lines, shipping = self.nested["lineItems"], self.nested["shippingLines"]
        paged = self._stream(
            "orders",
            "order",
            queries.orders_page(lines, shipping),
            "orders",
            RecordParts("legacyResourceId", "updatedAt", utc_time, mappers.map_order),
            search=order_search,
            nested=(lines, shipping),
            count_at="ordersCount",
            record_document=queries.order_by_id(lines, shipping),
            record_at="order",
            enrich=self._with_refunds,
            own_data=mappers.order_own_data,
        )
        return BulkExportStream(
            paged,
            queries.orders_export,
            self.bulk_threshold,
            queries.ORDERS_COUNT,
            poll_interval=self.bulk_poll_interval,
            transport=self.transport,
        )

    def _products(self) -> GraphQLStream:
        variants = self.nested["variants"]
        return self._stream(
            "products",
            "product",
            queries.products_page(variants),
            "products",
            RecordParts("legacyResourceId", "updatedAt", utc_time, mappers.map_product),
            search=product_search,
            nested=(variants,),
            context={"_currency": "shop.currencyCode"},
            count_at="productsCount",
            record_document=queries.product_by_id(variants),
            record_at="product",
        )

    def _inventory(self) -> FlatStream:
        levels = self.nested["inventoryLevels"]
        variants = self._stream(
            "inventory",
            "inventory_level",
            queries.inventory_page(levels),
            "productVariants",
            RecordParts("legacyResourceId", None, utc_time, _no_map),
            nested=(levels,),
        )
        parts = RecordParts("_key", "updatedAt", utc_time, mappers.map_stock)
        return FlatStream("inventory", "inventory_level", variants, mappers.stock_rows, parts)

    @property
    def streams(self) -> Mapping[str, Stream]:
        return {
            "orders": self._orders(),
            "products": self._products(),
            "customers": self._stream(
                "customers",
                "customer",
                queries.CUSTOMERS_PAGE,
                "customers",
                RecordParts("legacyResourceId", "updatedAt", utc_time, mappers.map_customer),
                search=updated_search,
                count_at="customersCount",
                record_document=queries.CUSTOMER_BY_ID,
                record_at="customer",
            ),
            "locations": self._stream(
                "locations",
                "location",
                queries.LOCATIONS_PAGE,
                "locations",
                RecordParts("legacyResourceId", "updatedAt", utc_time, mappers.map_location),
                count_at="locationsCount",
            ),
            "inventory": self._inventory(),
        }

    async def _with_refunds(self, client: UpstreamClient, orders: list[Any]) -> list[Any]:
        """Refunds in full (every refund line and refunded shipping line) for the orders that have any, in
        batches by cost."""
        nested = (self.nested["refundLineItems"], self.nested["refundShippingLines"])
        document = queries.order_refunds(*nested)
        ids = [o["id"] for o in orders if isinstance(o, dict) and o.get("refunds")]
        batch = fitted_batch(document, nested, self.page_cost_ceiling)
        sizes = {n.variable: n.page_size for n in nested}
        found: dict[str, list[Any]] = {}
        for start in range(0, len(ids), batch):
            data = await ENDPOINT.run(client, document, {"ids": ids[start : start + batch], **sizes})
            for node in data["nodes"]:
                if node is not None:
                    for connection in nested:
                        await read_nested(client, ENDPOINT, node, connection)
                    found[node["id"]] = node["refunds"]
        for order in orders:
            if isinstance(order, dict) and order.get("id") in found:
                order["refunds"] = found[order["id"]]
        return orders

    # --- verbs -------------------------------------------------------------------------------------

    async def check(self, client: UpstreamClient) -> dict[str, Any]:
        shop = (await ENDPOINT.run(client, queries.SHOP))["shop"] or {}
        return {"name": shop.get("name"), "currency": shop.get("currencyCode"), "domain": shop.get("myshopifyDomain")}

    async def fetch_record(self, client: UpstreamClient, stream: str, external_id: str) -> Any | None:
        """An order, product or customer by its numeric id or global id (None if it is gone)."""
        kinds = {"orders": "Order", "products": "Product", "customers": "Customer"}
        global_id = mappers.global_id(kinds[stream], external_id) if stream in kinds else None
        if global_id is None:
            return None
        source: GraphQLStream | BulkExportStream = self.streams[stream]  # type: ignore[assignment]
        return await source.fetch(client, global_id)

    async def push_inventory(self, client: UpstreamClient, changes: list[InventoryChange]) -> list[InventoryResult]:
        """One mutation per change, in order; a refused change fails alone (Shopify applies a mutation whole)."""
        return [await self._push(client, change) for change in changes]

    async def _push(self, client: UpstreamClient, change: InventoryChange) -> InventoryResult:
        location = change.location_external_id
        try:
            location = location or await self._primary(client)
            return await InventoryPush(client, change, location, self.quantity_name).run()
        except UpstreamError as exc:
            return InventoryResult(change.sku, location, False, error=exc.message)

    async def _primary(self, client: UpstreamClient) -> str:
        if self._primary_location is None:
            found = (await ENDPOINT.run(client, queries.PRIMARY_LOCATION))["location"]
            self._primary_location = mappers.numeric_id(found["id"])
        return self._primary_location


class InventoryPush:
    """One inventory change: find the variant's inventory item and its quantities at the location, then
    set (compare-and-set on on_hand) or adjust (a delta on available, guarded by the quantity just read)."""

    def __init__(self, client: UpstreamClient, change: InventoryChange, location: str, name: str) -> None:
        self.client, self.change, self.location, self.name = client, change, location, name

    def failed(self, reason: str) -> InventoryResult:
        return InventoryResult(self.change.sku, self.location, False, error=reason)

    def done(self, quantity_after: int | None) -> InventoryResult:
        return InventoryResult(self.change.sku, self.location, True, quantity_after=quantity_after)

    async def run(self) -> InventoryResult:
        change = self.change
        location = mappers.global_id("Location", self.location)
        if location is None:
            return self.failed(f"{self.location!r} is not a Shopify location id")
        if change.mode == "set" and change.quantity < 0:
            return self.failed("inventory cannot be set below zero")
        variant = await self._variant()
        if variant is None:
            return self.failed(f"no Shopify variant has SKU {change.sku!r}: sync products first")
        found = await ENDPOINT.run(self.client, queries.INVENTORY_TARGET, {"variant": variant, "location": location})
        item = (found.get("productVariant") or {}).get("inventoryItem")
        if not item:
            return self.failed(f"variant {variant} is not on the shop")
        if not item.get("inventoryLevel"):
            return self.failed(f"variant {variant} is not stocked at location {self.location}")
        current = _quantities(item["inventoryLevel"])
        target = {"inventoryItemId": item["id"], "locationId": location}
        return await (self._adjust(target, current) if change.mode == "adjust" else self._set(target, current))

    async def _variant(self) -> str | None:
        if self.change.variant_external_id:
            return mappers.global_id("ProductVariant", self.change.variant_external_id)
        search = {"query": f"sku:{json.dumps(self.change.sku)}"}
        found = await ENDPOINT.run(self.client, queries.VARIANTS_BY_SKU, search)
        matches = [v for v in found["productVariants"]["nodes"] if v.get("sku") == self.change.sku]
        return matches[0]["id"] if len(matches) == 1 else None

    async def _set(self, target: dict[str, str], current: dict[str, int]) -> InventoryResult:
        expected = self.change.compare_quantity
        compare = current[self.name] if expected is None else expected
        entry = {**target, "quantity": self.change.quantity, "changeFromQuantity": compare}
        answer = await self._mutate(
            queries.SET_QUANTITIES, "inventorySetQuantities", self.name, {"quantities": [entry]}
        )
        error = _user_errors(answer)
        after = _after(answer, "on_hand")
        return self.failed(error) if error else self.done(self.change.quantity if after is None else after)

    async def _adjust(self, target: dict[str, str], current: dict[str, int]) -> InventoryResult:
        on_hand, expected = current["on_hand"], self.change.compare_quantity
        if expected is not None and expected != on_hand:
            return self.failed(f"CHANGE_FROM_QUANTITY_STALE: on hand is {on_hand}, not {expected}")
        if on_hand + self.change.quantity < 0:
            return self.failed(f"inventory cannot go below zero: {on_hand} on hand, {self.change.quantity} asked")
        entry = {**target, "delta": self.change.quantity, "changeFromQuantity": current["available"]}
        answer = await self._mutate(
            queries.ADJUST_QUANTITIES, "inventoryAdjustQuantities", "available", {"changes": [entry]}
        )
        error = _user_errors(answer)
        after = _after(answer, "on_hand")
        return self.failed(error) if error else self.done(on_hand + self.change.quantity if after is None else after)

    async def _mutate(self, document: str, field: str, name: str, rows: dict[str, Any]) -> dict[str, Any]:
        """Run one inventory mutation under a fresh idempotency key (a retried request repeats it)."""
        key = str(uuid.uuid4())
        payload = {
            "name": name,
            "reason": REASON,
            "referenceDocumentUri": f"gid://ledgerlink/InventoryPush/{key}",
            **rows,
        }
        answer: dict[str, Any] = (await ENDPOINT.run(self.client, document, {"input": payload, "key": key}))[field]
        return answer
