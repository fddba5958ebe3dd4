"""A connector: a provider's streams, the client that reaches it, and the few verbs beyond reading."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ledgerlink.connectors.framework.stream import Stream
from ledgerlink.connectors.spec import Credentials
from ledgerlink.ratelimit import Limit
from ledgerlink.upstream.budget import Budget
from ledgerlink.upstream.client import UpstreamClient
from ledgerlink.upstream.policy import RetryPolicy


@dataclass(frozen=True)
class InventoryChange:
    """Set (`quantity` is the new on-hand/available count) or adjust (`quantity` is a delta)."""

    sku: str
    location_external_id: str | None
    quantity: int
    mode: str = "set"  # set | adjust
    variant_external_id: str | None = None  # the upstream's id for the SKU, when the hub knows it
    compare_quantity: int | None = None  # compare-and-set where the upstream supports it


@dataclass(frozen=True)
class InventoryResult:
    sku: str
    location_external_id: str | None
    ok: bool
    quantity_after: int | None = None
    error: str | None = None


class Connector(ABC):
    """Subclasses declare `streams` and `default_limit`, build their client, and implement the verbs."""

    provider: ClassVar[str]
    stream_names: ClassVar[tuple[str, ...]]
    # The upstream's published request budget; None where it has none (WooCommerce).
    default_limit: ClassVar[Limit | None] = None
    # Where stock is when a change names no location (a channel with one stock location).
    default_location: ClassVar[str | None] = None

    def __init__(self, credentials: Credentials, *, budget: Budget | None = None, transport: Any = None) -> None:
        self.credentials = credentials
        self.budget = budget
        self.transport = transport

    @property
    @abstractmethod
    def streams(self) -> Mapping[str, Stream]: ...

    @abstractmethod
    def client(self, retry: RetryPolicy | None = None) -> UpstreamClient: ...

    @abstractmethod
    async def check(self, client: UpstreamClient) -> dict[str, Any]:
        """Prove the credentials work (raise UpstreamAuthFailed otherwise); returns what was learnt."""

    @abstractmethod
    async def fetch_record(self, client: UpstreamClient, stream: str, external_id: str) -> Any | None:
        """One record in full, as its stream's `map` expects it (None if gone upstream)."""

    @abstractmethod
    async def push_inventory(self, client: UpstreamClient, changes: list[InventoryChange]) -> list[InventoryResult]:
        """Write inventory upstream; one result per change, in order."""
