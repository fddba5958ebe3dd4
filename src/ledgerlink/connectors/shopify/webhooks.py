"""Shopify webhooks: base64 HMAC-SHA256 of the raw body with the app's client secret, REST-shaped bodies.

Headers come as `X-Shopify-*`, and as `shopify-*` on newer deliveries; both are read. The dedupe key is
`X-Shopify-Event-Id` (one per event, whichever subscriptions deliver it), else `X-Shopify-Webhook-Id`.

Ids: the hub keys Shopify records by their numeric id (mappers.numeric_id). A body's
`admin_graphql_api_id` is read before its `id`: they name the same record, and the global id is text,
so it survives JSON tools that turn large numbers into floats (Shopify's own published examples have
ids rounded that way). Topics about something else than the record they change (fulfillments, order
edits) name the order through `order_id` and are light: the order itself must be fetched.

Inventory: a level is keyed `variant@location` in the hub, but `inventory_levels/*` bodies name the
inventory item, not the variant, so their external id is `<inventory_item_id>:<location_id>` (the hub
has the item id as each variant's `inventory_item_external_id`). They are light: the body carries
`available` only, and the hub's level needs on hand as well.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ledgerlink.connectors.framework.parsing import utc_time
from ledgerlink.connectors.framework.webhooks import (
    Action,
    InboundNotice,
    Secrets,
    WebhookSpec,
    dig,
    header,
    parse_json_object,
    verify_body_hmac,
)
from ledgerlink.connectors.shopify.mappers import numeric_id

_OWN_ID = ("admin_graphql_api_id", "id")
_ORDER_REFS = ("admin_graphql_api_order_id", "order_id", "order_edit.order_id")
_CRUD: Mapping[str, Action] = {"create": "created", "update": "updated", "delete": "deleted"}


@dataclass(frozen=True)
class _Kind:
    """How the topics of one prefix (`orders/…`) map onto a stream."""

    resource: str
    actions: Mapping[str, Action]  # topic suffix -> action; other suffixes are "other"
    refs: tuple[str, ...] = ()  # where a body that is not the record itself names it
    own: bool = True  # whether the body is the record itself (else it is always light)
    light: bool = False  # light even when the body is the record


_KINDS: Mapping[str, _Kind] = {
    "orders": _Kind(
        "orders",
        {
            "create": "created",
            "updated": "updated",
            "delete": "deleted",
            **dict.fromkeys(("paid", "cancelled", "fulfilled", "partially_fulfilled", "edited"), "updated"),
        },
        refs=_ORDER_REFS,
    ),
    "products": _Kind("products", _CRUD),
    "customers": _Kind(
        "customers",
        {**_CRUD, "enable": "updated", "disable": "updated"},
        refs=("customer.id", "customerId", "admin_graphql_api_customer_kept_id"),
    ),
    "refunds": _Kind("refunds", {"create": "created"}),
    "locations": _Kind("locations", {**_CRUD, "activate": "updated", "deactivate": "updated"}),
    "fulfillments": _Kind("orders", {"create": "updated", "update": "updated"}, refs=_ORDER_REFS, own=False),
    "inventory_levels": _Kind(
        "inventory", {"update": "updated", "connect": "created", "disconnect": "deleted"}, light=True
    ),
}


def _shopify_header(headers: Mapping[str, str], name: str) -> str | None:
    return header(headers, f"X-Shopify-{name}", f"shopify-{name}")


def _first(payload: dict[str, Any], paths: tuple[str, ...]) -> str | None:
    for path in paths:
        value = dig(payload, path)
        if value is not None and value != "":
            return numeric_id(value)
    return None


def _inventory_id(payload: dict[str, Any]) -> str | None:
    item, location = payload.get("inventory_item_id"), payload.get("location_id")
    if item is None or location is None:
        return None
    return f"{numeric_id(item)}:{numeric_id(location)}"


class ShopifyWebhooks(WebhookSpec):
    secret_fields = ("webhookSecret",)

    def verify(self, secrets: Secrets, headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> None:
        verify_body_hmac(secrets, headers, body, "X-Shopify-Hmac-Sha256", "shopify-hmac-sha256")

    def parse(self, headers: Mapping[str, str], body: bytes) -> InboundNotice:
        topic = _shopify_header(headers, "Topic")
        if topic is None:
            raise ValueError("the X-Shopify-Topic header is missing")
        dedupe_key = _shopify_header(headers, "Event-Id") or _shopify_header(headers, "Webhook-Id")
        if dedupe_key is None:
            raise ValueError("neither X-Shopify-Event-Id nor X-Shopify-Webhook-Id is present")
        payload = parse_json_object(body, "Shopify")
        prefix, _, suffix = topic.partition("/")
        kind = _KINDS.get(prefix)
        if kind is None:
            return InboundNotice(dedupe_key, topic, None, None, "other", None, False, payload)
        if kind.resource == "inventory":
            external_id, whole = _inventory_id(payload), True
        else:
            own = _first(payload, _OWN_ID) if kind.own else None
            external_id, whole = (own, True) if own is not None else (_first(payload, kind.refs), False)
        return InboundNotice(
            dedupe_key=dedupe_key,
            topic=topic,
            resource=kind.resource,
            external_id=external_id,
            action=kind.actions.get(suffix, "other"),
            updated_at=utc_time(payload.get("updated_at")) if whole else None,
            light=kind.light or not whole,
            payload=payload,
        )


WEBHOOKS = ShopifyWebhooks()
