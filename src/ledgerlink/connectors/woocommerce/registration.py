"""WooCommerce webhooks made by the hub: `POST /webhooks` with the secret that will sign the deliveries
(the integration's `webhookSecret`: WooCommerce takes whatever secret the creator gives, so the hub
chooses it), listed at `GET /webhooks`, given a new secret with `PUT /webhooks/{id}` (`{"secret"}`:
WooCommerce signs each delivery as it sends it, so every later one carries the new secret), removed
with `DELETE /webhooks/{id}?force=true` (webhooks cannot be trashed). WooCommerce has no stock or refund
topics: stock changes come as `product.updated`, a refund as `order.updated`. A webhook WooCommerce
disabled after repeated failures, or one paused, is broken.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any, ClassVar

from ledgerlink.connectors.framework.connector import CheckDelivery, RegisteredHook
from ledgerlink.connectors.framework.webhooks import hmac_sha256
from ledgerlink.connectors.woocommerce.credentials import WooCommerceCredentials
from ledgerlink.upstream.client import UpstreamClient
from ledgerlink.upstream.errors import UpstreamMalformed, UpstreamRejected

WEBHOOKS = "/webhooks"
PAGE = 100
TOPICS = (
    "order.created",
    "order.updated",
    "product.created",
    "product.updated",
    "product.deleted",
    "customer.created",
    "customer.updated",
)
# What "Check Integration" sends: an action hook (`action.<hook>`), which the hub stores and syncs nothing for.
CHECK_ACTION = "ledgerlink_check"


def _webhook(doc: Any) -> RegisteredHook:
    if not isinstance(doc, dict) or doc.get("id") is None:
        raise UpstreamMalformed(f"GET {WEBHOOKS}: a webhook without an id", upstream_status=200)
    return RegisteredHook(
        str(doc["id"]), str(doc.get("topic")), str(doc.get("delivery_url")), doc.get("status") == "active"
    )


def _gone(exc: UpstreamRejected) -> bool:
    body = str((exc.details or {}).get("upstreamBody") or "")
    return exc.upstream_status == 404 or (exc.upstream_status == 400 and "_invalid_id" in body)


class WooCommerceHookRegistration:
    """The Connector's webhook registration verbs for WooCommerce (mixed into WooCommerceConnector)."""

    creds: WooCommerceCredentials
    hub_chooses_webhook_secret: ClassVar[bool] = True

    def webhook_topics(self) -> tuple[str, ...]:
        return TOPICS

    async def register_webhook(self, client: UpstreamClient, topic: str, destination: str, secret: str | None) -> str:
        body: dict[str, Any] = {"name": f"ledgerlink {topic}", "topic": topic, "delivery_url": destination}
        if secret:
            body["secret"] = secret
        body["status"] = "active"
        created = (await client.request("POST", WEBHOOKS, json=body)).data
        return _webhook(created).upstream_id

    async def list_webhooks(self, client: UpstreamClient) -> list[RegisteredHook]:
        found: list[RegisteredHook] = []
        page = 1
        while True:
            rows = (await client.get(WEBHOOKS, per_page=PAGE, page=page, status="all")).data or []
            if not isinstance(rows, list):
                raise UpstreamMalformed(f"GET {WEBHOOKS}: not a list of webhooks", upstream_status=200)
            found += [_webhook(row) for row in rows]
            if len(rows) < PAGE:
                return found
            page += 1

    async def update_webhook_secret(self, client: UpstreamClient, upstream_id: str, secret: str) -> bool:
        """Hand an existing webhook a new secret; False when WooCommerce has no such webhook (its
        update answers 400 `…_invalid_id` for an unknown id, not 404)."""
        try:
            await client.request("PUT", f"{WEBHOOKS}/{upstream_id}", json={"secret": secret})
        except UpstreamRejected as exc:
            if _gone(exc):
                return False
            raise
        return True

    async def delete_webhook(self, client: UpstreamClient, upstream_id: str) -> bool:
        try:
            await client.request("DELETE", f"{WEBHOOKS}/{upstream_id}", params={"force": "true"})
        except UpstreamRejected as exc:
            if exc.upstream_status == 404:
                return False
            raise
        return True

    def webhook_check_delivery(self, secret: str) -> CheckDelivery:
        """An action hook's delivery (`{"action", "arg"}`) signed as WC_Webhook::generate_signature does."""
        delivery = str(uuid.uuid4())
        body = json.dumps({"action": CHECK_ACTION, "arg": delivery}, separators=(",", ":")).encode()
        topic = f"action.{CHECK_ACTION}"
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "WooCommerce/ledgerlink-check",
            "X-WC-Webhook-Source": str(self.creds.siteUrl).rstrip("/") + "/",
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": "action",
            "X-WC-Webhook-Event": CHECK_ACTION,
            "X-WC-Webhook-Signature": base64.b64encode(hmac_sha256(secret.encode(), body)).decode(),
            "X-WC-Webhook-ID": "0",
            "X-WC-Webhook-Delivery-ID": delivery,
        }
        return CheckDelivery(topic, headers, body)
