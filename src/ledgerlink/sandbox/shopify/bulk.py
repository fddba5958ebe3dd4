"""Bulk query operations: `bulkOperationRunQuery` validates the query, then a background task runs it.

The root connection is read in chunks (nested connections unpaginated) on the event loop, and each
root object is written as JSONL the way Shopify does: one object per line, the nodes of nested
connections on lines of their own carrying `__parentId` (`id` is selected for that wherever missing).
The file is served under the mount at `/_sandbox/bulk/{id}.jsonl`, which `url` points to.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import count
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    is_composite_type,
    parse,
    validate,
)

from ledgerlink.sandbox.shopify.analysis import needs_customer_index
from ledgerlink.sandbox.shopify.context import Ctx
from ledgerlink.sandbox.shopify.fields import FieldMap
from ledgerlink.sandbox.shopify.formats import gid, iso, parse_gid
from ledgerlink.sandbox.shopify.listings import Listing, sorts_by
from ledgerlink.sandbox.shopify.paging import BulkPage
from ledgerlink.sandbox.shopify.schema import admin_schema
from ledgerlink.sandbox.shopify.search import SearchFields

if TYPE_CHECKING:
    from ledgerlink.sandbox.shopify.state import ShopState

Executor = Callable[[DocumentNode, Ctx], ExecutionResult]
CHUNK = 100  # root objects executed between two yields to the event loop
MAX_RUNNING = 5
MAX_CONNECTIONS = 5
MAX_DEPTH = 2
ACTIVE = ("CREATED", "RUNNING", "CANCELING")


@dataclass
class BulkOperation:
    id: int
    query: str
    created_at: datetime
    base_url: str
    status: str = "CREATED"
    completed_at: datetime | None = None
    object_count: int = 0
    root_object_count: int = 0
    file_size: int | None = None
    error_code: str | None = None
    path: Path | None = None
    cancel_requested: bool = False
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"{self.base_url}/_sandbox/bulk/{self.id}.jsonl"


class BulkOperations:
    def __init__(self, state: ShopState, execute: Executor) -> None:
        self.state = state
        self.execute = execute
        self._operations: dict[int, BulkOperation] = {}
        self._ids = count(4_200_000_001)
        self._dir: tempfile.TemporaryDirectory[str] | None = None

    def get(self, ident: int) -> BulkOperation | None:
        return self._operations.get(ident)

    def all(self) -> list[BulkOperation]:
        return list(self._operations.values())

    def current(self) -> BulkOperation | None:
        return max(self._operations.values(), key=lambda op: op.id, default=None)

    def file(self, ident: int) -> Path | None:
        op = self.get(ident)
        return op.path if op and op.path and op.path.exists() else None

    # --- mutations -------------------------------------------------------------------------------

    def run_query(self, query: str, ctx: Ctx) -> dict[str, Any]:
        try:
            document = prepare_bulk_query(admin_schema(), query)
        except BulkQueryError as error:
            return {"bulkOperation": None, "userErrors": [error.payload]}
        if sum(op.status in ACTIVE for op in self._operations.values()) >= MAX_RUNNING:
            return {
                "bulkOperation": None,
                "userErrors": [
                    BulkQueryError(
                        f"A maximum of {MAX_RUNNING} bulk query operations can run at the same time.", "LIMIT_REACHED"
                    ).payload
                ],
            }
        op = BulkOperation(next(self._ids), query, self.state.clock(), ctx.mount_url)
        self._operations[op.id] = op
        op.task = asyncio.get_running_loop().create_task(self._run(op, document, ctx.malformed))
        return {"bulkOperation": op, "userErrors": []}

    def cancel(self, ident: str) -> dict[str, Any]:
        parsed = parse_gid(ident)
        op = self.get(parsed.ident) if parsed.kind == "BulkOperation" else None
        if op is None:
            return {
                "bulkOperation": None,
                "userErrors": [{"field": ["id"], "message": "Bulk operation does not exist"}],
            }
        if op.status not in ACTIVE:
            return {
                "bulkOperation": op,
                "userErrors": [
                    {"field": None, "message": f"A bulk operation cannot be canceled when it is {op.status.lower()}"}
                ],
            }
        op.cancel_requested, op.status = True, "CANCELING"
        return {"bulkOperation": op, "userErrors": []}

    # --- running ---------------------------------------------------------------------------------

    async def _run(self, op: BulkOperation, document: DocumentNode, malformed: bool) -> None:
        """Chunk after chunk on the event loop (yielding between chunks), until done or canceled."""
        op.path = self._directory() / f"{op.id}.jsonl"
        op.path.write_bytes(b"")
        if not op.cancel_requested:
            op.status = "RUNNING"
        try:
            if needs_customer_index(document):
                await asyncio.to_thread(self.state.customer_index.ensure)
            page = BulkPage(after=None, size=CHUNK)
            while not op.cancel_requested:
                page = BulkPage(after=page.next_after, size=CHUNK)
                self._chunk(op, document, Ctx(self.state, malformed, op.base_url, bulk=page))
                if not page.has_next:
                    break
                await asyncio.sleep(0)
        except Exception:  # a broken run is reported on the operation, as Shopify does
            op.status, op.error_code = "FAILED", "INTERNAL_SERVER_ERROR"
        else:
            op.status = "CANCELED" if op.cancel_requested else "COMPLETED"
        op.completed_at = self.state.clock()
        op.file_size = op.path.stat().st_size

    def _chunk(self, op: BulkOperation, document: DocumentNode, ctx: Ctx) -> None:
        result = self.execute(document, ctx)
        if result.data is None:
            raise RuntimeError(result.errors)
        roots = connection_nodes(next(iter(result.data.values()))) or []
        assert op.path is not None
        with op.path.open("a", encoding="utf-8") as fh:
            for root in roots:
                for line in jsonl_lines(root, None):
                    fh.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
                    op.object_count += 1
                op.root_object_count += 1

    def _directory(self) -> Path:
        if self._dir is None:
            self._dir = tempfile.TemporaryDirectory(prefix="ledgerlink-shopify-bulk-")
        return Path(self._dir.name)


# --- JSONL ---------------------------------------------------------------------------------------


def connection_nodes(value: Any) -> list[dict[str, Any]] | None:
    """The nodes of a connection result ({edges{node}} or {nodes}); None if `value` is not one."""
    if not isinstance(value, dict) or not value or not set(value) <= {"edges", "nodes", "pageInfo"}:
        return None
    if value.get("edges"):
        return [edge["node"] for edge in value["edges"] if isinstance(edge, dict) and "node" in edge]
    return list(value.get("nodes") or [])


def jsonl_lines(node: dict[str, Any], parent_id: str | None) -> Iterator[dict[str, Any]]:
    """A node's own line (connections cut out), then its connections' nodes, depth first."""
    line, children = _cut_connections(node)
    if parent_id is not None:
        line["__parentId"] = parent_id
    yield line
    own_id = node.get("id", parent_id)
    for child in children:
        yield from jsonl_lines(child, own_id)


def _cut_connections(value: Any) -> tuple[Any, list[dict[str, Any]]]:
    if isinstance(value, list):
        items, children = [], []
        for item in value:
            cut, nested = _cut_connections(item)
            items.append(cut)
            children += nested
        return items, children
    if not isinstance(value, dict):
        return value, []
    out: dict[str, Any] = {}
    children = []
    for key, item in value.items():
        nodes = connection_nodes(item)
        if nodes is not None:
            children += nodes
            continue
        out[key], nested = _cut_connections(item)
        children += nested
    return out, children


# --- validating and preparing the query ----------------------------------------------------------


class BulkQueryError(Exception):
    def __init__(self, message: str, code: str = "INVALID") -> None:
        super().__init__(message)
        self.payload = {"field": ["query"], "message": message, "code": code}


def prepare_bulk_query(schema: GraphQLSchema, text: str) -> DocumentNode:
    """Check a bulk query as Shopify does and select `id` wherever a parent id may be needed."""
    try:
        document = parse(text)
    except GraphQLError as error:
        raise BulkQueryError(f"Invalid bulk query: {error.message}") from None
    errors = validate(schema, document)
    if errors:
        raise BulkQueryError(f"Invalid bulk query: {errors[0].message}")
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1 or operations[0].operation != OperationType.QUERY:
        raise BulkQueryError("Bulk queries must contain exactly one query operation.")
    operation = operations[0]
    roots = [s for s in operation.selection_set.selections if isinstance(s, FieldNode)]
    query_type = schema.query_type
    assert query_type is not None
    if len(roots) != 1 or not _is_connection(query_type, roots[0]):
        raise BulkQueryError("Bulk queries must contain exactly one top-level connection field.")
    connections, depth = _connection_shape(query_type, operation.selection_set, 0)
    if connections > MAX_CONNECTIONS:
        raise BulkQueryError(f"Bulk queries cannot contain more than {MAX_CONNECTIONS} connections.")
    if depth > MAX_DEPTH:
        raise BulkQueryError(f"Bulk queries cannot contain connections with a nesting depth greater than {MAX_DEPTH}.")
    selection = _with_ids(schema, query_type, operation.selection_set)
    new_operation = OperationDefinitionNode(
        operation=operation.operation,
        name=operation.name,
        variable_definitions=operation.variable_definitions,
        directives=operation.directives,
        selection_set=selection,
    )
    return DocumentNode(definitions=(*[d for d in document.definitions if d is not operation], new_operation))


def _field_type(parent: GraphQLNamedType, node: FieldNode) -> GraphQLNamedType | None:
    fields = getattr(parent, "fields", {})
    definition = fields.get(node.name.value)
    return get_named_type(definition.type) if definition else None


def _is_connection(parent: GraphQLNamedType, node: FieldNode) -> bool:
    named = _field_type(parent, node)
    return named is not None and named.name.endswith("Connection")


def _connection_shape(parent: GraphQLNamedType, selection: SelectionSetNode | None, depth: int) -> tuple[int, int]:
    """(number of connections, deepest connection nesting) below a selection set."""
    total, deepest = 0, depth
    for node in selection.selections if selection else ():
        if isinstance(node, InlineFragmentNode):
            n, d = _connection_shape(parent, node.selection_set, depth)
        elif isinstance(node, FieldNode) and (named := _field_type(parent, node)) is not None:
            nested = depth + 1 if named.name.endswith("Connection") else depth
            n, d = _connection_shape(named, node.selection_set, nested)
            n += nested > depth
        else:
            continue
        total, deepest = total + n, max(deepest, d)
    return total, deepest


def _with_ids(schema: GraphQLSchema, parent: GraphQLNamedType, selection: SelectionSetNode) -> SelectionSetNode:
    selections = []
    for node in selection.selections:
        if isinstance(node, FieldNode) and node.selection_set and (named := _field_type(parent, node)):
            node = FieldNode(
                alias=node.alias,
                name=node.name,
                arguments=node.arguments,
                directives=node.directives,
                selection_set=_with_ids(schema, named, node.selection_set),
            )
        elif isinstance(node, InlineFragmentNode) and node.type_condition:
            condition = schema.get_type(node.type_condition.name.value) or parent
            node = InlineFragmentNode(
                type_condition=node.type_condition,
                directives=node.directives,
                selection_set=_with_ids(schema, condition, node.selection_set),
            )
        selections.append(node)
    has_id = any(isinstance(s, FieldNode) and s.name.value == "id" and s.alias is None for s in selections)
    if is_composite_type(parent) and "id" in getattr(parent, "fields", {}) and not has_id:
        selections.insert(0, FieldNode(name=NameNode(value="id"), arguments=(), directives=()))
    return SelectionSetNode(selections=tuple(selections))


# --- the BulkOperation type and its mutations ----------------------------------------------------

BULK_OPERATION: FieldMap = {
    "id": lambda op, _: gid("BulkOperation", op.id),
    "status": lambda op, _: op.status,
    "type": lambda op, _: "QUERY",
    "query": lambda op, _: op.query,
    "errorCode": lambda op, _: op.error_code,
    "createdAt": lambda op, _: iso(op.created_at),
    "completedAt": lambda op, _: iso(op.completed_at),
    "objectCount": lambda op, _: str(op.object_count),
    "rootObjectCount": lambda op, _: str(op.root_object_count),
    "fileSize": lambda op, _: None if op.file_size is None else str(op.file_size),
    "url": lambda op, _: op.url if op.status == "COMPLETED" and op.object_count else None,
    "partialDataUrl": lambda op, _: op.url if op.status in {"FAILED", "CANCELED"} and op.object_count else None,
}

BULK_OPERATIONS = Listing(
    "bulkOperations",
    SearchFields(
        fields={
            "id": lambda op: op.id,
            "status": lambda op: op.status,
            "operation_type": lambda op: "query",
            "created_at": lambda op: op.created_at,
        },
        text=lambda op: [op.query],
    ),
    sorts_by(
        ID=lambda op: op.id,
        CREATED_AT=lambda op: op.created_at,
        COMPLETED_AT=lambda op: op.completed_at or op.created_at,
    ),
)
