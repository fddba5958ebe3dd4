"""Declarative GraphQL streams: Relay cursor paging over a connection read in updated-at order from a
lower bound, with the connections nested in each record read to their end.

A page is one query: `$first` nodes after `$after`, filtered by a search the connector builds from the
window (`$query`), each nested connection asked for `$<field>First` nodes. The resume token is the lower
bound the search was built from and the connection's end cursor, so a run picked up again repeats the
very query it was on and goes on from the last node it loaded.

A nested connection that holds more than one page (an order with more lines than were asked for) is
read on through `node(id:)` until its `pageInfo.hasNextPage` is false; the record then keeps it as
`{"nodes": [...]}`, the shape a bulk export reassembles to, so a record hashes alike however it was read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ledgerlink.canonical.records import CanonicalRecord
from ledgerlink.connectors.framework.stream import EnrichPage, Page, RecordParts, dig
from ledgerlink.connectors.framework.window import SyncWindow
from ledgerlink.upstream.client import UpstreamClient
from ledgerlink.upstream.errors import UpstreamMalformed, UpstreamRejected

Search = Callable[[SyncWindow, datetime | None], str | None]
PAGE_INFO = "pageInfo { hasNextPage endCursor }"
_MESSAGE = re.compile(r'"message"\s*:\s*"((?:[^"\\]|\\.)*)"')


def error_messages(body: str | None) -> list[str]:
    """The `errors[].message`s of a GraphQL answer (read from a possibly truncated body excerpt)."""
    if not body:
        return []
    try:
        errors = json.loads(body).get("errors")
    except (ValueError, AttributeError):
        return [json.loads(f'"{m}"') for m in _MESSAGE.findall(body)]
    if isinstance(errors, str):
        return [errors]
    return [str(e.get("message")) for e in errors or [] if isinstance(e, dict)]


@dataclass(frozen=True)
class GraphQLEndpoint:
    """Where a GraphQL API answers, relative to the client's base URL."""

    path: str

    async def run(self, client: UpstreamClient, document: str, variables: dict[str, Any] | None = None) -> Any:
        """The answer's `data`. A refused query raises UpstreamRejected naming GraphQL's own messages."""
        try:
            reply = await client.request("POST", self.path, json={"query": document, "variables": variables or {}})
        except UpstreamRejected as exc:
            messages = error_messages((exc.details or {}).get("upstreamBody"))
            if not messages:
                raise
            raise UpstreamRejected(
                f"{exc.message}: {'; '.join(messages)}",
                upstream_status=exc.upstream_status,
                body=(exc.details or {}).get("upstreamBody"),
            ) from exc
        data = reply.data.get("data") if isinstance(reply.data, dict) else None
        if not isinstance(data, dict):
            raise UpstreamMalformed(f"POST {self.path}: the answer has no data", upstream_status=200)
        return data


@dataclass(frozen=True)
class Nested:
    """A connection inside each record, read to its end.

    `owner` is where the object holding it sits in the record: None for the record itself, a dotted
    path to an object (`inventoryItem`), or to a list whose every element holds one (`refunds`)."""

    field: str  # the connection's field on its owner: lineItems
    owner_type: str  # the owner's GraphQL type, which must implement Node: Order
    node_type: str  # the type of its nodes (their __typename in a bulk export): LineItem
    selection: str  # what each node selects: ...LineItemFields
    fragments: str = ""  # the fragment definitions `selection` spreads
    page_size: int = 10
    owner: str | None = None

    @property
    def variable(self) -> str:
        return f"{self.field}First"

    @property
    def paged(self) -> str:
        """The connection as a page query selects it (its size is the `$<field>First` variable)."""
        return f"{self.field}(first: ${self.variable}) {{ nodes {{ {self.selection} }} {PAGE_INFO} }}"

    @property
    def exported(self) -> str:
        """The connection as a bulk export selects it: unpaged, every node on a line of its own."""
        return f"{self.field} {{ edges {{ node {{ {self.selection} }} }} }}"

    @property
    def document(self) -> str:
        """The follow-up query: the next page of this connection on one owner."""
        name = f"{self.owner_type}{self.field[0].upper()}{self.field[1:]}Page"
        return (
            f"query {name}($id: ID!, $first: Int!, $after: String) {{ node(id: $id) {{ id ... on {self.owner_type} "
            f"{{ {self.field}(first: $first, after: $after) {{ nodes {{ {self.selection} }} {PAGE_INFO} }} }} }} }}"
            f"\n{self.fragments}"
        )

    def owners(self, record: Any) -> list[dict[str, Any]]:
        value = dig(record, self.owner) if self.owner else record
        items = value if isinstance(value, list) else [value]
        return [item for item in items if isinstance(item, dict)]


