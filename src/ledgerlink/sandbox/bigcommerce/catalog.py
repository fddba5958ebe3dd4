"""v3 catalog (products_catalog.v3.yml, product-variants_catalog.v3.yml): products and their variants."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from ledgerlink.sandbox.bigcommerce import query, stock
from ledgerlink.sandbox.bigcommerce.context import Context
from ledgerlink.sandbox.bigcommerce.formats import ZERO, iso8601
from ledgerlink.sandbox.bigcommerce.order_docs import option_name
from ledgerlink.sandbox.bigcommerce.responses import JSON, NotFound
from ledgerlink.sandbox.bigcommerce.routing import ApiRoute, path_id
from ledgerlink.sandbox.dataset import PRODUCT_KINDS, VENDORS, Product, Variant

SORTS: dict[str, Callable[[Product], Any]] = {
    "id": lambda p: p.id,
    "name": lambda p: p.title,
    "sku": lambda p: product_sku(p),
    "price": lambda p: p.variants[0].price,
    "date_modified": lambda p: p.updated_at,
    "inventory_level": lambda p: stock.product_inventory_level(p),
    "is_visible": lambda p: p.status == "active",
}
CATEGORY_BASE = 20  # category ids: one per product type


def product_sku(product: Product) -> str:
    """The parent SKU: what the variants' SKUs share before their option suffix."""
    return product.variants[0].sku.rsplit("-", 1)[0] if len(product.variants) > 1 else product.variants[0].sku


def variant_doc(product: Product, variant: Variant) -> dict[str, Any]:
    options = (
        []
        if len(product.variants) < 2
        else [
            {
                "id": variant.id,
                "label": variant.option,
                "option_id": product.id,
                "option_display_name": option_name(product),
            }
        ]
    )
    return {
        "id": variant.id,
        "product_id": product.id,
        "sku": variant.sku,
        "sku_id": variant.inventory_item_id,
        "price": variant.price,
        "calculated_price": variant.price,
        "sale_price": None,
        "retail_price": variant.compare_at_price,
        "map_price": None,
        "cost_price": ZERO,
        "weight": Decimal(variant.weight_grams),
        "calculated_weight": Decimal(variant.weight_grams),
        "width": None,
        "height": None,
        "depth": None,
        "is_free_shipping": False,
        "fixed_cost_shipping_price": None,
        "purchasing_disabled": product.status != "active",
        "purchasing_disabled_message": "",
        "image_url": "",
        "upc": variant.barcode,
        "mpn": None,
        "gtin": None,
        "inventory_level": stock.inventory_level(variant),
        "inventory_warning_level": 0,
        "bin_picking_number": "",
        "option_values": options,
    }


def product_doc(product: Product, include: set[str]) -> dict[str, Any]:
    base = product.variants[0]
    doc: dict[str, Any] = {
        "id": product.id,
        "name": product.title,
        "type": "physical",
        "sku": product_sku(product),
        "description": product.description,
        "weight": Decimal(base.weight_grams),
        "width": ZERO,
        "depth": ZERO,
        "height": ZERO,
        "price": base.price,
        "cost_price": ZERO,
        "retail_price": base.compare_at_price or ZERO,
        "sale_price": ZERO,
        "map_price": ZERO,
        "tax_class_id": 0,
        "product_tax_code": "",
        "calculated_price": base.price,
        "categories": [_category_id(product)],
        "brand_id": _brand_id(product),
        "option_set_display": "right",
        "inventory_level": stock.product_inventory_level(product),
        "inventory_warning_level": 0,
        "inventory_tracking": "variant" if len(product.variants) > 1 else "product",
        "reviews_rating_sum": 0,
        "reviews_count": 0,
        "total_sold": 0,
        "fixed_cost_shipping_price": ZERO,
        "is_free_shipping": False,
        "is_visible": product.status == "active",
        "is_featured": "sale" in product.tags,
        "related_products": [-1],
        "warranty": "",
        "bin_picking_number": "",
        "layout_file": "product.html",
        "upc": base.barcode,
        "mpn": "",
        "gtin": "",
        "date_last_imported": "",
        "search_keywords": ", ".join(product.tags),
        "availability": "disabled" if product.status == "archived" else "available",
        "availability_description": "",
        "gift_wrapping_options_type": "any",
        "gift_wrapping_options_list": [],
        "sort_order": 0,
        "condition": "New",
        "is_condition_shown": False,
        "order_quantity_minimum": 0,
        "order_quantity_maximum": 0,
        "page_title": "",
        "meta_keywords": [],
        "meta_description": "",
        "view_count": 0,
        "preorder_release_date": None,
        "preorder_message": "",
        "is_preorder_only": False,
        "is_price_hidden": False,
        "price_hidden_label": "",
        "custom_url": {"url": f"/{product.handle}/", "is_customized": False},
        "base_variant_id": base.id,
        "open_graph_type": "product",
        "open_graph_title": "",
        "open_graph_description": "",
        "open_graph_use_meta_description": True,
        "open_graph_use_product_name": True,
        "open_graph_use_image": True,
        "date_created": iso8601(product.created_at),
        "date_modified": iso8601(product.updated_at),
    }
    if "variants" in include:
        doc["variants"] = [variant_doc(product, v) for v in product.variants]
    for extra in include & {"images", "custom_fields", "bulk_pricing_rules", "videos", "options", "modifiers"}:
        doc[extra] = []
    return doc


