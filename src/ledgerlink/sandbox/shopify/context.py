"""A shop's identity, its customer index, and the per-request execution context."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ledgerlink.sandbox.dataset import Store
from ledgerlink.sandbox.shopify.paging import BulkPage

if TYPE_CHECKING:
    from ledgerlink.sandbox.shopify.state import ShopState


def seed_digest(seed: int, purpose: str) -> str:
    return hashlib.sha256(f"ledgerlink-sandbox:shopify:{seed}:{purpose}".encode()).hexdigest()


@dataclass(frozen=True)
class ShopIdentity:
    """Deterministic per seed: the shop's permanent domain, its Admin API token and its app secret."""

    handle: str
    access_token: str
    webhook_secret: str

    @classmethod
    def from_seed(cls, seed: int) -> ShopIdentity:
        return cls(
            handle=f"ledgerlink-sandbox-{seed_digest(seed, 'shop')[:6]}",
            access_token="shpat_" + seed_digest(seed, "token")[:32],
            webhook_secret=seed_digest(seed, "webhook-secret")[:32],
        )

    @property
    def domain(self) -> str:
        return f"{self.handle}.myshopify.com"


class CustomerIndex:
    """Each customer's orders and amount spent. Needs one pass over every order, so it is built once, on
    first use (the app builds it in a worker thread before a query that needs it)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._orders: dict[int, list[int]] | None = None
        self._spent: dict[int, Decimal] = {}

    def ensure(self) -> None:
        with self._lock:
            if self._orders is not None:
                return
            orders: dict[int, list[int]] = {}
            for index in range(self.store.orders_count):
                order = self.store.order(index)
                if order.customer_id is None:
                    continue
                orders.setdefault(order.customer_id, []).append(index)
                if order.cancelled_at is None:
                    spent = self._spent.get(order.customer_id, Decimal(0))
                    self._spent[order.customer_id] = spent + order.total - order.refunded
            self._orders = orders

    @property
    def ready(self) -> bool:
        return self._orders is not None

    def order_indices(self, customer_id: int) -> list[int]:
        self.ensure()
        assert self._orders is not None
        return self._orders.get(customer_id, [])

    def spent(self, customer_id: int) -> Decimal:
        self.ensure()
        return self._spent.get(customer_id, Decimal(0))


@dataclass
class Ctx:
    """Per request: the shop, whether malformed records are rendered broken, where the mount is served,
    the bulk chunk being read (None outside bulk runs) and search warnings to report."""

    state: ShopState
    malformed: bool
    mount_url: str
    bulk: BulkPage | None = None
    search_warnings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def store(self) -> Store:
        return self.state.store
