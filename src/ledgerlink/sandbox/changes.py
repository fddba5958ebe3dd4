"""What changed in a store, announced to whoever listens: each platform's webhook publisher.

Data changes in many places (a touch, an inventory mutation, a product PUT, an inventory
adjustment). Each write announces a `Change` on its store's feed once it is applied, and the
platform turns that into its own topics (Shopify `orders/updated`, WooCommerce `order.updated`,
BigCommerce `store/order/statusUpdated`…). Listeners run inside the write, so they only enqueue
deliveries and never wait on a network.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from ledgerlink.sandbox.dataset import Order

logger = logging.getLogger(__name__)

Kind = Literal["order", "product", "variant", "customer", "inventory"]
Action = Literal["created", "updated", "deleted"]


@dataclass(frozen=True)
class Change:
    """`id` names the order, product, variant or customer; for `inventory` it is the variant."""

    kind: Kind
    action: Action
    id: int
    product_id: int | None = None  # variant and inventory changes: the variant's product
    location_id: int | None = None  # inventory changes: where the count moved
    delta: int | None = None  # inventory changes: on-hand after minus before
    method: Literal["absolute", "relative"] | None = None  # inventory changes: a count set, or moved by a delta
    before: Order | None = None  # order updates: the order as it was, to tell a cancel or a refund


Listener = Callable[[Change], None]


class ChangeFeed:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def publish(self, change: Change) -> None:
        """Tell every listener. A listener that fails is logged, not raised: the write it follows
        has already happened, as upstream's own change would have whatever its webhooks do."""
        for listener in list(self._listeners):
            try:
                listener(change)
            except Exception:
                logger.exception("webhook publisher failed on %s", change)
