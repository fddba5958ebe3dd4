"""WooCommerce webhooks as WC_Webhook keeps them, and their REST shape (WC_REST_Webhooks_V2_Controller).

A topic is `resource.event` (`order.updated`) from WooCommerce's topic-hook map, or `action.<hook>`.
`secret` is in the `edit` context only (create, update and delete answer in it). The delivery
bookkeeping follows WC_Webhook::log_delivery: a 2xx, 301 or 302 resets `failure_count`; any other
answer goes through `failed_delivery`, which disables the webhook once the count is already past
`woocommerce_max_webhook_delivery_failures` (5), i.e. on the seventh failure in a row.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import count
from typing import Any

from ledgerlink.sandbox.woocommerce.wire import API_PREFIX, wc_dates

TOPIC_HOOKS: dict[str, list[str]] = {
    "coupon.created": ["woocommerce_process_shop_coupon_meta", "woocommerce_new_coupon"],
    "coupon.updated": ["woocommerce_process_shop_coupon_meta", "woocommerce_update_coupon"],
    "coupon.deleted": ["wp_trash_post"],
    "coupon.restored": ["untrashed_post"],
    "customer.created": ["user_register", "woocommerce_created_customer", "woocommerce_new_customer"],
    "customer.updated": ["profile_update", "woocommerce_update_customer"],
    "customer.deleted": ["delete_user"],
    "order.created": ["woocommerce_new_order"],
    "order.updated": ["woocommerce_update_order", "woocommerce_order_refunded", "woocommerce_delete_order_refund"],
    "order.deleted": ["wp_trash_post", "woocommerce_trash_order"],
    "order.restored": ["untrashed_post", "woocommerce_untrash_order"],
    "product.created": [
        "woocommerce_process_product_meta",
        "woocommerce_new_product",
        "woocommerce_new_product_variation",
    ],
    "product.updated": [
        "woocommerce_process_product_meta",
        "woocommerce_update_product",
        "woocommerce_update_product_variation",
    ],
    "product.deleted": ["wp_trash_post"],
    "product.restored": ["untrashed_post"],
    "product.published": ["woocommerce_product_published"],
}
STATUSES = ("active", "paused", "disabled")
MAX_DELIVERY_FAILURES = 5
SECRET_ALPHABET = string.ascii_letters + string.digits + "!@#$%^*()-_[]{}~+=,.;:/?|"  # no HTML-escaped chars


def valid_topic(topic: str) -> bool:
    return topic in TOPIC_HOOKS or (topic.startswith("action.") and len(topic) > len("action."))


def generate_secret() -> str:
    """wp_generate_password(50, true, true), as WooCommerce makes one when none is given."""
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(50))


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Webhook:
    id: int
    name: str
    status: str
    topic: str
    delivery_url: str
    secret: str
    site: str  # the site URL the API was reached at: the deliveries' X-WC-Webhook-Source and links
    date_created: datetime
    date_modified: datetime
    failure_count: int = 0
    pending_delivery: bool = True  # until a ping is answered 200

    @property
    def resource(self) -> str:
        return self.topic.split(".")[0]

    @property
    def event(self) -> str:
        return self.topic.partition(".")[2]

    @property
    def hooks(self) -> list[str]:
        return [self.event] if self.resource == "action" else list(TOPIC_HOOKS.get(self.topic, []))

    def delivered(self, status: int | None) -> None:
        """WC_Webhook::log_delivery's failure tracking (the answer's status; None when none came)."""
        if status is not None and 200 <= status < 303:
            self.failure_count = 0
        elif self.failure_count > MAX_DELIVERY_FAILURES:
            self.status = "disabled"
        else:
            self.failure_count += 1


def webhook_json(webhook: Webhook, context: str = "view") -> dict[str, Any]:
    base = f"{webhook.site}{API_PREFIX}/webhooks"
    data: dict[str, Any] = {
        "id": webhook.id,
        "name": webhook.name,
        "status": webhook.status,
        "topic": webhook.topic,
        "resource": webhook.resource,
        "event": webhook.event,
        "hooks": webhook.hooks,
        "delivery_url": webhook.delivery_url,
    }
    if context == "edit":
        data["secret"] = webhook.secret
    data.update(wc_dates("date_created", webhook.date_created))
    data.update(wc_dates("date_modified", webhook.date_modified))
    data["_links"] = {"self": [{"href": f"{base}/{webhook.id}"}], "collection": [{"href": base}]}
    return data


@dataclass
class WebhookStore:
    webhooks: dict[int, Webhook] = field(default_factory=dict)
    _ids: count[int] = field(default_factory=lambda: count(1))

    def add(
        self, topic: str, delivery_url: str, site: str, *, name: str | None, secret: str | None, status: str
    ) -> Webhook:
        now = utc_now()
        webhook = Webhook(
            id=next(self._ids),
            name=name or f"Webhook created on {now.strftime('%b %d, %Y @ %I:%M %p')}",
            status=status,
            topic=topic,
            delivery_url=delivery_url,
            secret=secret or generate_secret(),
            site=site,
            date_created=now,
            date_modified=now,
        )
        self.webhooks[webhook.id] = webhook
        return webhook

    def get(self, ident: int) -> Webhook | None:
        return self.webhooks.get(ident)

    def remove(self, ident: int) -> None:
        self.webhooks.pop(ident, None)

    def active_for(self, topic: str) -> list[Webhook]:
        return [w for w in self.webhooks.values() if w.topic == topic and w.status == "active"]
