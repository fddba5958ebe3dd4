"""Bulk exports: a whole-history read of many orders as one `bulkOperationRunQuery` instead of pages.

The export runs on Shopify's side; the stream polls it (`node(id:)`) until it is COMPLETED, downloads the
JSONL to a temporary file (a signed URL on another host: no access token is sent there) and reads it
line by line, a page of orders at a time, never holding more than that page. With `groupObjects: true`
every order's line is followed by the lines of its nested connections' nodes, which carry `__parentId`
and `__typename`; an order is complete when the next order's line begins. Reassembled orders have the
shape a page query gives (`lineItems: {nodes: [...]}`…) and are completed the same way (refunds).

The resume token names the operation and where the next page starts in its file (line and byte), so
a run picked up again in another process downloads the rest of the file (HTTP Range) and goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import httpx
import orjson

from ledgerlink.canonical.records import CanonicalRecord
from ledgerlink.connectors.framework.graphql import GraphQLStream, Nested
from ledgerlink.connectors.framework.stream import Page
from ledgerlink.connectors.framework.window import SyncWindow
from ledgerlink.connectors.shopify import queries
from ledgerlink.upstream.client import UpstreamClient, network_policy
from ledgerlink.upstream.errors import UpstreamMalformed, UpstreamRejected, UpstreamUnavailable
from ledgerlink.upstream.network import GuardedTransport

FINISHED_BADLY = ("FAILED", "CANCELED", "EXPIRED")


@dataclass(frozen=True)
class ExportFile:
    """A downloaded export, or its tail: `base` is the export's byte offset of the file's first byte."""

    path: Path
    base: int

    def read(self, start: int, count: int, nested: tuple[Nested, ...]) -> tuple[list[dict[str, Any]], int, int | None]:
        """Up to `count` objects from the root line at byte `start`: (objects, lines read, next start or None)."""
        with self.path.open("rb") as fh:
            fh.seek(start - self.base)
            objects, lines, stop = Reassembly(nested).read(fh, count)
        return objects, lines, None if stop is None else stop + self.base


class Reassembly:
    """Root objects from grouped JSONL, each with its nested connections' nodes as `{field: {nodes}}`."""

    def __init__(self, nested: tuple[Nested, ...]) -> None:
        self.fields = {n.node_type: n.field for n in nested}
        self.root_fields = [n.field for n in nested if n.owner is None]

    def read(self, fh: IO[bytes], count: int) -> tuple[list[dict[str, Any]], int, int | None]:
        objects: list[dict[str, Any]] = []
        index: dict[str, dict[str, Any]] = {}
        lines = 0
        while True:
            start = fh.tell()
            raw = fh.readline()
            if not raw:
                return objects, lines, None
            if raw.strip():
                obj = orjson.loads(raw)
                if "__parentId" not in obj:
                    if len(objects) == count:
                        return objects, lines, start  # the page is full and its last object complete
                    objects.append(self._root(obj, index))
                else:
                    self._attach(obj, index)
            lines += 1

    def _root(self, obj: dict[str, Any], index: dict[str, dict[str, Any]]) -> dict[str, Any]:
        index.clear()
        for name in self.root_fields:
            obj.setdefault(name, {"nodes": []})
        if obj.get("id"):
            index[obj["id"]] = obj
        return obj

    def _attach(self, obj: dict[str, Any], index: dict[str, dict[str, Any]]) -> None:
        parent = index.get(obj.pop("__parentId"))
        if parent is None:
            raise UpstreamMalformed("the bulk export is not grouped: a line comes before or away from its parent")
        name = self.fields.get(str(obj.get("__typename")))
        if name is None:
            raise UpstreamMalformed(f"the bulk export has a line of an unexpected type: {obj.get('__typename')!r}")
        parent.setdefault(name, {"nodes": []})["nodes"].append(obj)
        if obj.get("id"):
            index[obj["id"]] = obj


