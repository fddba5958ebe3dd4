"""Products and variations: GET lists and items, PUT items, POST batch updates."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ledgerlink.sandbox.dataset import Product, Variant
from ledgerlink.sandbox.woocommerce.api_orders import orderby_include_check
from ledgerlink.sandbox.woocommerce.catalog import STATUS_TO_WOO, STOCK_STATUSES, Catalog, Changes
from ledgerlink.sandbox.woocommerce.routing import EDITABLE, Endpoint
from ledgerlink.sandbox.woocommerce.wire import (
    DateRange,
    Params,
    Window,
    WooError,
    invalid_id,
    invalid_json,
    json_body,
    page_of,
    paginated,
    respond,
    site_url,
)

ORDERBY = ("date", "id", "include", "title", "slug", "price", "popularity", "rating", "menu_order", "modified")
STATUSES = ("any", "future", "trash", "draft", "pending", "private", "publish")
TYPES = ("simple", "grouped", "external", "variable")
BATCH_LIMIT = 100
UNSUPPORTED = {
    "create": ("woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."),
    "delete": ("woocommerce_rest_cannot_delete", "Sorry, you are not allowed to delete this resource."),
}


@dataclass(frozen=True)
class CatalogQuery:
    window: Window
    dates: DateRange
    include: tuple[int, ...]
    exclude: frozenset[int]
    search: str | None
    skus: frozenset[str]
    stock_status: str | None
    orderby: str
    descending: bool
    status: str
    type: str | None
    category: int | None
    tag: int | None

    @classmethod
    def parse(cls, request: Request) -> CatalogQuery:
        p = Params(request.query_params)
        query = cls(
            window=p.window(),
            dates=p.date_range(),
            include=tuple(p.id_list("include")),
            exclude=frozenset(p.id_list("exclude")),
            search=p.string("search"),
            skus=frozenset(s.strip() for s in (p.string("sku") or "").split(",") if s.strip()),
            stock_status=p.enum("stock_status", STOCK_STATUSES, None),
            orderby=p.enum("orderby", ORDERBY, "date") or "date",
            descending=p.order(),
            status=p.enum("status", STATUSES, "any") or "any",
            type=p.enum("type", TYPES, None),
            category=p.integer("category"),
            tag=p.integer("tag"),
        )
        p.check()
        orderby_include_check(query.orderby, list(query.include))
        return query

    def admits(
        self, item_id: int, text: str, sku: str, stock_status: str, created: datetime, modified: datetime
    ) -> bool:
        return (
            (not self.include or item_id in self.include)
            and item_id not in self.exclude
            and (not self.search or self.search.casefold() in text.casefold())
            and (not self.skus or sku in self.skus)
            and (self.stock_status is None or stock_status == self.stock_status)
            and self.dates.admits(created, modified)
        )

    def sort(self, items: list[Any], key: Callable[[Any], Any]) -> list[Any]:
        if self.orderby == "include":
            return sorted(items, key=lambda item: self.include.index(item["id"]))
        return sorted(items, key=key, reverse=self.descending)


def _sort_key(orderby: str) -> Callable[[dict[str, Any]], Any]:
    """WooCommerce breaks ties by ID; menu_order, popularity and rating are all equal here."""
    fields = {"date": "date_created_gmt", "modified": "date_modified_gmt", "title": "name", "slug": "slug"}
    if orderby == "price":
        return lambda item: (float(item["price"] or 0), item["id"])
    if orderby in fields:
        return lambda item: (str(item.get(fields[orderby]) or ""), item["id"])
    return lambda item: item["id"]


class CatalogAPI:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def endpoints(self) -> list[Endpoint]:
        product, variation = "/products/{product_id:int}", "/products/{product_id:int}/variations/{variation_id:int}"
        return [
            Endpoint("/products", "list", self.list_products, self.parse_query),
            Endpoint("/products/batch", "batch", self.batch_products, self.parse_batch, EDITABLE),
            Endpoint(product, "view", self.get_product, self.parse_product),
            Endpoint(product, "edit", self.put_product, self.parse_product_edit, EDITABLE),
            Endpoint(f"{product}/variations", "list", self.list_variations, self.parse_query),
            Endpoint(f"{product}/variations/batch", "batch", self.batch_variations, self.parse_batch, EDITABLE),
            Endpoint(variation, "view", self.get_variation, self.parse_variation),
            Endpoint(variation, "edit", self.put_variation, self.parse_variation_edit, EDITABLE),
        ]

    # -- lookups -------------------------------------------------------------------------------

    def _product(self, product_id: int, status: int = 404) -> Product:
        product = self.catalog.product(product_id)
        if product is None:
            raise invalid_id("product", status)
        return product

    def _variation(self, product: Product, variation_id: int, status: int = 404) -> Variant:
        variant = self.catalog.variation(product, variation_id)
        if variant is None:
            raise invalid_id("product_variation", status)
        return variant

    # -- products ------------------------------------------------------------------------------

    async def parse_query(self, request: Request) -> CatalogQuery:
        return CatalogQuery.parse(request)

    def _product_admitted(self, q: CatalogQuery, p: Product) -> bool:
        first = p.variants[0]
        sku = first.sku.rsplit("-", 1)[0] if self.catalog.is_variable(p) else first.sku
        return (
            q.admits(
                p.id,
                f"{p.title} {p.description}",
                sku,
                self.catalog.product_stock_status(p),
                p.created_at,
                p.updated_at,
            )
            and (q.status == "any" or STATUS_TO_WOO[p.status] == q.status)
            and (q.type is None or q.type == ("variable" if self.catalog.is_variable(p) else "simple"))
            and (q.category is None or self.catalog.categories[p.product_type] == q.category)
            and (q.tag is None or q.tag in {self.catalog.tags[t] for t in p.tags})
        )

    async def list_products(self, request: Request, q: CatalogQuery) -> Response:
        site = site_url(request)
        products = [p for p in self.catalog.store.products if self._product_admitted(q, p)]
        items = [self.catalog.product_json(p, site) for p in products]
        return self._page(request, q, items)

    @staticmethod
    def _page(request: Request, q: CatalogQuery, items: list[dict[str, Any]]) -> Response:
        ordered = q.sort(items, _sort_key(q.orderby))
        return paginated(request, page_of(ordered, q.window), len(ordered), q.window)

    async def parse_product(self, request: Request) -> Product:
        return self._product(request.path_params["product_id"])

    async def get_product(self, request: Request, product: Product) -> Response:
        return respond(request, self.catalog.product_json(product, site_url(request)))

    async def parse_product_edit(self, request: Request) -> tuple[Product, Changes]:
        body = await json_body(request)
        return self._product(request.path_params["product_id"], 400), Changes.parse(body)

    async def put_product(self, request: Request, args: tuple[Product, Changes]) -> Response:
        product, changes = args
        self.catalog.update_product(product, changes)
        return respond(request, self.catalog.product_json(product, site_url(request)))

    # -- variations ----------------------------------------------------------------------------

    async def list_variations(self, request: Request, q: CatalogQuery) -> Response:
        product = self._product(request.path_params["product_id"])
        site = site_url(request)
        variants = product.variants if self.catalog.is_variable(product) else []
        items = [
            self.catalog.variation_json(product, v, site)
            for v in variants
            if q.admits(
                v.id,
                f"{product.title} {v.option}",
                v.sku,
                self.catalog.stock_status(v),
                product.created_at,
                self.catalog.variation_modified(product, v),
            )
        ]
        return self._page(request, q, items)

    async def parse_variation(self, request: Request) -> tuple[Product, Variant]:
        product = self._product(request.path_params["product_id"])
        return product, self._variation(product, request.path_params["variation_id"])

    async def get_variation(self, request: Request, args: tuple[Product, Variant]) -> Response:
        return respond(request, self.catalog.variation_json(*args, site_url(request)))

    async def parse_variation_edit(self, request: Request) -> tuple[Product, Variant, Changes]:
        body = await json_body(request)
        product = self._product(request.path_params["product_id"], 400)
        return product, self._variation(product, request.path_params["variation_id"], 400), Changes.parse(body)

    async def put_variation(self, request: Request, args: tuple[Product, Variant, Changes]) -> Response:
        product, variant, changes = args
        self.catalog.update_variation(product, variant, changes)
        return respond(request, self.catalog.variation_json(product, variant, site_url(request)))

    # -- batch ---------------------------------------------------------------------------------

    async def parse_batch(self, request: Request) -> dict[str, list[Any]]:
        body = await json_body(request)
        p = Params(body)
        groups = {}
        for action in ("create", "update", "delete"):
            value = body.get(action, [])
            if not isinstance(value, list):
                p.fail(action, "rest_invalid_type", f"{action} is not of type array.")
            groups[action] = value if isinstance(value, list) else []
        p.check()
        if sum(map(len, groups.values())) > BATCH_LIMIT:
            raise WooError(
                413,
                "woocommerce_rest_request_entity_too_large",
                f"Unable to accept more than {BATCH_LIMIT} items for this request.",
            )
        return groups

    def _batch(self, groups: dict[str, list[Any]], update: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
        result: dict[str, list[Any]] = {}
        for action, items in groups.items():
            if items:
                result[action] = [self._batch_item(action, item, update) for item in items]
        return result

    @staticmethod
    def _batch_item(action: str, item: Any, update: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
        item_id = item.get("id", 0) if isinstance(item, dict) else item
        try:
            if action in UNSUPPORTED:
                raise WooError(401, *UNSUPPORTED[action])
            if not isinstance(item, dict):
                raise invalid_json()
            return update(item)
        except WooError as error:
            return {"id": item_id, "error": error.body()}

    @staticmethod
    def _item_id(item: dict[str, Any]) -> int:
        raw = item.get("id")
        return int(raw) if isinstance(raw, int) or (isinstance(raw, str) and raw.isdigit()) else 0

    async def batch_products(self, request: Request, groups: dict[str, list[Any]]) -> Response:
        site = site_url(request)

        def update(item: dict[str, Any]) -> dict[str, Any]:
            product, changes = self._product(self._item_id(item), 400), Changes.parse(item)
            self.catalog.update_product(product, changes)
            return self.catalog.product_json(product, site)

        return respond(request, self._batch(groups, update))

    async def batch_variations(self, request: Request, groups: dict[str, list[Any]]) -> Response:
        product, site = self._product(request.path_params["product_id"]), site_url(request)

        def update(item: dict[str, Any]) -> dict[str, Any]:
            variant, changes = self._variation(product, self._item_id(item), 400), Changes.parse(item)
            self.catalog.update_variation(product, variant, changes)
            return self.catalog.variation_json(product, variant, site)

        return respond(request, self._batch(groups, update))
