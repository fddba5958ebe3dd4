"""Streams made from other parts: one that flattens another stream's records, and one of fixed records."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ledgerlink.canonical.records import CanonicalRecord
from ledgerlink.connectors.framework.stream import Page, RecordParts, Stream
from ledgerlink.connectors.framework.window import SyncWindow
from ledgerlink.upstream.client import UpstreamClient


@dataclass(frozen=True)
class FlatStream:
    """Records found inside another stream's records (inventory inside products, variants and all)."""

    name: str
    resource_type: str
    base: Stream
    flatten: Callable[[Any], list[Any]]
    records: RecordParts

    async def read_page(self, client: UpstreamClient, window: SyncWindow, token: dict[str, Any] | None) -> Page:
        page = await self.base.read_page(client, window, token)
        return Page([child for raw in page.records for child in self.flatten(raw)], page.next_token)

    def external_id(self, raw: Any) -> str:
        return self.records.external_id(raw)

    def updated_at(self, raw: Any) -> datetime | None:
        return self.records.updated_at(raw)

    def map(self, raw: Any) -> CanonicalRecord:
        return self.records.map(raw)


@dataclass(frozen=True)
class FixedStream:
    """Records the connector knows without asking (WooCommerce's single stock location)."""

    name: str
    resource_type: str
    fixed: tuple[Any, ...]
    records: RecordParts

    async def read_page(self, client: UpstreamClient, window: SyncWindow, token: dict[str, Any] | None) -> Page:
        return Page(list(self.fixed), None)

    def external_id(self, raw: Any) -> str:
        return self.records.external_id(raw)

    def updated_at(self, raw: Any) -> datetime | None:
        return None

    def map(self, raw: Any) -> CanonicalRecord:
        return self.records.map(raw)