def _category_id(product: Product) -> int:
    types = list(dict.fromkeys(kind[1] for kind in PRODUCT_KINDS))
    return CATEGORY_BASE + (types.index(product.product_type) if product.product_type in types else len(types))


def _brand_id(product: Product) -> int:
    return VENDORS.index(product.vendor) + 1 if product.vendor in VENDORS else 0


def project(doc: dict[str, Any], params: QueryParams) -> dict[str, Any]:
    """`include_fields` keeps only those (and the id); `exclude_fields` drops those."""
    keep, drop = query.strings(params, "include_fields"), query.strings(params, "exclude_fields")
    if keep:
        doc = {k: v for k, v in doc.items() if k in {"id", "variants", *keep}}
    if drop:
        doc = {k: v for k, v in doc.items() if k == "id" or k not in drop}
    return doc


@dataclass(frozen=True)
class ProductFilter:
    ids: list[int] | None
    id_checks: tuple[Callable[[int], bool], ...]
    sku: str | None
    skus: list[str] | None
    visible: bool | None
    name: str | None
    modified_min: datetime | None
    modified_max: datetime | None

    @classmethod
    def parse(cls, params: QueryParams) -> ProductFilter:
        return cls(
            ids=query.integers(params, "id:in"),
            id_checks=_id_checks(params),
            sku=query.text(params, "sku"),
            skus=query.strings(params, "sku:in"),
            visible=query.boolean(params, "is_visible"),
            name=query.text(params, "name"),
            modified_min=query.date(params, "date_modified:min"),
            modified_max=query.date(params, "date_modified:max"),
        )

    def matches(self, product: Product) -> bool:
        skus = {product_sku(product), *(v.sku for v in product.variants)}
        return (
            (self.ids is None or product.id in self.ids)
            and all(check(product.id) for check in self.id_checks)
            and (self.sku is None or self.sku in skus)
            and (self.skus is None or bool(skus & set(self.skus)))
            and (self.visible is None or (product.status == "active") == self.visible)
            and (self.name is None or product.title == self.name)
            and query.within(query.shown(product.updated_at), self.modified_min, self.modified_max)
        )


ID_COMPARISONS: dict[str, Callable[[int, int], bool]] = {
    "id": operator.eq,
    "id:min": operator.ge,
    "id:max": operator.le,
    "id:greater": operator.gt,
    "id:less": operator.lt,
}


def _id_checks(params: QueryParams) -> tuple[Callable[[int], bool], ...]:
    bounds = {name: query.integer(params, name) for name in ID_COMPARISONS}
    return tuple(
        functools.partial(_compare, ID_COMPARISONS[name], value) for name, value in bounds.items() if value is not None
    )


def _compare(op: Callable[[int, int], bool], bound: int, value: int) -> bool:
    return op(value, bound)


def _includes(params: QueryParams) -> set[str]:
    return set(query.strings(params, "include") or [])


def find_product(ctx: Context, request: Request) -> Product:
    product = ctx.products_by_id.get(path_id(request, "product_id"))
    if product is None:
        raise NotFound("The product was not found.")
    return product


async def list_products(ctx: Context, request: Request) -> Response:
    params = request.query_params
    sort = query.choice(params, "sort", list(SORTS)) or "id"
    descending = query.choice(params, "direction", ["asc", "desc"]) == "desc"
    query.page_and_limit(params)  # refused before any work if invalid
    flt = ProductFilter.parse(params)
    products = [p for p in ctx.store.products if flt.matches(p)]
    products.sort(key=lambda p: (SORTS[sort](p), p.id), reverse=descending)
    include = _includes(params)
    return JSON(query.collection(request, products, lambda p: project(product_doc(p, include), params)))


async def get_product(ctx: Context, request: Request) -> Response:
    doc = product_doc(find_product(ctx, request), _includes(request.query_params))
    return JSON({"data": project(doc, request.query_params), "meta": {}})


async def product_variants(ctx: Context, request: Request) -> Response:
    product = find_product(ctx, request)
    return JSON(
        query.collection(request, product.variants, lambda v: project(variant_doc(product, v), request.query_params))
    )


ROUTES = [
    ApiRoute("v3", "GET", "/v3/catalog/products", list_products),
    ApiRoute("v3", "GET", "/v3/catalog/products/{product_id}", get_product),
    ApiRoute("v3", "GET", "/v3/catalog/products/{product_id}/variants", product_variants),
]
