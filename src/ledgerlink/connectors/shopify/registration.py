"""Shopify webhook subscriptions made by the hub: `webhookSubscriptionCreate`, `webhookSubscriptions`,
`webhookSubscriptionDelete` (Admin GraphQL 2026-10, where the destination is `uri`; `callbackUrl` is
deprecated). Shopify signs every delivery with the app's client secret (the integration's
`webhookSecret`): a subscription takes no secret of its own. A subscription has no active flag:
Shopify deletes the ones whose deliveries keep failing, so a missing one is the broken one.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from ledgerlink.connectors.framework.connector import CheckDelivery, RegisteredHook
from ledgerlink.connectors.framework.graphql import PAGE_INFO, GraphQLEndpoint
from ledgerlink.connectors.framework.webhooks import hmac_sha256
from ledgerlink.connectors.shopify import queries
from ledgerlink.connectors.shopify.credentials import ShopifyCredentials
from ledgerlink.connectors.shopify.schema import API_VERSION
from ledgerlink.upstream.client import UpstreamClient
from ledgerlink.upstream.errors import UpstreamRejected

ENDPOINT = GraphQLEndpoint(queries.API_PATH)
LIST_PAGE = 100

# Orders (a refund or a cancellation also updates its order), catalogue, customers, stock.
TOPICS = (
    "ORDERS_CREATE",
    "ORDERS_UPDATED",
    "ORDERS_CANCELLED",
    "REFUNDS_CREATE",
    "PRODUCTS_CREATE",
    "PRODUCTS_UPDATE",
    "PRODUCTS_DELETE",
    "CUSTOMERS_CREATE",
    "CUSTOMERS_UPDATE",
    "INVENTORY_LEVELS_UPDATE",
)
# What "Check Integration" sends: no topic Shopify has, so the hub stores it and syncs nothing.
CHECK_TOPIC = "ledgerlink/check"

_SUBSCRIPTION = "id topic uri"
_USER_ERRORS = "userErrors { field message }"

WEBHOOK_SUBSCRIPTIONS = (
    "query WebhookSubscriptions($first: Int!, $after: String) { webhookSubscriptions(first: $first, after: $after) "
    f"{{ nodes {{ {_SUBSCRIPTION} }} {PAGE_INFO} }} }}"
)
CREATE_WEBHOOK_SUBSCRIPTION = (
    "mutation WebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, "
    "$webhookSubscription: WebhookSubscriptionInput!) { "
    "webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) "
    f"{{ webhookSubscription {{ {_SUBSCRIPTION} }} {_USER_ERRORS} }} }}"
)
DELETE_WEBHOOK_SUBSCRIPTION = (
    "mutation WebhookSubscriptionDelete($id: ID!) { webhookSubscriptionDelete(id: $id) "
    f"{{ deletedWebhookSubscriptionId {_USER_ERRORS} }} }}"
)

# Validated against the official schema by the contract test.
DOCUMENTS: dict[str, str] = {
    "WebhookSubscriptions": WEBHOOK_SUBSCRIPTIONS,
    "WebhookSubscriptionCreate": CREATE_WEBHOOK_SUBSCRIPTION,
    "WebhookSubscriptionDelete": DELETE_WEBHOOK_SUBSCRIPTION,
}


def _messages(errors: list[dict[str, Any]]) -> str:
    return "; ".join(str(e.get("message")) for e in errors)


class ShopifyHookRegistration:
    """The Connector's webhook registration verbs for Shopify (mixed into ShopifyConnector)."""

    creds: ShopifyCredentials

    def webhook_topics(self) -> tuple[str, ...]:
        return TOPICS

    async def register_webhook(self, client: UpstreamClient, topic: str, destination: str, secret: str | None) -> str:
        variables = {"topic": topic, "webhookSubscription": {"uri": destination, "format": "JSON"}}
        answer = (await ENDPOINT.run(client, CREATE_WEBHOOK_SUBSCRIPTION, variables))["webhookSubscriptionCreate"]
        created = answer.get("webhookSubscription")
        if answer.get("userErrors") or not created:
            raise UpstreamRejected(
                f"webhookSubscriptionCreate {topic}: {_messages(answer.get('userErrors') or []) or 'nothing created'}",
                upstream_status=200,
            )
        return str(created["id"])

    async def list_webhooks(self, client: UpstreamClient) -> list[RegisteredHook]:
        found: list[RegisteredHook] = []
        after: str | None = None
        while True:
            page = (await ENDPOINT.run(client, WEBHOOK_SUBSCRIPTIONS, {"first": LIST_PAGE, "after": after}))[
                "webhookSubscriptions"
            ]
            found += [RegisteredHook(str(n["id"]), str(n["topic"]), str(n["uri"]), True) for n in page["nodes"]]
            info = page["pageInfo"]
            if not info.get("hasNextPage"):
                return found
            after = info.get("endCursor")

    async def delete_webhook(self, client: UpstreamClient, upstream_id: str) -> bool:
        answer = (await ENDPOINT.run(client, DELETE_WEBHOOK_SUBSCRIPTION, {"id": upstream_id}))[
            "webhookSubscriptionDelete"
        ]
        errors = answer.get("userErrors") or []
        if answer.get("deletedWebhookSubscriptionId"):
            return True
        if all(e.get("field") == ["id"] for e in errors):  # "Webhook subscription does not exist"
            return False
        raise UpstreamRejected(f"webhookSubscriptionDelete {upstream_id}: {_messages(errors)}", upstream_status=200)

    def webhook_check_delivery(self, secret: str) -> CheckDelivery:
        event_id = str(uuid.uuid4())
        now = datetime.now(UTC).isoformat()
        body = json.dumps({"check": event_id, "triggered_at": now}, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": CHECK_TOPIC,
            "X-Shopify-Hmac-Sha256": base64.b64encode(hmac_sha256(secret.encode(), body)).decode(),
            "X-Shopify-Shop-Domain": self.creds.shopDomain,
            "X-Shopify-API-Version": API_VERSION,
            "X-Shopify-Webhook-Id": event_id,
            "X-Shopify-Event-Id": event_id,
            "X-Shopify-Triggered-At": now,
        }
        return CheckDelivery(CHECK_TOPIC, headers, body)
