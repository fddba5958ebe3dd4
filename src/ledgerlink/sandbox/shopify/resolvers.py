"""Executing against the official schema: the root fields, the mutations, node lookup, and the one
field resolver that dispatches every field to its type's table (fields.py) or a sensible default."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLResolveInfo,
    GraphQLScalarType,
    is_abstract_type,
    is_list_type,
)
from graphql.execution.values import get_directive_values

from ledgerlink.sandbox.dataset import Customer, Location, Order, Product, Variant
from ledgerlink.sandbox.shopify.bulk import BULK_OPERATION, BULK_OPERATIONS, BulkOperation
from ledgerlink.sandbox.shopify.context import Ctx
from ledgerlink.sandbox.shopify.fields import Blank, FieldMap, WithArgs, WithInfo
from ledgerlink.sandbox.shopify.formats import GlobalId, gid, iso, parse_gid
from ledgerlink.sandbox.shopify.inventory import filter_changes
from ledgerlink.sandbox.shopify.listings import (
    CUSTOMERS,
    INVENTORY_ITEMS,
    LOCATIONS,
    PRODUCTS,
    Listing,
    orders_connection,
    variants_listing,
)
from ledgerlink.sandbox.shopify.orders import OrdersSource
from ledgerlink.sandbox.shopify.refs import (
    AddressRef,
    FulfillmentLineRef,
    FulfillmentRef,
    ItemRef,
    LevelRef,
    LineRef,
    RefundLineRef,
    RefundRef,
    RefundShippingRef,
    ShippingRef,
)
from ledgerlink.sandbox.shopify.render_catalog import CATALOG_TYPES
from ledgerlink.sandbox.shopify.render_common import MAILING_ADDRESS, count
from ledgerlink.sandbox.shopify.render_customers import CUSTOMER_TYPES, shop_fields
from ledgerlink.sandbox.shopify.render_orders import FULFILLMENT_ID_BASE, ORDER_TYPES
from ledgerlink.sandbox.shopify.search import parse_search
from ledgerlink.sandbox.shopify.webhooks import WEBHOOK_SUBSCRIPTION, WEBHOOKS, Subscription

COUNT_LIMIT = 10_000  # Shopify's default `limit` on *Count fields
LINE_ID_BASE, REFUND_ID_BASE = 1_000_000, 3_000_000  # dataset ids: base + order index * 10 + n


# --- node lookup ---------------------------------------------------------------------------------


def _order_of(ctx: Ctx, ident: int, base: int) -> Order | None:
    return ctx.store.order_by_id(100_000 + (ident - base) // 10) if ident >= base else None


def _line_item(ctx: Ctx, g: GlobalId) -> LineRef | None:
    order = _order_of(ctx, g.ident, LINE_ID_BASE)
    return next((LineRef(order, line) for line in order.lines if line.id == g.ident), None) if order else None


def _refund(ctx: Ctx, g: GlobalId) -> RefundRef | None:
    order = _order_of(ctx, g.ident, REFUND_ID_BASE)
    return next((RefundRef(order, r) for r in order.refunds if r.id == g.ident), None) if order else None


def _fulfillment(ctx: Ctx, g: GlobalId) -> FulfillmentRef | None:
    order = ctx.store.order_by_id(g.ident - FULFILLMENT_ID_BASE)
    return FulfillmentRef(order) if order and any(line.fulfilled_quantity for line in order.lines) else None


def _inventory_level(ctx: Ctx, g: GlobalId) -> LevelRef | None:
    location = ctx.state.locations.get(g.ident)
    variant = ctx.state.inventory_items.get(int(g.params.get("inventory_item_id", "0") or 0))
    return LevelRef(variant, location) if variant and location and location.id in variant.stock else None


def _item(ctx: Ctx, g: GlobalId) -> ItemRef | None:
    variant = ctx.state.inventory_items.get(g.ident)
    return ItemRef(variant) if variant else None


NODE_LOADERS: dict[str, Callable[[Ctx, GlobalId], Any]] = {
    "Order": lambda ctx, g: ctx.store.order_by_id(g.ident),
    "LineItem": _line_item,
    "Refund": _refund,
    "Fulfillment": _fulfillment,
    "Product": lambda ctx, g: ctx.state.products.get(g.ident),
    "ProductVariant": lambda ctx, g: ctx.state.variants.get(g.ident),
    "InventoryItem": _item,
    "InventoryLevel": _inventory_level,
    "Location": lambda ctx, g: ctx.state.locations.get(g.ident),
    "Customer": lambda ctx, g: ctx.state.customers.get(g.ident),
    "BulkOperation": lambda ctx, g: ctx.state.bulk.get(g.ident),
    "WebhookSubscription": lambda ctx, g: ctx.state.webhooks.get(g.ident),
}


def node(ctx: Ctx, value: str, kind: str | None = None) -> Any:
    """The object a global id names (None if unknown, or not of `kind`)."""
    parsed = parse_gid(value)
    loader = NODE_LOADERS.get(parsed.kind)
    return loader(ctx, parsed) if loader and kind in {None, parsed.kind} else None


def _by_id(kind: str) -> WithArgs:
    return WithArgs(lambda _, ctx, a: node(ctx, a["id"], kind))


# --- root fields ---------------------------------------------------------------------------------


def _orders_count(_: Any, ctx: Ctx, args: dict[str, Any]) -> dict[str, Any]:
    limit = args.get("limit", COUNT_LIMIT)
    source = OrdersSource(ctx.store, None, parse_search(args.get("query")))
    return count(source.count(ctx.store.orders_count if limit is None else limit + 1), limit)


def _counted(listing: Listing, items: Callable[[Ctx], list[Any]]) -> WithArgs:
    return WithArgs(lambda _, ctx, a: count(listing.count(items(ctx), a), a.get("limit", COUNT_LIMIT)))


def _locations(ctx: Ctx, args: dict[str, Any]) -> list[Location]:
    return [loc for loc in ctx.store.locations if loc.active or args.get("includeInactive")]


QUERY: FieldMap = {
    "shop": lambda _, ctx: shop_fields(ctx),
    "node": WithArgs(lambda _, ctx, a: node(ctx, a["id"])),
    "nodes": WithArgs(lambda _, ctx, a: [node(ctx, ident) for ident in a["ids"]]),
    "order": _by_id("Order"),
    "orders": WithArgs(lambda _, ctx, a: orders_connection(ctx, a)),
    "ordersCount": WithArgs(_orders_count),
    "product": _by_id("Product"),
    "products": WithArgs(lambda _, ctx, a: PRODUCTS.connection(ctx.store.products, ctx, a)),
    "productsCount": _counted(PRODUCTS, lambda ctx: ctx.store.products),
    "productVariant": _by_id("ProductVariant"),
    "productVariants": WithArgs(lambda _, ctx, a: variants_listing(ctx).connection(ctx.store.variants, ctx, a)),
    "productVariantsCount": WithArgs(
        lambda _, ctx, a: count(variants_listing(ctx).count(ctx.store.variants, a), a.get("limit", COUNT_LIMIT))
    ),
    "customer": _by_id("Customer"),
    "customers": WithArgs(lambda _, ctx, a: CUSTOMERS.connection(ctx.store.customers, ctx, a)),
    "customersCount": _counted(CUSTOMERS, lambda ctx: ctx.store.customers),
    "location": WithArgs(lambda _, ctx, a: node(ctx, a["id"], "Location") if a.get("id") else ctx.store.locations[0]),
    "locations": WithArgs(lambda _, ctx, a: LOCATIONS.connection(_locations(ctx, a), ctx, a)),
    "locationsCount": _counted(LOCATIONS, lambda ctx: _locations(ctx, {})),
    "inventoryItem": _by_id("InventoryItem"),
    "inventoryItems": WithArgs(
        lambda _, ctx, a: INVENTORY_ITEMS.connection([ItemRef(v) for v in ctx.store.variants], ctx, a)
    ),
    "inventoryLevel": _by_id("InventoryLevel"),
    "currentBulkOperation": lambda _, ctx: ctx.state.bulk.current(),
    "bulkOperation": _by_id("BulkOperation"),
    "bulkOperations": WithArgs(lambda _, ctx, a: BULK_OPERATIONS.connection(ctx.state.bulk.all(), ctx, a)),
    "webhookSubscription": _by_id("WebhookSubscription"),
    "webhookSubscriptions": WithArgs(lambda _, ctx, a: WEBHOOKS.connection(ctx.state.webhooks.filtered(a), ctx, a)),
    "webhookSubscriptionsCount": _counted(WEBHOOKS, lambda ctx: ctx.state.webhooks.all()),
}


# --- mutations -----------------------------------------------------------------------------------


def idempotency_key(info: GraphQLResolveInfo) -> str | None:
    directive = info.schema.get_directive("idempotent")
    values = get_directive_values(directive, info.field_nodes[0], info.variable_values) if directive else None
    return values.get("key") if values else None


MUTATION: FieldMap = {
    "inventorySetQuantities": WithInfo(
        lambda _, info, a: info.context.state.inventory.set_quantities(a["input"], idempotency_key(info))
    ),
    "inventoryAdjustQuantities": WithInfo(
        lambda _, info, a: info.context.state.inventory.adjust_quantities(a["input"], idempotency_key(info))
    ),
    "bulkOperationRunQuery": WithArgs(lambda _, ctx, a: ctx.state.bulk.run_query(a["query"], ctx)),
    "bulkOperationCancel": WithArgs(lambda _, ctx, a: ctx.state.bulk.cancel(a["id"])),
    "webhookSubscriptionCreate": WithArgs(
        lambda _, ctx, a: ctx.state.webhooks.create(a["topic"], a["webhookSubscription"])
    ),
    "webhookSubscriptionUpdate": WithArgs(
        lambda _, ctx, a: ctx.state.webhooks.update(a["id"], a["webhookSubscription"])
    ),
    "webhookSubscriptionDelete": WithArgs(lambda _, ctx, a: ctx.state.webhooks.delete(a["id"])),
}


# --- dispatch ------------------------------------------------------------------------------------

FIELDS: dict[str, FieldMap] = {
    "QueryRoot": QUERY,
    "Mutation": MUTATION,
    **ORDER_TYPES,
    **CATALOG_TYPES,
    **CUSTOMER_TYPES,
    "MailingAddress": MAILING_ADDRESS,
    "BulkOperation": BULK_OPERATION,
    "WebhookSubscription": WEBHOOK_SUBSCRIPTION,
    "InventoryAdjustmentGroup": {"changes": WithArgs(lambda g, _, a: filter_changes(g["changes"], a))},
}

TYPENAMES: dict[type, str] = {
    Order: "Order",
    LineRef: "LineItem",
    ShippingRef: "ShippingLine",
    RefundRef: "Refund",
    RefundLineRef: "RefundLineItem",
    RefundShippingRef: "RefundShippingLine",
    FulfillmentRef: "Fulfillment",
    FulfillmentLineRef: "FulfillmentLineItem",
    Product: "Product",
    Variant: "ProductVariant",
    ItemRef: "InventoryItem",
    LevelRef: "InventoryLevel",
    Location: "Location",
    Customer: "Customer",
    AddressRef: "MailingAddress",
    BulkOperation: "BulkOperation",
    Subscription: "WebhookSubscription",
}


def resolve_field(source: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
    """Every field: the type's table entry, else the key of a dict source; a null that the schema
    forbids becomes the type's default (placeholder) so that unmodelled fields never break a query."""
    table = FIELDS.get(info.parent_type.name)
    fn = table.get(info.field_name) if table is not None and type(source) is not Blank else None
    if fn is None:
        value = source.get(info.field_name) if isinstance(source, dict) else None
    elif type(fn) is WithArgs:
        value = fn.fn(source, info.context, args)
    elif type(fn) is WithInfo:
        value = fn.fn(source, info, args)
    else:
        value = fn(source, info.context)  # type: ignore[operator]
    if value is None and type(info.return_type) is GraphQLNonNull:
        return placeholder(info.return_type.of_type, info)
    return value


