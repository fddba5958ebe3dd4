"""What part of a stream a sync asks for."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class SyncWindow:
    """`since`/`until` bound the records' upstream updated_at as [since, until) (None: unbounded);
    `filters` are the request's own (orderStatus, fulfillmentStatus, publishedStatus, …), passed to
    streams that know them."""

    since: datetime | None = None
    until: datetime | None = None
    filters: dict[str, Any] = field(default_factory=dict)
    page_size: int = 100
