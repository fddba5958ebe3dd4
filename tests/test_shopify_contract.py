"""Every GraphQL document the Shopify connector sends is valid against Shopify's official 2026-10 schema,
uses no deprecated field, stays within the query cost Shopify allows, and (the export) obeys Shopify's
bulk query rules."""

from __future__ import annotations

import gzip
import json
from typing import Any

import httpx
import pytest
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    build_client_schema,
    get_variable_values,
    parse,
    specified_rules,
    validate,
    validate_schema,
    visit,
)
from graphql.validation import NoDeprecatedCustomRule

from ledgerlink.connectors.framework.derived import FlatStream
from ledgerlink.connectors.framework.graphql import GraphQLStream
from ledgerlink.connectors.shopify import queries, registration
from ledgerlink.connectors.shopify.bulk import BulkExportStream
from ledgerlink.connectors.shopify.connector import ShopifyConnector
from ledgerlink.connectors.shopify.cost import MAX_QUERY_COST, requested_cost
from ledgerlink.connectors.shopify.credentials import ShopifyCredentials
from ledgerlink.connectors.shopify.schema import SCHEMA_FILE
from ledgerlink.sandbox.shopify.bulk import prepare_bulk_query

CREDS = ShopifyCredentials(shopDomain="contract.myshopify.com", accessToken="shpat_0123456789abcdef")
SEARCH = "updated_at:>='2024-01-01T00:00:00Z' updated_at:<='2024-02-01T00:00:00Z' status:open"


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    with gzip.open(SCHEMA_FILE, "rt", encoding="utf-8") as fh:
        introspection = json.load(fh)
    built = build_client_schema(introspection.get("data", introspection))
    # Shopify deprecates some fields that implement non-deprecated interface fields, which graphql-core 3.3
    # flags as a schema error; that is the only finding, and harmless for validating documents.
    assert all("is not deprecated, so implementation field" in e.message for e in validate_schema(built))
    built._validation_errors = []
    return built


def _paged(stream: Any) -> GraphQLStream:
    """The GraphQL stream a connector's stream reads through."""
    if isinstance(stream, FlatStream):
        stream = stream.base
    if isinstance(stream, BulkExportStream):
        stream = stream.paged
    assert isinstance(stream, GraphQLStream)
    return stream


def connector_documents(connector: ShopifyConnector) -> dict[str, str]:
    """What the connector builds: each stream's page and record queries and nested follow-ups."""
    found: dict[str, str] = {}
    for name, stream in connector.streams.items():
        paged = _paged(stream)
        found[f"{name} page"] = paged.document
        if paged.record_document:
            found[f"{name} record"] = paged.record_document
        for nested in paged.nested:
            found[f"{name} {nested.field} follow-up"] = nested.document
    lines, shipping = connector.nested["refundLineItems"], connector.nested["refundShippingLines"]
    found["order refunds"] = queries.order_refunds(lines, shipping)
    found["refund lines follow-up"] = lines.document
    found["refund shipping lines follow-up"] = shipping.document
    found["orders export with a search"] = queries.orders_export(SEARCH)
    return found


def all_documents() -> dict[str, str]:
    documents = {**queries.DOCUMENTS, **{f"{n.field} follow-up": n.document for n in queries.NESTED}}
    documents.update(registration.DOCUMENTS)  # webhook subscriptions the hub registers
    documents.update(connector_documents(ShopifyConnector(CREDS)))

    class Small(ShopifyConnector):
        line_items_page, shipping_lines_page, variants_page, inventory_levels_page, refund_lines_page = 2, 1, 1, 1, 1
        refund_shipping_page = 1

    documents.update({f"{k} (small)": v for k, v in connector_documents(Small(CREDS)).items()})
    return documents


DOCUMENTS = all_documents()


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_document_is_valid_against_the_official_schema(schema: GraphQLSchema, name: str) -> None:
    errors = validate(schema, parse(DOCUMENTS[name]), [*specified_rules, NoDeprecatedCustomRule])
    assert [e.message for e in errors] == []


class _WithoutId(Visitor):
    """The types of object selections that leave out `id` although their type has one."""

    def __init__(self, type_info: TypeInfo, fragments: dict[str, FragmentDefinitionNode]) -> None:
        super().__init__()
        self.type_info, self.fragments = type_info, fragments
        self.found: list[str] = []

    def names(self, selection_set: SelectionSetNode) -> set[str]:
        names = set()
        for s in selection_set.selections:
            if isinstance(s, FieldNode) and s.alias is None:
                names.add(s.name.value)
            elif isinstance(s, FragmentSpreadNode):
                names |= self.names(self.fragments[s.name.value].selection_set)
            elif isinstance(s, InlineFragmentNode):
                names |= self.names(s.selection_set)
        return names

    def enter_selection_set(self, node: SelectionSetNode, _key: Any, owner: Any, *_: Any) -> None:
        if isinstance(owner, InlineFragmentNode):  # the enclosing selection is where its id is
            return
        parent = self.type_info.get_parent_type()
        if parent is not None and "id" in getattr(parent, "fields", {}) and "id" not in self.names(node):
            self.found.append(parent.name)


