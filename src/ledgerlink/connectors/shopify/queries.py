"""The GraphQL documents the Shopify connector sends (Admin API 2026-10), each with the fragments it uses.

Every object that has an `id` selects it, and every node of a nested connection its `__typename`: a bulk
export adds the first and needs the second to tell its lines apart, so selecting both here keeps a
record identical whether it was paged or exported. Nested connections are asked for `$<field>First`
nodes and read on when they hold more (framework.graphql.Nested); their sizes keep a page's requested
cost low: an order page's cost per order is listed in the connector.
"""

from __future__ import annotations

import json
import re

from ledgerlink.connectors.framework.graphql import PAGE_INFO, Nested
from ledgerlink.connectors.shopify.schema import API_VERSION

API_PATH = f"/admin/api/{API_VERSION}/graphql.json"
# The quantities an inventory level is read with: `reserved` in the hub is all that is not available.
QUANTITY_NAMES = ("available", "on_hand")

FRAGMENTS: dict[str, str] = {
    "MoneyBagFields": "fragment MoneyBagFields on MoneyBag { shopMoney { amount currencyCode } "
    "presentmentMoney { amount currencyCode } }",
    "TaxLineFields": "fragment TaxLineFields on TaxLine { title rate priceSet { ...MoneyBagFields } }",
    "AddressFields": "fragment AddressFields on MailingAddress { id name firstName lastName company address1 "
    "address2 city province provinceCode zip countryCodeV2 phone }",
    "CustomerFields": "fragment CustomerFields on Customer { id legacyResourceId firstName lastName note tags "
    "taxExempt updatedAt defaultEmailAddress { emailAddress marketingState } defaultPhoneNumber { phoneNumber } "
    "defaultAddress { id company } }",
    "OrderFields": "fragment OrderFields on Order { id legacyResourceId name email createdAt processedAt updatedAt "
    "closedAt cancelledAt cancelReason note tags currencyCode presentmentCurrencyCode taxesIncluded "
    "displayFinancialStatus displayFulfillmentStatus discountCodes "
    "subtotalPriceSet { ...MoneyBagFields } totalDiscountsSet { ...MoneyBagFields } "
    "cartDiscountAmountSet { ...MoneyBagFields } totalShippingPriceSet { ...MoneyBagFields } "
    "totalTaxSet { ...MoneyBagFields } totalPriceSet { ...MoneyBagFields } customer { ...CustomerFields } "
    "billingAddress { ...AddressFields } shippingAddress { ...AddressFields } refunds { id } }",
    "LineItemFields": "fragment LineItemFields on LineItem { __typename id title variantTitle sku quantity taxable "
    "requiresShipping originalUnitPriceSet { ...MoneyBagFields } totalDiscountSet { ...MoneyBagFields } "
    "taxLines { ...TaxLineFields } variant { id } product { id } }",
    "ShippingLineFields": "fragment ShippingLineFields on ShippingLine { __typename id title code carrierIdentifier "
    "originalPriceSet { ...MoneyBagFields } discountedPriceSet { ...MoneyBagFields } taxLines { ...TaxLineFields } }",
    "RefundFields": "fragment RefundFields on Refund { id legacyResourceId createdAt processedAt note "
    "totalRefundedSet { ...MoneyBagFields } }",
    "RefundLineItemFields": "fragment RefundLineItemFields on RefundLineItem { __typename id quantity restockType "
    "lineItem { id } subtotalSet { ...MoneyBagFields } totalTaxSet { ...MoneyBagFields } }",
    "RefundShippingLineFields": "fragment RefundShippingLineFields on RefundShippingLine { __typename id "
    "shippingLine { id } subtotalAmountSet { ...MoneyBagFields } taxAmountSet { ...MoneyBagFields } }",
    "ProductFields": "fragment ProductFields on Product { id legacyResourceId title handle descriptionHtml vendor "
    "productType status tags updatedAt }",
    "VariantFields": "fragment VariantFields on ProductVariant { __typename id legacyResourceId title sku barcode "
    "price compareAtPrice position taxable selectedOptions { name value } inventoryItem { id legacyResourceId "
    "requiresShipping unitCost { amount currencyCode } measurement { id weight { unit value } } } }",
    "LocationFields": "fragment LocationFields on Location { id legacyResourceId name isActive isFulfillmentService "
    "fulfillsOnlineOrders updatedAt address { countryCode } }",
    "InventoryLevelFields": "fragment InventoryLevelFields on InventoryLevel { __typename id updatedAt "
    f"location {{ id legacyResourceId }} quantities(names: {json.dumps(list(QUANTITY_NAMES))}) "
    "{ id name quantity } }",
}
_SPREAD = re.compile(r"\.\.\.\s*([_A-Za-z]\w*)")


