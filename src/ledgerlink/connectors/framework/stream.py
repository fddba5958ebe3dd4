"""A stream: how to read one kind of upstream record, page by page, and what each record means."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ledgerlink.canonical.records import CanonicalRecord
from ledgerlink.connectors.framework.window import SyncWindow
from ledgerlink.upstream.client import UpstreamClient


@dataclass(frozen=True)
class Page:
    records: list[Any]
    # An opaque, JSON-serialisable resume token for the next page; None when the stream is exhausted.
    next_token: dict[str, Any] | None
    total: int | None = None  # how many records the whole read covers, where the upstream says


class Stream(Protocol):
    name: str  # orders | products | customers | locations | inventory
    resource_type: str  # the canonical type its records load into

    async def read_page(self, client: UpstreamClient, window: SyncWindow, token: dict[str, Any] | None) -> Page:
        """One page from `token` (None: the first page). Must be resumable from any token it returned."""
        ...

    def external_id(self, raw: Any) -> str: ...

    def updated_at(self, raw: Any) -> datetime | None: ...

    def map(self, raw: Any) -> CanonicalRecord:
        """The canonical record; raises (ValueError, KeyError, TypeError, ValidationError) on a bad one."""
        ...


def dig(value: Any, path: str | None) -> Any:
    """`dig(doc, "data.orders")`: follow dotted keys (None or "" is the document itself)."""
    if not path:
        return value
    for key in path.split("."):
        value = value[key] if isinstance(value, Mapping) else value[int(key)]
    return value


@dataclass(frozen=True)
class RecordParts:
    """The declarative half every stream shares: where ids and timestamps are, and the mapper."""

    id_field: str
    updated_field: str | None
    parse_time: Callable[[Any], datetime | None]
    mapper: Callable[[Any], CanonicalRecord]

    def external_id(self, raw: Any) -> str:
        return str(dig(raw, self.id_field))

    def updated_at(self, raw: Any) -> datetime | None:
        if self.updated_field is None:
            return None
        try:
            return self.parse_time(dig(raw, self.updated_field))
        except (KeyError, IndexError, TypeError, ValueError):
            return None

    def map(self, raw: Any) -> CanonicalRecord:
        return self.mapper(raw)
