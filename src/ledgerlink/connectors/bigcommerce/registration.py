"""BigCommerce hooks made by the hub: `POST /v2/hooks` as seed 004 does it, listed at `GET /v2/hooks`,
removed with `DELETE /v2/hooks/{id}` (the v2 and v3 hooks APIs share one store of hooks and one body
shape; v2 answers the hook document bare).

A scope ending in `/*` takes a whole family (webhooks.v3.yml: "Fires for all `store/order` events"), so
four hooks cover orders with their refunds and status changes, products with their inventory, customers,
and per-variant stock. BigCommerce signs current deliveries per Standard Webhooks with the app's client
secret; for older, unsigned ones each hook carries the client secret as a custom header, which is
what the inbound endpoint checks then. BigCommerce deactivates a hook (`is_active: false`) once a
delivery's retries are used up: that hook is broken.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from typing import Any

from ledgerlink.connectors.bigcommerce.credentials import BigCommerceCredentials
from ledgerlink.connectors.bigcommerce.webhooks import SECRET_HEADER
from ledgerlink.connectors.framework.connector import CheckDelivery, RegisteredHook
from ledgerlink.upstream.client import UpstreamClient
from ledgerlink.upstream.errors import UpstreamMalformed, UpstreamRejected
from ledgerlink.webhooks import standard

HOOKS = "/v2/hooks"
TOPICS = ("store/order/*", "store/product/*", "store/customer/*", "store/sku/inventory/updated")
# What "Check Integration" sends: a scope BigCommerce has not, which the hub stores and syncs nothing for.
CHECK_SCOPE = "store/ledgerlink/check"


def _hook(doc: Any) -> RegisteredHook:
    if not isinstance(doc, dict) or doc.get("id") is None:
        raise UpstreamMalformed(f"GET {HOOKS}: a hook without an id", upstream_status=200)
    return RegisteredHook(
        str(doc["id"]), str(doc.get("scope")), str(doc.get("destination")), doc.get("is_active") is True
    )


class BigCommerceHookRegistration:
    """The Connector's webhook registration verbs for BigCommerce (mixed into BigCommerceConnector)."""

    creds: BigCommerceCredentials

    def webhook_topics(self) -> tuple[str, ...]:
        return TOPICS

    async def register_webhook(self, client: UpstreamClient, topic: str, destination: str, secret: str | None) -> str:
        body: dict[str, Any] = {"scope": topic, "destination": destination, "is_active": True}
        if secret:
            body["headers"] = {SECRET_HEADER: secret}
        created = (await client.request("POST", HOOKS, json=body)).data
        return _hook(created).upstream_id

    async def list_webhooks(self, client: UpstreamClient) -> list[RegisteredHook]:
        docs = (await client.get(HOOKS)).data
        if docs is None:  # 204: none
            return []
        if not isinstance(docs, list):
            raise UpstreamMalformed(f"GET {HOOKS}: not a list of hooks", upstream_status=200)
        return [_hook(doc) for doc in docs]

    async def delete_webhook(self, client: UpstreamClient, upstream_id: str) -> bool:
        try:
            await client.request("DELETE", f"{HOOKS}/{upstream_id}")
        except UpstreamRejected as exc:
            if exc.upstream_status == 404:
                return False
            raise
        return True

    def webhook_check_delivery(self, secret: str) -> CheckDelivery:
        """A light callback as BigCommerce sends it, signed per Standard Webhooks with the client secret."""
        now = int(time.time())
        event = uuid.uuid4().hex
        event_hash = hashlib.sha1(event.encode()).hexdigest()  # the shape of BigCommerce's `hash`
        body = json.dumps(
            {
                "created_at": now,
                "store_id": "0",
                "producer": f"stores/{self.creds.storeHash}",
                "scope": CHECK_SCOPE,
                "hash": event_hash,
                "data": {"type": "check", "id": event},
            },
            separators=(",", ":"),
        ).encode()
        headers = {"Content-Type": "application/json", **standard.sign([secret.encode()], f"msg_{event}", now, body)}
        return CheckDelivery(CHECK_SCOPE, headers, body)