def _used(text: str, found: dict[str, None]) -> dict[str, None]:
    for name in _SPREAD.findall(text):
        if name != "on" and name not in found:
            found[name] = None
            _used(FRAGMENTS[name], found)
    return found


def with_fragments(operation: str) -> str:
    """The operation followed by every fragment it spreads, directly or through other fragments."""
    return "\n".join([operation, *(FRAGMENTS[name] for name in _used(operation, {}))])


def fragments_of(selection: str) -> str:
    return "\n".join(FRAGMENTS[name] for name in _used(selection, {}))


def _nested(field: str, owner_type: str, node_type: str, selection: str, size: int, owner: str | None = None) -> Nested:
    return Nested(field, owner_type, node_type, selection, fragments_of(selection), size, owner)


# --- nested connections (their default sizes; the connector may ask for other ones) -------------------

LINE_ITEMS = _nested("lineItems", "Order", "LineItem", "...LineItemFields", 5)
SHIPPING_LINES = _nested("shippingLines", "Order", "ShippingLine", "...ShippingLineFields", 1)
REFUND_LINE_ITEMS = _nested("refundLineItems", "Refund", "RefundLineItem", "...RefundLineItemFields", 10, "refunds")
REFUND_SHIPPING_LINES = _nested(
    "refundShippingLines", "Refund", "RefundShippingLine", "...RefundShippingLineFields", 1, "refunds"
)
VARIANTS = _nested("variants", "Product", "ProductVariant", "...VariantFields", 10)
INVENTORY_LEVELS = _nested(
    "inventoryLevels", "InventoryItem", "InventoryLevel", "...InventoryLevelFields", 5, "inventoryItem"
)


# --- documents -----------------------------------------------------------------------------------

SHOP = "query Shop { shop { id name currencyCode myshopifyDomain } }"

PRIMARY_LOCATION = "query PrimaryLocation { location { id legacyResourceId } }"

ORDERS_COUNT = with_fragments(
    "query OrdersCount($query: String, $limit: Int) { ordersCount(query: $query, limit: $limit) { count precision } }"
)


def order_selection(line_items: Nested, shipping_lines: Nested) -> str:
    return f"...OrderFields {line_items.paged} {shipping_lines.paged}"


def orders_page(line_items: Nested = LINE_ITEMS, shipping_lines: Nested = SHIPPING_LINES) -> str:
    return with_fragments(
        f"query Orders($first: Int!, $after: String, $query: String, $withCount: Boolean!, "
        f"${line_items.variable}: Int!, ${shipping_lines.variable}: Int!) {{ "
        f"orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{ "
        f"nodes {{ {order_selection(line_items, shipping_lines)} }} {PAGE_INFO} }} "
        "ordersCount(query: $query) @include(if: $withCount) { count precision } }"
    )


def order_by_id(line_items: Nested = LINE_ITEMS, shipping_lines: Nested = SHIPPING_LINES) -> str:
    return with_fragments(
        f"query Order($id: ID!, ${line_items.variable}: Int!, ${shipping_lines.variable}: Int!) {{ "
        f"order(id: $id) {{ {order_selection(line_items, shipping_lines)} }} }}"
    )


def orders_export(search: str | None) -> str:
    """The bulk export of orders matching `search` (a bulk query takes no variables: it is inlined)."""
    arguments = f"query: {json.dumps(search)}, sortKey: UPDATED_AT" if search else "sortKey: UPDATED_AT"
    return with_fragments(
        f"query OrdersExport {{ orders({arguments}) {{ edges {{ node {{ ...OrderFields "
        f"{LINE_ITEMS.exported} {SHIPPING_LINES.exported} }} }} }} }}"
    )


def order_refunds(
    refund_line_items: Nested = REFUND_LINE_ITEMS, refund_shipping_lines: Nested = REFUND_SHIPPING_LINES
) -> str:
    """Orders' refunds in full: their lines and the shipping they gave back (`refundShippingLines`)."""
    return with_fragments(
        f"query OrderRefunds($ids: [ID!]!, ${refund_line_items.variable}: Int!, "
        f"${refund_shipping_lines.variable}: Int!) {{ nodes(ids: $ids) {{ id "
        f"... on Order {{ refunds {{ ...RefundFields {refund_line_items.paged} "
        f"{refund_shipping_lines.paged} }} }} }} }}"
    )


RUN_BULK_QUERY = (
    "mutation RunBulkQuery($query: String!) { bulkOperationRunQuery(query: $query, groupObjects: true) { "
    "bulkOperation { id status } userErrors { code field message } } }"
)