def resolve_type(value: Any, info: GraphQLResolveInfo, abstract: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("__typename") or info.schema.get_possible_types(abstract)[0].name
    return TYPENAMES.get(type(value))


def placeholder(named: Any, info: GraphQLResolveInfo) -> Any:
    if is_list_type(named):
        return []
    if isinstance(named, GraphQLEnumType):
        return next(iter(named.values))
    if isinstance(named, GraphQLScalarType):
        return _scalar_default(named, info)
    if is_abstract_type(named):
        return Blank(__typename=info.schema.get_possible_types(named)[0].name)
    return Blank()


def _scalar_default(scalar: GraphQLNamedType, info: GraphQLResolveInfo) -> Any:
    ctx: Ctx = info.context
    defaults: dict[str, Any] = {
        "String": "",
        "Int": 0,
        "Float": 0.0,
        "Boolean": False,
        "ID": gid(info.parent_type.name, 0),
        "Decimal": "0.0",
        "Money": "0.00",
        "UnsignedInt64": "0",
        "BigInt": "0",
        "HTML": "",
        "JSON": {},
        "FormattedString": "",
        "DateTime": iso(ctx.store.start),
        "Date": ctx.store.start.date().isoformat(),
        "URL": f"https://{ctx.state.identity.domain}",
        "Color": "#000000",
        "UtcOffset": "+00:00",
    }
    return defaults.get(scalar.name, "")
