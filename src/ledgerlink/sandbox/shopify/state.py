"""One simulated shop's state besides the dataset: lookups by id and what the API created."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from ledgerlink.sandbox.dataset import Customer, Location, Product, Store, Variant
from ledgerlink.sandbox.shopify.bulk import BulkOperations, Executor
from ledgerlink.sandbox.shopify.context import CustomerIndex, ShopIdentity
from ledgerlink.sandbox.shopify.inventory import InventoryLedger
from ledgerlink.sandbox.shopify.paging import CursorLife
from ledgerlink.sandbox.shopify.webhooks import WebhookRegistry


def utc_now() -> datetime:
    return datetime.now(UTC)


class ShopState:
    """Everything one simulated shop holds besides the dataset: lookups by id and what the API created."""

    def __init__(self, store: Store, execute: Executor, clock: Callable[[], datetime] = utc_now) -> None:
        self.store = store
        self.clock = clock
        self.identity = ShopIdentity.from_seed(store.seed)
        self.products: dict[int, Product] = {p.id: p for p in store.products}
        self.variants: dict[int, Variant] = {v.id: v for v in store.variants}
        self.inventory_items: dict[int, Variant] = {v.inventory_item_id: v for v in store.variants}
        self.locations: dict[int, Location] = {loc.id: loc for loc in store.locations}
        self.customers: dict[int, Customer] = {c.id: c for c in store.customers}
        self.customer_index = CustomerIndex(store)
        self.inventory = InventoryLedger(self)
        self.webhooks = WebhookRegistry(self)
        self.bulk = BulkOperations(self, execute)
        self.cursors = CursorLife()  # how long page cursors are honoured (POST /_sandbox/cursors)