def _selections_without_id(schema: GraphQLSchema, document: DocumentNode) -> list[str]:
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    finder = _WithoutId(TypeInfo(schema), fragments)
    visit(document, TypeInfoVisitor(finder.type_info, finder))
    return finder.found


@pytest.mark.parametrize("name", ["Orders", "Order", "OrdersExport", "OrderRefunds", "Products", "InventoryLevels"])
def test_records_select_every_id_so_paged_and_exported_reads_hash_alike(schema: GraphQLSchema, name: str) -> None:
    """A bulk export adds `id` to every object that has one; the page queries select them all already."""
    assert _selections_without_id(schema, parse(DOCUMENTS[name])) == []


def test_nested_connection_nodes_carry_their_typename() -> None:
    """A bulk export's lines of nested nodes are told apart by their __typename."""
    for nested in queries.NESTED:
        fragment = parse(nested.fragments).definitions[0]  # the nodes' own fragment comes first
        assert isinstance(fragment, FragmentDefinitionNode)
        fields = {s.name.value for s in fragment.selection_set.selections if isinstance(s, FieldNode)}
        assert "__typename" in fields, nested.field


def test_the_export_obeys_shopify_bulk_rules(schema: GraphQLSchema) -> None:
    for search in (None, SEARCH):
        prepared = prepare_bulk_query(schema, queries.orders_export(search))  # raises BulkQueryError otherwise
        assert prepared.definitions


def test_every_page_stays_within_the_query_cost_limit() -> None:
    """The first page at the largest size each stream asks for, with its nested connections."""
    connector = ShopifyConnector(CREDS)
    costs = {}
    for name, stream in connector.streams.items():
        paged = _paged(stream)
        variables: dict[str, Any] = {**paged.nested_variables(), "first": paged.max_page_size, "after": None}
        if paged.search is not None:
            variables["query"] = None
        if paged.count_at is not None:
            variables["withCount"] = True
        costs[name] = requested_cost(paged.document, variables)
    assert all(cost <= connector.page_cost_ceiling < MAX_QUERY_COST for cost in costs.values()), costs
    assert costs["orders"] > connector.page_cost_ceiling * 0.8, costs  # and near it: pages are not needlessly small


async def test_webhook_registration_requests_are_valid(schema: GraphQLSchema) -> None:
    """What the connector sends to register, list and delete webhook subscriptions: valid documents, and
    variables that coerce to their types (every topic one of Shopify's, the destination as `uri`)."""
    sent: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        sent.append(body)
        gid = "gid://shopify/WebhookSubscription/1"
        if "webhookSubscriptionCreate" in body["query"]:
            created = {"id": gid, "topic": body["variables"]["topic"], "uri": "https://hub.example.com/h"}
            data: dict[str, Any] = {"webhookSubscriptionCreate": {"webhookSubscription": created, "userErrors": []}}
        elif "webhookSubscriptionDelete" in body["query"]:
            data = {"webhookSubscriptionDelete": {"deletedWebhookSubscriptionId": gid, "userErrors": []}}
        else:
            data = {"webhookSubscriptions": {"nodes": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}}
        return httpx.Response(200, json={"data": data})

    creds = CREDS.model_copy(update={"apiBaseUrl": "http://127.0.0.1:9"})  # loopback: the tests' network policy
    connector = ShopifyConnector(creds, transport=httpx.MockTransport(answer))
    async with connector.client() as client:
        for topic in connector.webhook_topics():
            await connector.register_webhook(client, topic, "https://hub.example.com/v1/webhooks/inbound/x", None)
        await connector.list_webhooks(client)
        assert await connector.delete_webhook(client, "gid://shopify/WebhookSubscription/1")
    assert len(sent) == len(connector.webhook_topics()) + 2
    for body in sent:
        document = parse(body["query"])
        assert [e.message for e in validate(schema, document, [*specified_rules, NoDeprecatedCustomRule])] == []
        operation = document.definitions[0]
        assert isinstance(operation, OperationDefinitionNode)
        coerced = get_variable_values(schema, operation.variable_definitions or (), body["variables"])
        assert not isinstance(coerced, list), [e.message for e in coerced]
