"""A connector: a provider's streams, the client that reaches it, and the few verbs beyond reading."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ledgerlink.connectors.framework.stream import Stream
from ledgerlink.connectors.spec import Credentials
from ledgerlink.errors import ConfigurationError
from ledgerlink.ratelimit import Limit
from ledgerlink.upstream.budget import Budget
from ledgerlink.upstream.client import UpstreamClient
from ledgerlink.upstream.policy import RetryPolicy
from ledgerlink.upstream.tokens import MemoryTokens, TokenStore


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


@dataclass(frozen=True)
class RegisteredHook:
    """One webhook subscription as the upstream lists it."""

    upstream_id: str
    topic: str  # as the upstream spells it: ORDERS_CREATE, store/order/*, order.created
    destination: str
    active: bool  # False when the upstream stopped delivering (deactivated, paused, disabled)


@dataclass(frozen=True)
class CheckDelivery:
    """A delivery made up and signed as the upstream would send it, for "Check Integration": its topic
    is one the hub stores and ignores, so sending it never changes data."""

    topic: str
    headers: dict[str, str]
    body: bytes


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
        # Where expiring access tokens come from: the integration's shared store when the connector
        # belongs to one (integrations/connectors.py), else held in memory for this connector's life.
        self.tokens: TokenStore | MemoryTokens = MemoryTokens(credentials)

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

    async def confirm_webhook(self, client: UpstreamClient, headers: Mapping[str, str], body: bytes) -> bool:
        """Whether the upstream confirms a stored delivery as its own, asked before the delivery is
        acted on (PayPal: its signature can only be checked in full by PayPal's API). Raises the
        upstream's error when it cannot say. By default there is nothing to ask: the signature checked
        on receipt is the whole proof."""
        return True

    # --- webhook registration (optional: providers whose hooks the hub creates upstream) ----------

    # True where the hub picks the secret that signs deliveries and hands it over with each
    # registration (WooCommerce); elsewhere the upstream signs with a secret of its own.
    hub_chooses_webhook_secret: ClassVar[bool] = False

    def _no_registration(self) -> ConfigurationError:
        return ConfigurationError(
            f"no webhook registration for {self.provider}: its hooks cannot be created from the hub",
            {"provider": self.provider},
        )

    def webhook_topics(self) -> tuple[str, ...]:
        """The upstream topics (scopes) the hub subscribes to, spelt as the upstream spells them."""
        raise self._no_registration()

    async def register_webhook(self, client: UpstreamClient, topic: str, destination: str, secret: str | None) -> str:
        """Create one hook upstream delivering `topic` to `destination`; returns the upstream's id for it.
        `secret` is the integration's verification secret, where the upstream takes one with the hook."""
        raise self._no_registration()

    async def list_webhooks(self, client: UpstreamClient) -> list[RegisteredHook]:
        """Every hook the upstream holds for these credentials (ours and any other)."""
        raise self._no_registration()

    async def update_webhook_secret(self, client: UpstreamClient, upstream_id: str, secret: str) -> bool:
        """Give an existing hook a new secret in place; False when the upstream cannot (or the hook is
        gone), and the hook is then made again with it."""
        return False

    async def delete_webhook(self, client: UpstreamClient, upstream_id: str) -> bool:
        """Remove one hook; False when the upstream had no such hook (already gone is not an error)."""
        raise self._no_registration()

    def webhook_check_delivery(self, secret: str) -> CheckDelivery:
        """A signed delivery of a topic nothing acts on, as the upstream would send it."""
        raise self._no_registration()