async def read_nested(client: UpstreamClient, endpoint: GraphQLEndpoint, record: Any, nested: Nested) -> None:
    """Every node of `nested` in `record`, its later pages fetched; left as `{"nodes": [...]}`."""
    for owner in nested.owners(record):
        connection = owner.get(nested.field) or {}
        nodes = list(connection.get("nodes") or [])
        info = connection.get("pageInfo") or {}
        while info.get("hasNextPage"):
            variables = {"id": owner["id"], "first": nested.page_size, "after": info.get("endCursor")}
            found = (await endpoint.run(client, nested.document, variables)).get("node")
            if found is None:  # the owner is gone upstream: what was read is all there is
                break
            more = found[nested.field]
            nodes += more["nodes"]
            info = more["pageInfo"]
        owner[nested.field] = {"nodes": nodes}


@dataclass(frozen=True)
class GraphQLStream:
    name: str
    resource_type: str
    endpoint: GraphQLEndpoint
    # Declares $first: Int!, $after: String, $query: String when `search` is set, $<field>First: Int! for
    # each nested connection, and $withCount: Boolean! when `count_at` is set.
    document: str
    connection_at: str  # where the connection is in `data`: orders
    records: RecordParts
    max_page_size: int = 250  # the most nodes one page may ask for (the connector fits it to its cost limit)
    search: Search | None = None  # the search string for a window and lower bound
    nested: tuple[Nested, ...] = ()
    context: Mapping[str, str] = field(default_factory=dict)  # record key -> path in `data` copied onto each record
    count_at: str | None = None  # a Count ({count precision}) asked with the first page: the run's total
    record_document: str | None = None  # one record by $id, for fetch()
    record_at: str | None = None
    enrich: EnrichPage | None = None  # completes a page's records (sub-resources fetched in batch)

    def external_id(self, raw: Any) -> str:
        return self.records.external_id(raw)

    def updated_at(self, raw: Any) -> datetime | None:
        return self.records.updated_at(raw)

    def map(self, raw: Any) -> CanonicalRecord:
        return self.records.map(raw)

    def nested_variables(self) -> dict[str, int]:
        return {n.variable: n.page_size for n in self.nested}

    def page_variables(self, window: SyncWindow, since: datetime | None, after: str | None) -> dict[str, Any]:
        variables: dict[str, Any] = {"first": min(window.page_size, self.max_page_size), "after": after}
        if self.search is not None:
            variables["query"] = self.search(window, since)
        if self.count_at is not None:
            variables["withCount"] = after is None
        return {**variables, **self.nested_variables()}

    async def read_page(self, client: UpstreamClient, window: SyncWindow, token: dict[str, Any] | None) -> Page:
        token = token or {}
        since = _time(token["since"]) if "since" in token else window.since
        after = token.get("after")
        data = await self.endpoint.run(client, self.document, self.page_variables(window, since, after))
        connection = dig(data, self.connection_at)
        records = await self.complete(client, list(connection["nodes"]), data)
        info = connection["pageInfo"]
        next_token = {"since": _iso(since), "after": info["endCursor"]} if info["hasNextPage"] else None
        return Page(records, next_token, self._total(data) if after is None else None)

    async def fetch(self, client: UpstreamClient, global_id: str) -> Any | None:
        """One record in full by its global id (None when it is gone)."""
        if self.record_document is None or self.record_at is None:
            return None
        data = await self.endpoint.run(client, self.record_document, {"id": global_id, **self.nested_variables()})
        record = dig(data, self.record_at)
        return (await self.complete(client, [record], data))[0] if record is not None else None

    async def complete(self, client: UpstreamClient, records: list[Any], data: Any = None) -> list[Any]:
        """Nested connections read to their end, page context attached, then the connector's enrichment."""
        for record in records:
            for nested in self.nested:
                await read_nested(client, self.endpoint, record, nested)
            for key, path in self.context.items() if data is not None else ():
                record[key] = dig(data, path)
        return await self.enrich(client, records) if self.enrich is not None else records

    def _total(self, data: Any) -> int | None:
        counted = dig(data, self.count_at) if self.count_at else None
        if not isinstance(counted, dict) or counted.get("precision") != "EXACT":
            return None
        return int(counted["count"])


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
