"""From a request body to an executed result: parse, validate, pick the operation, coerce variables,
cost it, execute it with the sandbox's resolvers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    execute_sync,
    get_operation_ast,
    parse,
    validate,
)
from graphql.execution.values import VariableValues, get_variable_values

from ledgerlink.sandbox.shopify.analysis import needs_customer_index
from ledgerlink.sandbox.shopify.context import Ctx
from ledgerlink.sandbox.shopify.cost import QueryCost
from ledgerlink.sandbox.shopify.resolvers import resolve_field, resolve_type
from ledgerlink.sandbox.shopify.schema import admin_schema


@dataclass
class Prepared:
    """A valid operation, ready to be costed and executed."""

    document: DocumentNode
    operation: OperationDefinitionNode
    variables: VariableValues
    raw_variables: dict[str, Any]

    @property
    def cost(self) -> QueryCost:
        fragments = {d.name.value: d for d in self.document.definitions if isinstance(d, FragmentDefinitionNode)}
        return QueryCost(admin_schema(), self.operation, fragments, self.variables)

    @property
    def needs_customer_index(self) -> bool:
        return needs_customer_index(self.document)


def prepare(query: str, variables: dict[str, Any] | None, operation_name: str | None) -> Prepared | list[GraphQLError]:
    schema = admin_schema()
    try:
        document = parse(query)
    except GraphQLError as error:
        return [error]
    errors = validate(schema, document)
    if errors:
        return errors
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        message = (
            f"Unknown operation named '{operation_name}'."
            if operation_name
            else "An operation name is required when the document has several operations."
        )
        return [GraphQLError(message)]
    if operation.operation == OperationType.SUBSCRIPTION:
        return [GraphQLError("Subscriptions are not supported by the Admin API.", operation)]
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables or {})
    if isinstance(coerced, list):
        return coerced
    return Prepared(_single_operation(document, operation), operation, coerced, variables or {})


def _single_operation(document: DocumentNode, operation: OperationDefinitionNode) -> DocumentNode:
    """The document with only the chosen operation (and the fragments), so execution needs no name."""
    kept = tuple(d for d in document.definitions if d is operation or isinstance(d, FragmentDefinitionNode))
    return DocumentNode(definitions=kept)


def execute_document(document: DocumentNode, ctx: Ctx, variables: dict[str, Any] | None = None) -> ExecutionResult:
    return execute_sync(
        admin_schema(),
        document,
        context_value=ctx,
        variable_values=variables,
        field_resolver=resolve_field,
        type_resolver=resolve_type,
    )