BULK_OPERATION = (
    "query BulkOperation($id: ID!) { node(id: $id) { id ... on BulkOperation { status errorCode objectCount "
    "rootObjectCount url partialDataUrl } } }"
)


def products_page(variants: Nested = VARIANTS) -> str:
    return with_fragments(
        f"query Products($first: Int!, $after: String, $query: String, $withCount: Boolean!, "
        f"${variants.variable}: Int!) {{ shop {{ id currencyCode }} "
        f"products(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{ "
        f"nodes {{ ...ProductFields {variants.paged} }} {PAGE_INFO} }} "
        "productsCount(query: $query) @include(if: $withCount) { count precision } }"
    )


def product_by_id(variants: Nested = VARIANTS) -> str:
    return with_fragments(
        f"query Product($id: ID!, ${variants.variable}: Int!) {{ shop {{ id currencyCode }} "
        f"product(id: $id) {{ ...ProductFields {variants.paged} }} }}"
    )


CUSTOMERS_PAGE = with_fragments(
    "query Customers($first: Int!, $after: String, $query: String, $withCount: Boolean!) { "
    f"customers(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{ nodes {{ ...CustomerFields }} "
    f"{PAGE_INFO} }} customersCount(query: $query) @include(if: $withCount) {{ count precision }} }}"
)

CUSTOMER_BY_ID = with_fragments("query Customer($id: ID!) { customer(id: $id) { ...CustomerFields } }")

LOCATIONS_PAGE = with_fragments(
    "query Locations($first: Int!, $after: String, $withCount: Boolean!) { "
    f"locations(first: $first, after: $after, includeInactive: true, sortKey: ID) {{ nodes {{ ...LocationFields }} "
    f"{PAGE_INFO} }} locationsCount @include(if: $withCount) {{ count precision }} }}"
)


def inventory_page(levels: Nested = INVENTORY_LEVELS) -> str:
    return with_fragments(
        f"query InventoryLevels($first: Int!, $after: String, ${levels.variable}: Int!) {{ "
        f"productVariants(first: $first, after: $after, sortKey: ID) {{ nodes {{ id legacyResourceId sku "
        f"inventoryItem {{ id legacyResourceId tracked {levels.paged} }} }} {PAGE_INFO} }} }}"
    )


INVENTORY_TARGET = (
    "query InventoryTarget($variant: ID!, $location: ID!) { productVariant(id: $variant) { id legacyResourceId sku "
    "inventoryItem { id legacyResourceId inventoryLevel(locationId: $location) { id "
    f"quantities(names: {json.dumps(list(QUANTITY_NAMES))}) {{ id name quantity }} }} }} }} }}"
)

VARIANTS_BY_SKU = (
    "query VariantsBySku($query: String!) { productVariants(first: 2, query: $query) { nodes { id legacyResourceId "
    "sku } } }"
)

_ADJUSTMENT = (
    "inventoryAdjustmentGroup { id changes { name delta quantityAfterChange } } userErrors { code field message }"
)

SET_QUANTITIES = (
    "mutation SetInventory($input: InventorySetQuantitiesInput!, $key: String!) { "
    f"inventorySetQuantities(input: $input) @idempotent(key: $key) {{ {_ADJUSTMENT} }} }}"
)

ADJUST_QUANTITIES = (
    "mutation AdjustInventory($input: InventoryAdjustQuantitiesInput!, $key: String!) { "
    f"inventoryAdjustQuantities(input: $input) @idempotent(key: $key) {{ {_ADJUSTMENT} }} }}"
)

# Every document as the connector sends it by default (the contract test validates them all, with the
# follow-up queries of the nested connections and an export with a search).
DOCUMENTS: dict[str, str] = {
    "Shop": SHOP,
    "PrimaryLocation": PRIMARY_LOCATION,
    "OrdersCount": ORDERS_COUNT,
    "Orders": orders_page(),
    "Order": order_by_id(),
    "OrdersExport": orders_export(None),
    "OrderRefunds": order_refunds(),
    "RunBulkQuery": RUN_BULK_QUERY,
    "BulkOperation": BULK_OPERATION,
    "Products": products_page(),
    "Product": product_by_id(),
    "Customers": CUSTOMERS_PAGE,
    "Customer": CUSTOMER_BY_ID,
    "Locations": LOCATIONS_PAGE,
    "InventoryLevels": inventory_page(),
    "InventoryTarget": INVENTORY_TARGET,
    "VariantsBySku": VARIANTS_BY_SKU,
    "SetInventory": SET_QUANTITIES,
    "AdjustInventory": ADJUST_QUANTITIES,
}
NESTED = (LINE_ITEMS, SHIPPING_LINES, REFUND_LINE_ITEMS, REFUND_SHIPPING_LINES, VARIANTS, INVENTORY_LEVELS)
