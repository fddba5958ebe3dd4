"""What every handler works with: the store, its identity, the order index, the catalogue lookups, the hooks."""

from __future__ import annotations

import hashlib
import string
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from starlette.requests import Request

from ledgerlink.sandbox.bigcommerce import malformed
from ledgerlink.sandbox.bigcommerce.amounts import order_amounts
from ledgerlink.sandbox.bigcommerce.hook_store import HookStore
from ledgerlink.sandbox.bigcommerce.order_docs import order_doc, product_doc
from ledgerlink.sandbox.bigcommerce.order_index import OrderIndex
from ledgerlink.sandbox.dataset import Order, Product, Store, Variant
from ledgerlink.sandbox.faults import FaultInjector

ALPHABET = string.ascii_lowercase + string.digits


def derive(seed: int, purpose: str, length: int) -> str:
    """A deterministic secret-looking string of lowercase letters and digits."""
    number = int.from_bytes(hashlib.sha256(f"ledgerlink:bigcommerce:{seed}:{purpose}".encode()).digest())
    chars = []
    for _ in range(length):
        number, rest = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[rest])
    return "".join(chars)


@dataclass(frozen=True)
class Identity:
    store_hash: str
    access_token: str
    client_id: str
    client_secret: str

    @classmethod
    def for_seed(cls, seed: int) -> Identity:
        return cls(
            derive(seed, "store_hash", 10),
            derive(seed, "access_token", 31),
            derive(seed, "client_id", 31),
            derive(seed, "client_secret", 40),
        )


@dataclass
class Context:
    store: Store
    injector: FaultInjector
    identity: Identity
    orders: OrderIndex = field(init=False)
    hooks: HookStore = field(default_factory=HookStore)

    def __post_init__(self) -> None:
        self.orders = OrderIndex(self.store)

    @cached_property
    def products_by_id(self) -> dict[int, Product]:
        return {p.id: p for p in self.store.products}

    @cached_property
    def variants_by_id(self) -> dict[int, Variant]:
        return {v.id: v for v in self.store.variants}

    def api_root(self, request: Request, version: str = "v2") -> str:
        """This store's API base URL as the client reached it, e.g. http://host/bigcommerce/stores/abc/v2."""
        mount = f"{request.url.scheme}://{request.url.netloc}{request.scope.get('root_path', '')}"
        return f"{mount}/stores/{self.identity.store_hash}/{version}"

    def breaks(self, order: Order) -> bool:
        return order.malformed and self.injector.faults.malformed

    def order_doc(self, order: Order, request: Request) -> dict[str, Any]:
        doc = order_doc(order, self.api_root(request), order_amounts(order))
        return malformed.break_order(order, doc) if self.breaks(order) else doc

    def product_docs(self, order: Order) -> list[dict[str, Any]]:
        rows = [
            product_doc(
                order, line, self.products_by_id[line.line.product_id], self.variants_by_id.get(line.line.variant_id)
            )
            for line in order_amounts(order).lines
        ]
        return malformed.break_products(order, rows) if self.breaks(order) else rows
