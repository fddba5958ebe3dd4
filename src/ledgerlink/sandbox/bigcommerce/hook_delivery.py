"""BigCommerce's side of webhook delivery: which scopes a change fires, the light callback payload, the
signature, the retry schedule, and deactivating a hook whose retries ran out.

The payload is `{"store_id", "producer": "stores/<hash>", "scope", "data": {"type", "id", …},
"hash", "created_at"}` (webhook-callbacks/*.json). `hash` is a SHA-1 over the rest and a per-event
nonce, so it names the event: the same on every retry, different for two events in one second.
Deliveries are signed per Standard Webhooks with the app's client secret (its raw UTF-8 bytes are
the HMAC key; `webhook-id` stays the same across retries, `webhook-timestamp` is the attempt's) and
carry the hook's own `headers`. A destination has 10 s to answer 2xx; failures are retried 12 times
over about 48 hours, after which the hook is deactivated.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from ledgerlink.sandbox.bigcommerce.context import Context
from ledgerlink.sandbox.bigcommerce.hook_store import SCOPES, Hook
from ledgerlink.sandbox.bigcommerce.statuses import status_id
from ledgerlink.sandbox.bigcommerce.store_info import store_doc
from ledgerlink.sandbox.changes import Change
from ledgerlink.sandbox.dataset import Order
from ledgerlink.sandbox.delivery import Delivery, Dispatcher, RetryPolicy
from ledgerlink.webhooks import standard

POLICY = RetryPolicy(
    delays=(60, 180, 180, 300, 600, 900, 1800, 3600, 7200, 21600, 50400, 86400),  # BigCommerce's documented intervals
    timeout=10.0,
)
Event = tuple[str, dict[str, Any]]  # (scope, data)


class BigCommerceWebhooks:
    """Listens to the store's change feed and hands each event to the dispatcher, per active hook."""

    def __init__(self, ctx: Context, dispatcher: Dispatcher) -> None:
        self.ctx = ctx
        self.dispatcher = dispatcher
        ctx.store.changes.subscribe(self.on_change)

    # -- which events a change is ----------------------------------------------------------------

    def on_change(self, change: Change) -> None:
        for scope, data in self._events(change):
            self._publish(scope, data)

    def _events(self, change: Change) -> list[Event]:
        if change.kind == "order":
            order = self.ctx.store.order_by_id(change.id)
            return self._order_events(order, change.before) if order else []
        if change.kind == "inventory" and change.product_id is not None:
            return self._inventory_events(change)
        if change.kind in ("product", "customer"):
            return [(f"store/{change.kind}/{change.action}", {"type": change.kind, "id": change.id})]
        return []

    @staticmethod
    def _order_events(order: Order, before: Order | None) -> list[Event]:
        data = {"type": "order", "id": order.id}
        if before is None:
            return [("store/order/created", data)]
        events: list[Event] = [("store/order/updated", data)]
        if status_id(before) != status_id(order):
            status = {"previous_status_id": status_id(before), "new_status_id": status_id(order)}
            events.append(("store/order/statusUpdated", {**data, "status": status}))
        known = {r.id for r in before.refunds}
        events += [
            ("store/order/refund/created", {**data, "refund": {"refund_id": r.id}})
            for r in order.refunds
            if r.id not in known
        ]
        return events

    def _inventory_events(self, change: Change) -> list[Event]:
        variant = self.ctx.variants_by_id[change.id]
        inventory = {"product_id": change.product_id, "method": change.method or "absolute", "value": change.delta or 0}
        return [
            ("store/product/inventory/updated", {"type": "product", "id": change.product_id, "inventory": inventory}),
            (
                "store/sku/inventory/updated",
                {"type": "sku", "id": variant.inventory_item_id, "inventory": {**inventory, "variant_id": variant.id}},
            ),
        ]

    # -- firing --------------------------------------------------------------------------------

    def trigger(self, scope: str, ident: int) -> dict[str, Any]:
        """`POST /_sandbox/webhooks/trigger`: fire `scope` (`store/order/updated`…) for resource `ident`."""
        if scope not in SCOPES or scope.endswith("/*"):
            raise ValueError(f"{scope} is not a BigCommerce webhook event")
        kind = scope.split("/")[1]
        exists = {
            "order": lambda: self.ctx.store.order_by_id(ident) is not None,
            "product": lambda: ident in self.ctx.products_by_id,
            "customer": lambda: any(c.id == ident for c in self.ctx.store.customers),
            "sku": lambda: any(v.inventory_item_id == ident for v in self.ctx.store.variants),
        }.get(kind)
        if exists is None:
            raise ValueError(f"the sandbox does not produce {scope} (it has orders, products, SKUs and customers)")
        if not exists():
            raise LookupError(f"no {kind} {ident}")
        return self._publish(scope, self._trigger_data(scope, kind, ident))

    def _trigger_data(self, scope: str, kind: str, ident: int) -> dict[str, Any]:
        """A triggered event's data, with what its scope adds taken from the resource as it is."""
        data: dict[str, Any] = {"type": kind, "id": ident}
        order = self.ctx.store.order_by_id(ident) if kind == "order" else None
        if order is not None and scope == "store/order/statusUpdated":
            data["status"] = {"previous_status_id": status_id(order), "new_status_id": status_id(order)}
        if order is not None and scope == "store/order/refund/created" and order.refunds:
            data["refund"] = {"refund_id": order.refunds[-1].id}
        return data

    def _publish(self, scope: str, data: dict[str, Any]) -> dict[str, Any]:
        hooks = self.ctx.hooks.listening(scope)
        payload = self._payload(scope, data)
        for hook in hooks:
            self.dispatcher.enqueue(self._delivery(hook, scope, payload))
        return {"topic": scope, "event_id": payload["hash"], "subscriptions": [str(h.id) for h in hooks]}

    def _payload(self, scope: str, data: dict[str, Any]) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "store_id": str(store_doc(self.ctx)["store_id"]),
            "producer": f"stores/{self.ctx.identity.store_hash}",
            "scope": scope,
            "data": data,
            "created_at": int(datetime.now(UTC).timestamp()),
        }
        digest = hashlib.sha1(json.dumps({**payload, "nonce": uuid.uuid4().hex}).encode(), usedforsecurity=False)
        return {**payload, "hash": digest.hexdigest()}

    def _delivery(self, hook: Hook, scope: str, payload: dict[str, Any]) -> Delivery:
        body = json.dumps(payload, separators=(",", ":")).encode()
        message_id = f"msg_{uuid.uuid4().hex}"
        key = self.ctx.identity.client_secret.encode()
        custom = dict(hook.headers or {})
        hooks = self.ctx.hooks

        def headers(_attempt: int) -> dict[str, str]:
            signed = standard.sign([key], message_id, int(time.time()), body)
            return {**custom, "Content-Type": "application/json", **signed}

        return Delivery(
            provider="bigcommerce",
            subscription=str(hook.id),
            topic=scope,
            event_id=payload["hash"],
            url=hook.destination,
            body=body,
            policy=POLICY,
            headers=headers,
            live=lambda: hooks.get(hook.id) is hook and hook.is_active,
            on_exhausted=lambda: hooks.deactivate(hook.id),
            delivery_id=message_id,
        )