@dataclass(frozen=True)
class BulkExportStream:
    """A stream read page by page, or, for a whole-history read of more than `threshold` records, exported.

    Only `since`-less windows (a full read) are exported; the export takes the same search as the pages."""

    paged: GraphQLStream
    export_query: Callable[[str | None], str]
    threshold: int
    count_document: str
    poll_interval: float = 1.0
    poll_budget: float = 60.0  # seconds one read_page waits before handing back an empty page (a checkpoint)
    transport: Any = None
    files: dict[str, ExportFile] = field(default_factory=dict)  # this process's downloads, by operation

    @property
    def name(self) -> str:
        return self.paged.name

    @property
    def resource_type(self) -> str:
        return self.paged.resource_type

    def external_id(self, raw: Any) -> str:
        return self.paged.external_id(raw)

    def updated_at(self, raw: Any) -> datetime | None:
        return self.paged.updated_at(raw)

    def map(self, raw: Any) -> CanonicalRecord:
        return self.paged.map(raw)

    def fingerprint(self, raw: Any) -> Any:
        """What the paged stream judges a record's change by (paging.ShopifyStream.own_data)."""
        fingerprint = getattr(self.paged, "fingerprint", None)
        return fingerprint(raw) if fingerprint is not None else raw

    async def fetch(self, client: UpstreamClient, global_id: str) -> Any | None:
        return await self.paged.fetch(client, global_id)

    async def read_page(self, client: UpstreamClient, window: SyncWindow, token: dict[str, Any] | None) -> Page:
        if token and "bulk" in token:
            return await self._export_page(client, window, token)
        if token is None and window.since is None:
            total, large = await self._count(client, window)
            if large:
                operation = await self._start(client, window)
                return await self._export_page(client, window, {"bulk": operation, "line": 0, "byte": 0}, total)
        return await self.paged.read_page(client, window, token)

    async def _count(self, client: UpstreamClient, window: SyncWindow) -> tuple[int | None, bool]:
        search = self.paged.search(window, None) if self.paged.search else None
        data = await self.paged.endpoint.run(client, self.count_document, {"query": search})
        counted = next(iter(data.values())) or {}
        exact = counted.get("precision") == "EXACT"
        number = int(counted.get("count") or 0)
        return (number if exact else None), (number > self.threshold or not exact)

    async def _start(self, client: UpstreamClient, window: SyncWindow) -> str:
        search = self.paged.search(window, None) if self.paged.search else None
        data = await self.paged.endpoint.run(client, queries.RUN_BULK_QUERY, {"query": self.export_query(search)})
        answer = data["bulkOperationRunQuery"]
        if answer.get("userErrors") or not answer.get("bulkOperation"):
            reasons = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in answer.get("userErrors") or [])
            raise UpstreamRejected(f"Shopify refused the bulk export: {reasons}", upstream_status=200)
        return str(answer["bulkOperation"]["id"])

    async def _export_page(
        self, client: UpstreamClient, window: SyncWindow, token: dict[str, Any], total: int | None = None
    ) -> Page:
        operation = token["bulk"]
        export = self.files.get(operation)
        if export is None:
            done = await self._wait(client, operation)
            if done is None:
                return Page([], token, total)  # still running: the run checkpoints and comes back
            if not done.get("url"):
                return Page([], None, total)  # nothing matched: an empty export has no file
            export = self.files[operation] = await self._download(client, done["url"], int(token["byte"]))
        raws, lines, stop = export.read(int(token["byte"]), window.page_size, self.paged.nested)
        records = await self.paged.complete(client, raws)
        if stop is None:
            self._forget(operation)
            return Page(records, None, total)
        return Page(records, {**token, "line": int(token["line"]) + lines, "byte": stop}, total)

    async def _wait(self, client: UpstreamClient, operation: str) -> dict[str, Any] | None:
        """The operation once COMPLETED; None if it is still running after `poll_budget` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.poll_budget
        while True:
            found = (await self.paged.endpoint.run(client, queries.BULK_OPERATION, {"id": operation})).get("node")
            if found is None:
                raise UpstreamRejected(f"bulk operation {operation} is unknown to the shop", upstream_status=200)
            if found["status"] == "COMPLETED":
                return dict(found)
            if found["status"] in FINISHED_BADLY:
                raise UpstreamUnavailable(
                    f"bulk operation {operation} {found['status'].lower()}: {found.get('errorCode') or 'no reason'}"
                )
            if loop.time() >= deadline:
                return None
            await asyncio.sleep(self.poll_interval)

    async def _download(self, client: UpstreamClient, url: str, start: int) -> ExportFile:
        """The export from byte `start` into a temporary file, retried like any upstream call."""
        failures = 0
        while True:
            try:
                return await self._fetch(url, start)
            except (httpx.TransportError, UpstreamUnavailable) as exc:
                failures += 1
                if failures >= client.retry.attempts:
                    raise UpstreamUnavailable(f"downloading the bulk export failed {failures} times: {exc}") from exc
                await asyncio.sleep(client.retry.backoff(failures))

    async def _fetch(self, url: str, start: int) -> ExportFile:
        handle, name = tempfile.mkstemp(prefix="ledgerlink-shopify-export-", suffix=".jsonl")
        try:
            async with (
                # The export URL comes from the upstream: checked like every upstream call, redirects too.
                httpx.AsyncClient(
                    transport=GuardedTransport(network_policy(), self.transport), timeout=60, follow_redirects=True
                ) as http,
                http.stream("GET", url, headers={"Range": f"bytes={start}-"} if start else {}) as response,
            ):
                if response.status_code not in (200, 206):
                    raise UpstreamUnavailable(f"GET bulk export: HTTP {response.status_code}")
                with os.fdopen(handle, "wb") as fh:
                    handle = -1
                    async for chunk in response.aiter_bytes():
                        fh.write(chunk)
            export = ExportFile(Path(name), start if response.status_code == 206 else 0)
            weakref.finalize(export, Path(name).unlink, missing_ok=True)  # a run that stops early leaves none
            return export
        except BaseException:
            if handle >= 0:
                os.close(handle)
            Path(name).unlink(missing_ok=True)
            raise

    def _forget(self, operation: str) -> None:
        export = self.files.pop(operation, None)
        if export is not None:
            with contextlib.suppress(OSError):
                export.path.unlink()
