"""Shopify's calculated query cost, worked out from a query and the official schema.

Requested cost, from the query alone: scalars and enums 0, objects 1, a connection 2 plus `first`
(or `last`) times the cost of one node, a list of objects its `first` (or number of `ids`) times one
object, an interface or union the dearest of its possible selections, each mutation field 10. Actual
cost applies the same rules to the response: connections and lists count the nodes returned, null
objects nothing. Shopify charges the requested cost before execution and refunds the difference; the
connector spends the same requested cost from its shared budget before each request, and the sandbox
charges its bucket with it (one implementation for both).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLIncludeDirective,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
    parse,
)
from graphql.execution.values import VariableValues, get_argument_values, get_directive_values, get_variable_values

from ledgerlink.connectors.shopify.schema import admin_schema


@dataclass(frozen=True, slots=True)
class _Priced:
    node: FieldNode
    definition: GraphQLField
    named: GraphQLNamedType
    kind: str  # "object", "list" or "connection"
    key: str  # where its value sits in a response


MUTATION_COST = 10
MAX_QUERY_COST = 1000
_NO_DATA = object()  # requested cost: sizes come from arguments, not from a response


class QueryCost:
    def __init__(
        self,
        schema: GraphQLSchema,
        operation: OperationDefinitionNode,
        fragments: dict[str, FragmentDefinitionNode],
        variables: VariableValues,
    ) -> None:
        self.schema, self.operation, self.fragments, self.variables = schema, operation, fragments, variables
        self._collected: dict[tuple[int, str | None], list[FieldNode]] = {}
        self._prices: dict[tuple[int, str], list[_Priced]] = {}

    def requested(self) -> int:
        return self._cost(_NO_DATA)

    def actual(self, data: dict[str, Any] | None) -> int:
        return self._cost(data or {})

    def _cost(self, data: Any) -> int:
        if self.operation.operation == OperationType.MUTATION:
            return MUTATION_COST * sum(
                1 for f in self._fields(self.operation.selection_set, None) if not f.name.value.startswith("__")
            )
        root = self.schema.query_type
        assert root is not None
        return self._selection(self.operation.selection_set, root, data)

    # --- walking the selection -------------------------------------------------------------------

    def _selection(self, selection: SelectionSetNode, parent: GraphQLNamedType, data: Any) -> int:
        if not is_abstract_type(parent):
            return sum(self._field(field, data) for field in self._priced(selection, parent))
        typename = data.get("__typename") if isinstance(data, dict) else None
        candidates = [self.schema.get_type(typename)] if typename else self._conditions(selection, parent)
        return max(
            sum(self._field(field, data) for field in self._priced(selection, t)) for t in candidates if t is not None
        )

    def _priced(self, selection: SelectionSetNode, parent: GraphQLNamedType) -> list[_Priced]:
        """The fields of a selection that can cost anything (objects, lists, connections), worked out once."""
        key = (id(selection), parent.name)
        if key not in self._prices:
            priced: list[_Priced] = []
            for node in self._fields(selection, parent):
                definition = getattr(parent, "fields", {}).get(node.name.value)
                if definition is None or node.selection_set is None or is_leaf_type(get_named_type(definition.type)):
                    continue
                named = get_named_type(definition.type)
                kind = (
                    "connection"
                    if _is_connection(named)
                    else "list"
                    if is_list_type(get_nullable_type(definition.type))
                    else "object"
                )
                priced.append(_Priced(node, definition, named, kind, (node.alias or node.name).value))
            self._prices[key] = priced
        return self._prices[key]

    def _field(self, field: _Priced, data: Any) -> int:
        value = data if data is _NO_DATA else (data.get(field.key) if isinstance(data, dict) else None)
        if value is None:
            return 0
        selection = field.node.selection_set
        assert selection is not None
        if field.kind == "connection":
            assert isinstance(field.named, GraphQLObjectType)
            return 2 + self._connection_nodes(field.node, field.definition, field.named, value)
        if field.kind == "list":
            if value is _NO_DATA:
                return self._size(field.node, field.definition) * self._object(selection, field.named, _NO_DATA)
            return sum(self._object(selection, field.named, item) for item in value)
        return self._object(selection, field.named, value)

    def _object(self, selection: SelectionSetNode, named: GraphQLNamedType, data: Any) -> int:
        return 0 if data is None else 1 + self._selection(selection, named, data)

    def _connection_nodes(self, node: FieldNode, definition: Any, connection: GraphQLObjectType, data: Any) -> int:
        """Cost of the nodes of a connection, through `edges { node }` and/or `nodes` (the dearer counts)."""
        assert node.selection_set is not None
        best = 0
        for part in self._fields(node.selection_set, connection):
            if part.selection_set is None or part.name.value not in {"nodes", "edges"}:
                continue
            items = [_NO_DATA] if data is _NO_DATA else (_child(data, part) or [])
            total = sum(self._node(part, connection, item) for item in items)
            best = max(best, total * self._size(node, definition) if data is _NO_DATA else total)
        return best

    def _node(self, part: FieldNode, connection: GraphQLObjectType, item: Any) -> int:
        """One node, reached as `nodes[i]` or `edges[i].node`."""
        node_type = get_named_type(connection.fields["nodes"].type)
        assert part.selection_set is not None
        if part.name.value == "nodes":
            return self._object(part.selection_set, node_type, item)
        edge_type = get_named_type(connection.fields["edges"].type)
        return sum(
            self._object(f.selection_set, node_type, _child(item, f))
            for f in self._fields(part.selection_set, edge_type)
            if f.name.value == "node" and f.selection_set
        )

    def _size(self, node: FieldNode, definition: Any) -> int:
        args = get_argument_values(definition, node, self.variables)
        size = args.get("first") or args.get("last")
        if size is None and args.get("ids") is not None:
            return len(args["ids"])
        return int(size or (0 if _is_connection(get_named_type(definition.type)) else 1))

    # --- fields, fragments, directives -----------------------------------------------------------

    def _fields(self, selection: SelectionSetNode, runtime: GraphQLNamedType | None) -> list[FieldNode]:
        """The fields a selection applies for a runtime type (fragments flattened, @skip/@include applied);
        the same for every node of a response, so collected once."""
        key = (id(selection), runtime.name if runtime else None)
        if key not in self._collected:
            self._collected[key] = self._collect(selection, runtime)
        return self._collected[key]

    def _collect(self, selection: SelectionSetNode, runtime: GraphQLNamedType | None) -> list[FieldNode]:
        fields: list[FieldNode] = []
        for node in selection.selections:
            if not self._included(node):
                continue
            if isinstance(node, FieldNode):
                fields.append(node)
            elif isinstance(node, InlineFragmentNode) and self._applies(node.type_condition, runtime):
                fields += self._fields(node.selection_set, runtime)
            elif (
                isinstance(node, FragmentSpreadNode)
                and (fragment := self.fragments.get(node.name.value))
                and self._applies(fragment.type_condition, runtime)
            ):
                fields += self._fields(fragment.selection_set, runtime)
        return fields

    def _conditions(self, selection: SelectionSetNode, abstract: GraphQLNamedType) -> list[GraphQLNamedType]:
        """The types an abstract selection is costed for: its own, and each object type a fragment names."""
        types: list[GraphQLNamedType] = [abstract]
        for node in selection.selections:
            if isinstance(node, InlineFragmentNode):
                condition = node.type_condition
            elif isinstance(node, FragmentSpreadNode) and (fragment := self.fragments.get(node.name.value)):
                condition = fragment.type_condition
            else:
                continue
            named = self.schema.get_type(condition.name.value) if condition else None
            if isinstance(named, GraphQLObjectType) and named not in types:
                types.append(named)
        return types

    def _applies(self, condition: Any, runtime: GraphQLNamedType | None) -> bool:
        if condition is None or runtime is None:
            return True
        named = self.schema.get_type(condition.name.value)
        if named is runtime:
            return True
        return (
            is_abstract_type(named)
            and isinstance(runtime, GraphQLObjectType)
            and self.schema.is_sub_type(named, runtime)  # type: ignore[arg-type]
        )

    def _included(self, node: Any) -> bool:
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return not (skip and skip["if"]) and not (include and not include["if"])


def _is_connection(named: GraphQLNamedType) -> bool:
    return isinstance(named, GraphQLObjectType) and named.name.endswith("Connection") and "edges" in named.fields


def _child(data: Any, node: FieldNode) -> Any:
    return data if data is _NO_DATA else (data or {}).get((node.alias or node.name).value)


# --- pricing a request before sending it ----------------------------------------------------------


@lru_cache(maxsize=256)
def _parsed(
    query: str, operation_name: str | None
) -> tuple[OperationDefinitionNode, dict[str, FragmentDefinitionNode]]:
    document: DocumentNode = parse(query)
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        raise ValueError("the document names no single operation")
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    return operation, fragments


def requested_cost(query: str, variables: dict[str, Any] | None = None, operation_name: str | None = None) -> int:
    """What Shopify will charge up front for this query with these variables (ValueError if it cannot
    be priced: a document that does not parse, or variables that do not fit it)."""
    schema = admin_schema()
    operation, fragments = _parsed(query, operation_name)
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables or {})
    if isinstance(coerced, list):
        raise ValueError("; ".join(error.message for error in coerced))
    return QueryCost(schema, operation, fragments, coerced).requested()


def largest_page(
    query: str,
    variables: dict[str, Any],
    ceiling: int,
    cap: int = 250,
    sized: Callable[[int], dict[str, Any]] = lambda n: {"first": n},
) -> int:
    """The most nodes one request of `query` may ask for (`sized(n)`: `$first`, or a list of `n` ids) while
    its requested cost stays within `ceiling`: the cost is linear in n, so two prices give the fixed part
    and the price per node."""
    fixed = requested_cost(query, {**variables, **sized(0)})
    per_node = requested_cost(query, {**variables, **sized(1)}) - fixed
    if per_node <= 0:
        return cap
    return max(1, min(cap, (ceiling - fixed) // per_node))
