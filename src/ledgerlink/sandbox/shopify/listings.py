"""Root connections over in-memory collections: what each can be searched and sorted by."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ledgerlink.sandbox.dataset import Product, Variant
from ledgerlink.sandbox.shopify.context import Ctx
from ledgerlink.sandbox.shopify.orders import ORDER_SEARCH, OrdersSource
from ledgerlink.sandbox.shopify.paging import CursorLife, Key, ListSource, connection
from ledgerlink.sandbox.shopify.search import Search, SearchFields, parse_search

Sort = tuple[Callable[[Any], Key], bool]  # key of an item, whether its value is a datetime


def sorts_by(**keys: Callable[[Any], Any]) -> dict[str, Sort]:
    """Sort keys from value functions; ties break on `.id`. Datetime-valued ones are flagged by suffix."""
    return {
        name: ((lambda item, value=value: (value(item), item.id)), name.endswith("_AT")) for name, value in keys.items()
    }


@dataclass(frozen=True)
class Listing:
    field: str
    search: SearchFields
    sorts: dict[str, Sort]

    def connection(self, items: Iterable[Any], ctx: Ctx, args: dict[str, Any], root: bool = True) -> dict[str, Any]:
        query = parse_search(args.get("query"))
        warn_unknown(ctx, self.field, args.get("query"), query, self.search)
        key, time_sorted = self.sorts.get(args.get("sortKey") or "ID", self.sorts["ID"])
        source = ListSource(items, key, query.matcher(self.search))
        return connection(source, args, ctx.bulk, root, time_sorted, cursor_life(ctx, root))

    def count(self, items: Iterable[Any], args: dict[str, Any]) -> int:
        matcher = parse_search(args.get("query")).matcher(self.search)
        return sum(1 for item in items if matcher is None or matcher(item))


def warn_unknown(ctx: Ctx, field: str, text: str | None, query: Search, spec: SearchFields) -> None:
    """Shopify answers unknown search fields with a warning in `extensions.search`, not an error."""
    unknown = query.unknown_fields(spec)
    if unknown:
        ctx.search_warnings.append(
            {
                "path": [field],
                "query": text,
                "warnings": [{"field": name, "message": "Invalid search field for this query."} for name in unknown],
            }
        )


def orders_connection(ctx: Ctx, args: dict[str, Any], root: bool = True) -> dict[str, Any]:
    query = parse_search(args.get("query"))
    warn_unknown(ctx, "orders", args.get("query"), query, ORDER_SEARCH)
    source = OrdersSource(ctx.store, args.get("sortKey"), query)
    return connection(source, args, ctx.bulk, root, source.time_sorted, cursor_life(ctx, root))


def cursor_life(ctx: Ctx, root: bool) -> CursorLife | None:
    """Cursors of a root connection read page by page expire (a bulk run's chunks are the sandbox's own)."""
    return ctx.state.cursors if root and ctx.bulk is None else None


def _variant_product(ctx: Ctx) -> Callable[[Variant], Product]:
    return lambda v: ctx.state.products[v.product_id]


PRODUCTS = Listing(
    "products",
    SearchFields(
        fields={
            "id": lambda p: p.id,
            "title": lambda p: p.title,
            "handle": lambda p: p.handle,
            "vendor": lambda p: p.vendor,
            "product_type": lambda p: p.product_type,
            "status": lambda p: p.status,
            "tag": lambda p: p.tags,
            "sku": lambda p: [v.sku for v in p.variants],
            "barcode": lambda p: [v.barcode for v in p.variants],
            "created_at": lambda p: p.created_at,
            "updated_at": lambda p: p.updated_at,
            "published_status": lambda p: "published" if p.status == "active" else "unpublished",
        },
        text=lambda p: [p.title, p.vendor, p.product_type, *p.tags],
    ),
    sorts_by(
        ID=lambda p: p.id,
        TITLE=lambda p: p.title.lower(),
        CREATED_AT=lambda p: p.created_at,
        UPDATED_AT=lambda p: p.updated_at,
        PRODUCT_TYPE=lambda p: p.product_type,
        VENDOR=lambda p: p.vendor,
    ),
)


def variants_listing(ctx: Ctx) -> Listing:
    product = _variant_product(ctx)
    return Listing(
        "productVariants",
        SearchFields(
            fields={
                "id": lambda v: v.id,
                "sku": lambda v: v.sku,
                "barcode": lambda v: v.barcode,
                "title": lambda v: v.title,
                "product_id": lambda v: v.product_id,
                "product_status": lambda v: product(v).status,
                "vendor": lambda v: product(v).vendor,
                "created_at": lambda v: product(v).created_at,
                "updated_at": lambda v: product(v).updated_at,
            },
            text=lambda v: [v.sku, v.title, product(v).title],
        ),
        sorts_by(
            ID=lambda v: v.id,
            SKU=lambda v: v.sku,
            TITLE=lambda v: v.title,
            FULL_TITLE=lambda v: f"{product(v).title} {v.title}",
            POSITION=lambda v: v.id,
        ),
    )


CUSTOMERS = Listing(
    "customers",
    SearchFields(
        fields={
            "id": lambda c: c.id,
            "email": lambda c: c.email,
            "first_name": lambda c: c.first_name,
            "last_name": lambda c: c.last_name,
            "phone": lambda c: c.phone,
            "country": lambda c: c.address.country_code,
            "created_at": lambda c: c.created_at,
            "updated_at": lambda c: c.updated_at,
            "accepts_marketing": lambda c: c.accepts_marketing,
            "state": lambda c: "enabled",
        },
        text=lambda c: [c.email, c.first_name, c.last_name, c.phone],
    ),
    sorts_by(
        ID=lambda c: c.id,
        CREATED_AT=lambda c: c.created_at,
        UPDATED_AT=lambda c: c.updated_at,
        NAME=lambda c: f"{c.first_name} {c.last_name}".lower(),
        LOCATION=lambda c: c.address.country_code,
    ),
)


LOCATIONS = Listing(
    "locations",
    SearchFields(
        fields={
            "id": lambda loc: loc.id,
            "name": lambda loc: loc.name,
            "active": lambda loc: loc.active,
            "country": lambda loc: loc.country_code,
        },
        text=lambda loc: [loc.name],
    ),
    sorts_by(ID=lambda loc: loc.id, NAME=lambda loc: loc.name),
)


def _item_sorts() -> dict[str, Sort]:
    return {"ID": (lambda r: (r.variant.inventory_item_id, r.variant.inventory_item_id), False)}


INVENTORY_ITEMS = Listing(
    "inventoryItems",
    SearchFields(
        fields={"id": lambda r: r.variant.inventory_item_id, "sku": lambda r: r.variant.sku},
        text=lambda r: [r.variant.sku],
    ),
    _item_sorts(),
)
