"""Shopify's side of webhook delivery: which topics a change fires, the REST body, the headers Shopify
signs, its retry schedule, and removing a subscription whose retries ran out.

Shopify POSTs the REST resource as it was when the event happened (retries resend that same body),
signs the raw body with the app's client secret (`X-Shopify-Hmac-Sha256`, base64 HMAC-SHA256: the
store announces it as `webhookSecret`), and counts anything but a 2xx within 5 s as a failure. It
retries 8 times over 4 hours with backoff, to the address the subscription had when the event
fired, then deletes a subscription made through the API. `X-Shopify-Event-Id` names the event
(the same for every subscription and every retry); `X-Shopify-Webhook-Id` names one event's
delivery to one subscription (the same across its retries).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson

from ledgerlink.sandbox.changes import Change
from ledgerlink.sandbox.dataset import Order
from ledgerlink.sandbox.delivery import Delivery, Dispatcher, RetryPolicy
from ledgerlink.sandbox.shopify.rest_catalog import customer_json, inventory_level_json, product_json
from ledgerlink.sandbox.shopify.rest_orders import order_json
from ledgerlink.sandbox.shopify.rest_refunds import refund_json
from ledgerlink.sandbox.shopify.schema import API_VERSION
from ledgerlink.sandbox.shopify.state import ShopState
from ledgerlink.sandbox.shopify.webhooks import Subscription

POLICY = RetryPolicy(delays=(60, 120, 240, 480, 900, 1800, 3600, 7200), timeout=5.0)  # 8 retries, 4 hours

# The subscription enum (webhookSubscriptionCreate's topic) and the header spelling of every topic the
# sandbox produces.
TOPICS = {
    "ORDERS_CREATE": "orders/create",
    "ORDERS_UPDATED": "orders/updated",
    "ORDERS_CANCELLED": "orders/cancelled",
    "PRODUCTS_CREATE": "products/create",
    "PRODUCTS_UPDATE": "products/update",
    "PRODUCTS_DELETE": "products/delete",
    "CUSTOMERS_CREATE": "customers/create",
    "CUSTOMERS_UPDATE": "customers/update",
    "INVENTORY_LEVELS_UPDATE": "inventory_levels/update",
    "REFUNDS_CREATE": "refunds/create",
}
ENUMS = {name: enum for enum, name in TOPICS.items()}
REFUND_ID_BASE = 3_000_000  # dataset refunds are numbered index * 10 + this
Event = tuple[str, Callable[[], dict[str, Any]]]  # (topic, renders the body: only when someone subscribed)


def hmac_sha256(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class ShopifyWebhooks:
    """Listens to the shop's change feed and hands each subscribed event to the dispatcher."""

    def __init__(self, state: ShopState, dispatcher: Dispatcher) -> None:
        self.state = state
        self.dispatcher = dispatcher
        state.store.changes.subscribe(self.on_change)

    # -- which events a change is ----------------------------------------------------------------

    def on_change(self, change: Change) -> None:
        for topic, body in self._events(change):
            self._publish(topic, body)

    def _events(self, change: Change) -> list[Event]:
        if change.kind == "order":
            order = self.state.store.order_by_id(change.id)
            return self._order_events(order, change.before) if order else []
        if change.kind == "inventory" and change.location_id is not None:
            variant, location_id = self.state.variants[change.id], change.location_id
            return [
                ("inventory_levels/update", lambda: inventory_level_json(self.state, variant, location_id)),
                self._event("products/update", variant.product_id),
            ]
        if change.kind == "variant":
            return [self._event("products/update", change.product_id or 0)]
        verb = {"created": "create", "updated": "update", "deleted": "delete"}[change.action]
        if change.kind == "product":
            return [self._event(f"products/{verb}", change.id)]
        if change.kind == "customer" and verb != "delete":
            return [self._event(f"customers/{verb}", change.id)]
        return []

    def _event(self, topic: str, ident: int) -> Event:
        return topic, lambda: self.render(topic, ident)

    def _order_events(self, order: Order, before: Order | None) -> list[Event]:
        if before is None:
            return [("orders/create", lambda: order_json(self.state, order))]
        events: list[Event] = []
        if before.cancelled_at is None and order.cancelled_at is not None:
            events.append(("orders/cancelled", lambda: order_json(self.state, order)))
        known = {r.id for r in before.refunds}
        for refund in order.refunds:
            if refund.id not in known:
                events.append(("refunds/create", lambda refund=refund: refund_json(self.state, order, refund)))
        return [*events, ("orders/updated", lambda: order_json(self.state, order))]

    def render(self, topic: str, ident: int) -> dict[str, Any]:
        """The body of `topic` for resource `ident` as it is now (LookupError when there is none)."""
        state = self.state
        body: dict[str, Any] | None
        if topic.startswith("orders/"):
            order = state.store.order_by_id(ident)
            body = order_json(state, order) if order else None
        elif topic == "products/delete":
            body = {"id": ident}
        elif topic.startswith("products/"):
            body = product_json(state.products[ident]) if ident in state.products else None
        elif topic.startswith("customers/"):
            body = customer_json(state.customers[ident]) if ident in state.customers else None
        elif topic == "refunds/create":
            body = self._refund(ident)
        elif topic == "inventory_levels/update":  # the id is the inventory item's; its first location
            variant = state.inventory_items.get(ident)
            body = inventory_level_json(state, variant, next(iter(variant.stock))) if variant else None
        else:
            raise ValueError(f"the sandbox does not produce {topic}; it produces {', '.join(ENUMS)}")
        if body is None:
            raise LookupError(f"nothing for {topic} has id {ident}")
        return body

    def _refund(self, refund_id: int) -> dict[str, Any] | None:
        order = self.state.store.order_by_id(100_000 + (refund_id - REFUND_ID_BASE) // 10)
        refund = next((r for r in order.refunds if r.id == refund_id), None) if order else None
        return refund_json(self.state, order, refund) if order and refund else None

    # -- firing --------------------------------------------------------------------------------

    def trigger(self, topic: str, ident: int) -> dict[str, Any]:
        """`POST /_sandbox/webhooks/trigger`: fire `topic` (`orders/updated` or `ORDERS_UPDATED`)."""
        name = TOPICS.get(topic, topic)
        if name not in ENUMS:
            raise ValueError(f"the sandbox does not produce {topic}; it produces {', '.join(ENUMS)}")
        rendered = self.render(name, ident)
        return self._publish(name, lambda: rendered)

    def _publish(self, topic: str, body: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        subscriptions = [
            s for s in self.state.webhooks.all() if s.topic == ENUMS[topic] and s.uri.startswith(("http:", "https:"))
        ]
        event_id = str(uuid.uuid4())
        if subscriptions:
            rendered, triggered_at = body(), datetime.now(UTC)
            for subscription in subscriptions:
                self.dispatcher.enqueue(self._delivery(subscription, topic, rendered, event_id, triggered_at))
        return {"topic": topic, "event_id": event_id, "subscriptions": [str(s.id) for s in subscriptions]}

    def _delivery(
        self, sub: Subscription, topic: str, resource: dict[str, Any], event_id: str, triggered_at: datetime
    ) -> Delivery:
        if sub.include_fields:
            resource = {k: v for k, v in resource.items() if k in sub.include_fields}
        body = orjson.dumps(resource)
        identity, registry = self.state.identity, self.state.webhooks
        webhook_id = str(uuid.uuid4())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Shopify-Captain-Hook",
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": hmac_sha256(identity.webhook_secret, body),
            "X-Shopify-Shop-Domain": identity.domain,
            "X-Shopify-API-Version": API_VERSION,
            "X-Shopify-Webhook-Id": webhook_id,
            "X-Shopify-Event-Id": event_id,
            "X-Shopify-Triggered-At": _stamp(triggered_at),
        }
        return Delivery(
            provider="shopify",
            subscription=str(sub.id),
            topic=topic,
            event_id=event_id,
            url=sub.uri,
            body=body,
            policy=POLICY,
            headers=lambda _attempt: headers,
            live=lambda: registry.get(sub.id) is not None,
            on_exhausted=lambda: registry.remove(sub.id),
            delivery_id=webhook_id,
        )
