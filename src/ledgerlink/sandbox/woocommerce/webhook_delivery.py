"""WooCommerce's side of webhook delivery (WC_Webhook::deliver and deliver_ping).

A delivery POSTs the resource as `GET /wc/v3/{resource}s/{id}` renders it (only `{"id"}` for a
`deleted` event; a variation's own document for a variation's change, as WooCommerce does), signed
with the webhook's secret (`X-WC-Webhook-Signature`: base64 HMAC-SHA256 of the raw body), with a new
`X-WC-Webhook-Delivery-ID` on every attempt. WC_Webhook::deliver signs when it sends, so each attempt
is signed with the secret the webhook has then: one changed by `PUT /webhooks/{id}` signs every later
attempt, including those of changes made before it. WooCommerce gives the destination a minute, counts
2xx/301/302 as delivered and disables the webhook after repeated failures (see webhooks.Webhook).
Core WooCommerce does not retry a failed delivery; the sandbox retries on its own schedule
(`POLICY`, scaled like every platform's) so receivers see redeliveries, each counting as a delivery.
On create it pings the URL once with the form body `webhook_id=<id>`, unsigned, and waits for it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Callable
from typing import Any

from ledgerlink.sandbox.changes import Change
from ledgerlink.sandbox.delivery import Attempt, Delivery, Dispatcher, RetryPolicy
from ledgerlink.sandbox.woocommerce.api_customers import CustomersAPI
from ledgerlink.sandbox.woocommerce.catalog import Catalog
from ledgerlink.sandbox.woocommerce.orders import OrderRenderer
from ledgerlink.sandbox.woocommerce.webhooks import Webhook, WebhookStore
from ledgerlink.sandbox.woocommerce.wire import WC_VERSION, WP_VERSION, wp_json

POLICY = RetryPolicy(delays=(60, 300, 1800, 7200), timeout=60.0, success=lambda status: 200 <= status < 303)
PING = RetryPolicy(delays=(), timeout=5.0, success=lambda status: status == 200)  # wp_remote_post's default
USER_AGENT = f"WooCommerce/{WC_VERSION} Hookshot (WordPress/{WP_VERSION})"
ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#039;": "'", "&#39;": "'"}
Render = Callable[[str], dict[str, Any]]  # site URL -> resource document


def signature(secret: str, body: bytes) -> str:
    """WC_Webhook::generate_signature: the key is the secret with wp_specialchars_decode applied."""
    for entity, char in ENTITIES.items():
        secret = secret.replace(entity, char)
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


class WooWebhooks:
    """Listens to the site's change feed and hands each event to the dispatcher, per active webhook."""

    def __init__(
        self,
        webhooks: WebhookStore,
        dispatcher: Dispatcher,
        orders: OrderRenderer,
        catalog: Catalog,
        customers: CustomersAPI,
    ) -> None:
        self.webhooks, self.dispatcher = webhooks, dispatcher
        self.orders, self.catalog, self.customers = orders, catalog, customers
        catalog.store.changes.subscribe(self.on_change)

    def on_change(self, change: Change) -> None:
        topic = self._topic(change)
        if topic is not None:
            ident = change.product_id if change.kind == "inventory" and change.product_id else change.id
            self._publish(topic, ident)

    @staticmethod
    def _topic(change: Change) -> str | None:
        if change.kind == "order":
            return "order.updated" if change.before is not None else "order.created"
        if change.kind in ("variant", "inventory"):
            return "product.updated"
        if change.kind in ("product", "customer"):
            return f"{change.kind}.{change.action}"
        return None

    def render(self, topic: str, ident: int) -> Render:
        """How to render `topic`'s body for resource `ident` (LookupError when it does not exist)."""
        resource, _, event = topic.partition(".")
        if resource == "action":
            return lambda _site: {"action": event, "arg": ident}
        if event == "deleted":
            return lambda _site: {"id": ident}
        if resource == "order":
            order = self.catalog.store.order_by_id(ident)
            if order is not None:
                return lambda site: self.orders.order_json(order, site)
        elif resource == "product":
            product = self.catalog.product(ident)
            if product is not None:
                return lambda site: self.catalog.product_json(product, site)
            for parent in self.catalog.store.products:
                variant = self.catalog.variation(parent, ident)
                if variant is not None:
                    return lambda site: self.catalog.variation_json(parent, variant, site)
        elif resource == "customer":
            index = ident - 5000
            if 0 <= index < len(self.catalog.store.customers):
                customer = self.catalog.store.customers[index]
                return lambda site: self.customers.customer_json(customer, site, self.customers.paying())
        else:
            raise ValueError(f"the sandbox does not produce {topic} (it has orders, products and customers)")
        raise LookupError(f"no {resource} {ident}")

    def trigger(self, topic: str, ident: int) -> dict[str, Any]:
        """`POST /_sandbox/webhooks/trigger`: fire `topic` (`order.updated`…) for resource `ident`."""
        self.render(topic, ident)  # refuse an unknown topic or resource before anything is sent
        return self._publish(topic, ident)

    def _publish(self, topic: str, ident: int) -> dict[str, Any]:
        targets = self.webhooks.active_for(topic)
        event_id = str(uuid.uuid4())
        if targets:
            render = self.render(topic, ident)
            bodies: dict[str, bytes] = {}  # one rendering per site URL the webhooks were made through
            for webhook in targets:
                if webhook.site not in bodies:
                    bodies[webhook.site] = wp_json(render(webhook.site))
                self.dispatcher.enqueue(self._delivery(webhook, bodies[webhook.site], event_id))
        return {"topic": topic, "event_id": event_id, "subscriptions": [str(w.id) for w in targets]}

    def _delivery(self, webhook: Webhook, body: bytes, event_id: str) -> Delivery:
        store = self.webhooks

        def headers(_attempt: int) -> dict[str, str]:
            return {
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                "X-WC-Webhook-Source": f"{webhook.site}/",
                "X-WC-Webhook-Topic": webhook.topic,
                "X-WC-Webhook-Resource": webhook.resource,
                "X-WC-Webhook-Event": webhook.event,
                "X-WC-Webhook-Signature": signature(webhook.secret, body),
                "X-WC-Webhook-ID": str(webhook.id),
                "X-WC-Webhook-Delivery-ID": uuid.uuid4().hex,
            }

        return Delivery(
            provider="woocommerce",
            subscription=str(webhook.id),
            topic=webhook.topic,
            event_id=event_id,
            url=webhook.delivery_url,
            body=body,
            policy=POLICY,
            headers=headers,
            live=lambda: store.get(webhook.id) is webhook and webhook.status == "active",
            on_attempt=lambda attempt: webhook.delivered(attempt.status),
        )

    async def ping(self, webhook: Webhook) -> Attempt:
        """Sent when a webhook is created; its answer only clears `pending_delivery`."""
        body = f"webhook_id={webhook.id}".encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": USER_AGENT}
        delivery = Delivery(
            provider="woocommerce",
            subscription=str(webhook.id),
            topic="ping",
            event_id=str(uuid.uuid4()),
            url=webhook.delivery_url,
            body=body,
            policy=PING,
            headers=lambda _attempt: headers,
        )
        attempt = await self.dispatcher.deliver_now(delivery)
        if attempt.ok:
            webhook.pending_delivery = False
        return attempt
