"""Webhook subscriptions: created, listed, updated and deleted through the API (webhook_delivery sends)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from itertools import count
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ledgerlink.sandbox.destinations import LOCAL_HOSTS
from ledgerlink.sandbox.shopify.fields import FieldMap
from ledgerlink.sandbox.shopify.formats import gid, iso, parse_gid
from ledgerlink.sandbox.shopify.listings import Listing, sorts_by
from ledgerlink.sandbox.shopify.schema import API_VERSION
from ledgerlink.sandbox.shopify.search import SearchFields

if TYPE_CHECKING:
    from ledgerlink.sandbox.shopify.state import ShopState


@dataclass
class Subscription:
    id: int
    topic: str
    uri: str
    format: str
    created_at: datetime
    updated_at: datetime
    name: str | None = None
    filter: str | None = None
    include_fields: list[str] = field(default_factory=list)
    metafield_namespaces: list[str] = field(default_factory=list)


class WebhookRegistry:
    def __init__(self, state: ShopState) -> None:
        self.state = state
        self._subscriptions: dict[int, Subscription] = {}
        self._ids = count(1_100_000_001)

    def all(self) -> list[Subscription]:
        return list(self._subscriptions.values())

    def get(self, ident: int) -> Subscription | None:
        return self._subscriptions.get(ident)

    def create(self, topic: str, data: dict[str, Any]) -> dict[str, Any]:
        uri = data.get("uri") or data.get("callbackUrl")
        errors = _check_uri(uri) or self._check_unique(topic, uri)
        if errors:
            return {"webhookSubscription": None, "userErrors": errors}
        now = self.state.clock()
        sub = Subscription(next(self._ids), topic, str(uri), data.get("format") or "JSON", now, now)
        _apply_options(sub, data)
        self._subscriptions[sub.id] = sub
        return {"webhookSubscription": sub, "userErrors": []}

    def update(self, ident: str, data: dict[str, Any]) -> dict[str, Any]:
        sub = self._find(ident)
        if sub is None:
            return {"webhookSubscription": None, "userErrors": [_not_found()]}
        uri = data.get("uri") or data.get("callbackUrl")
        if uri is not None:
            errors = _check_uri(uri) or self._check_unique(sub.topic, uri, sub.id)
            if errors:
                return {"webhookSubscription": None, "userErrors": errors}
            sub.uri = str(uri)
        sub.format = data.get("format") or sub.format
        _apply_options(sub, data)
        sub.updated_at = self.state.clock()
        return {"webhookSubscription": sub, "userErrors": []}

    def remove(self, ident: int) -> None:
        """What Shopify does to an API-made subscription whose deliveries kept failing."""
        self._subscriptions.pop(ident, None)

    def delete(self, ident: str) -> dict[str, Any]:
        sub = self._find(ident)
        if sub is None:
            return {"deletedWebhookSubscriptionId": None, "userErrors": [_not_found()]}
        del self._subscriptions[sub.id]
        return {"deletedWebhookSubscriptionId": gid("WebhookSubscription", sub.id), "userErrors": []}

    def filtered(self, args: dict[str, Any]) -> list[Subscription]:
        """The root field's own filters: topics, format, uri / callbackUrl."""
        uri = args.get("uri") or args.get("callbackUrl")
        return [
            s
            for s in self.all()
            if (not args.get("topics") or s.topic in args["topics"])
            and (not args.get("format") or s.format == args["format"])
            and (uri is None or s.uri == uri)
        ]

    def _find(self, ident: str) -> Subscription | None:
        parsed = parse_gid(ident)
        return self.get(parsed.ident) if parsed.kind == "WebhookSubscription" else None

    def _check_unique(self, topic: str, uri: str, own_id: int | None = None) -> list[dict[str, Any]]:
        taken = any(s.topic == topic and s.uri == uri and s.id != own_id for s in self.all())
        return [_error("Address for this topic has already been taken")] if taken else []


def _apply_options(sub: Subscription, data: dict[str, Any]) -> None:
    for attr, key in (
        ("name", "name"),
        ("filter", "filter"),
        ("include_fields", "includeFields"),
        ("metafield_namespaces", "metafieldNamespaces"),
    ):
        if data.get(key) is not None:
            setattr(sub, attr, data[key])


def _check_uri(uri: Any) -> list[dict[str, Any]]:
    if not uri:
        return [_error("Address can't be blank")]
    parts = urlsplit(str(uri))
    if parts.scheme in {"pubsub", "arn"} or str(uri).startswith("arn:aws:events:"):
        return []
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOCAL_HOSTS):
        return [] if parts.hostname else [_error("Address is invalid")]
    return [_error(f"Address protocol {parts.scheme}:// is not supported" if parts.scheme else "Address is invalid")]


def _error(message: str) -> dict[str, Any]:
    return {"field": ["webhookSubscription", "callbackUrl"], "message": message}


def _not_found() -> dict[str, Any]:
    return {"field": ["id"], "message": "Webhook subscription does not exist"}


def _endpoint(s: Subscription) -> dict[str, Any]:
    if s.uri.startswith("pubsub://"):
        project, _, topic = s.uri.removeprefix("pubsub://").partition(":")
        return {"__typename": "WebhookPubSubEndpoint", "pubSubProject": project, "pubSubTopic": topic}
    if s.uri.startswith("arn:"):
        return {"__typename": "WebhookEventBridgeEndpoint", "arn": s.uri}
    return {"__typename": "WebhookHttpEndpoint", "callbackUrl": s.uri}


WEBHOOK_SUBSCRIPTION: FieldMap = {
    "id": lambda s, _: gid("WebhookSubscription", s.id),
    "legacyResourceId": lambda s, _: str(s.id),
    "topic": lambda s, _: s.topic,
    "format": lambda s, _: s.format,
    "uri": lambda s, _: s.uri,
    "callbackUrl": lambda s, _: s.uri,
    "endpoint": lambda s, _: _endpoint(s),
    "name": lambda s, _: s.name,
    "filter": lambda s, _: s.filter,
    "includeFields": lambda s, _: list(s.include_fields),
    "metafieldNamespaces": lambda s, _: list(s.metafield_namespaces),
    "apiVersion": lambda s, _: {"handle": API_VERSION, "displayName": API_VERSION, "supported": True},
    "createdAt": lambda s, _: iso(s.created_at),
    "updatedAt": lambda s, _: iso(s.updated_at),
}

WEBHOOKS = Listing(
    "webhookSubscriptions",
    SearchFields(
        fields={
            "id": lambda s: s.id,
            "topic": lambda s: s.topic,
            "format": lambda s: s.format,
            "created_at": lambda s: s.created_at,
            "updated_at": lambda s: s.updated_at,
        },
        text=lambda s: [s.topic, s.uri],
    ),
    sorts_by(ID=lambda s: s.id, CREATED_AT=lambda s: s.created_at, TOPIC=lambda s: s.topic),
)
