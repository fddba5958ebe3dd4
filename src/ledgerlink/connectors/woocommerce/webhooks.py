"""WooCommerce webhooks: `X-WC-Webhook-Signature`, base64 HMAC-SHA256 of the raw body with the secret.

The body is the resource as the REST API (v3) renders it; a deleted one is `{"id": …}` only. WooCommerce
gives every delivery attempt a new `X-WC-Webhook-Delivery-ID` and has no event id, so the dedupe key is
the resource's version: `<resource>:<id>:<date_modified_gmt>` (a redelivery of the same change has the
same one, and two hooks reporting one change collapse into one), or `<resource>:<id>:deleted` (a
trashed resource may still carry the modification time of its last update).

A product variation is reported under the product topics with its own id and its `parent_id`; the hub
keys variants inside their product, so such a notice names the parent product and is light.

When a webhook is saved, WooCommerce pings its URL with the form body `webhook_id=<id>`, unsigned:
`verify` refuses it like any unsigned delivery, `is_ping` lets the endpoint answer it without storing.

The hub chooses the secret (connectors/woocommerce/registration.py), so changing it is a switch the hub
makes: the new secret goes to the credentials, then to every hook upstream. Deliveries WooCommerce sent
before its hook got the new secret still carry the old signature (and WooCommerce never retries a
refused delivery): the replaced secret keeps verifying for a grace period (framework/webhooks.py).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from ledgerlink.connectors.framework.parsing import utc_time
from ledgerlink.connectors.framework.webhooks import (
    Action,
    InboundNotice,
    Secrets,
    WebhookSpec,
    header,
    id_text,
    parse_json_object,
    verify_body_hmac,
)

_PING = re.compile(rb"webhook_id=([0-9]{1,20})")
_RESOURCES = {"order": "orders", "product": "products", "customer": "customers"}  # coupons, actions: not synced
_ACTIONS: Mapping[str, Action] = {
    "created": "created",
    "updated": "updated",
    "restored": "updated",
    "deleted": "deleted",
}


def _ping_id(body: bytes) -> str | None:
    match = _PING.fullmatch(body.strip())
    return match.group(1).decode() if match else None


def _version(payload: dict[str, Any]) -> str | None:
    """The resource's modification time as sent (`date_modified` is the site's local time: a fallback)."""
    value = payload.get("date_modified_gmt") or payload.get("date_modified")
    return value if isinstance(value, str) and value else None


def _dedupe_key(wc_resource: str, own_id: str | None, event: str, payload: dict[str, Any], body: bytes) -> str:
    version = "deleted" if event == "deleted" else _version(payload)
    if own_id is not None and version is not None:
        return f"{wc_resource}:{own_id}:{version}"
    # Action hooks and bodies without a version: the body itself, stable across redeliveries of it.
    return "sha256:" + hashlib.sha256(body).hexdigest()


class WooCommerceWebhooks(WebhookSpec):
    secret_fields = ("webhookSecret",)

    def verify(self, secrets: Secrets, headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> None:
        verify_body_hmac(secrets, headers, body, "X-WC-Webhook-Signature")

    def is_ping(self, headers: Mapping[str, str], body: bytes) -> bool:
        return _ping_id(body) is not None

    def parse(self, headers: Mapping[str, str], body: bytes) -> InboundNotice:
        webhook_id = _ping_id(body)
        if webhook_id is not None:
            payload = {"webhook_id": webhook_id}
            return InboundNotice(f"ping:{webhook_id}", "ping", None, None, "other", None, False, payload)
        topic = header(headers, "X-WC-Webhook-Topic")
        if topic is None:
            raise ValueError("the X-WC-Webhook-Topic header is missing")
        noun, _, verb = topic.partition(".")
        wc_resource = header(headers, "X-WC-Webhook-Resource") or noun
        event = header(headers, "X-WC-Webhook-Event") or verb
        payload = parse_json_object(body, "WooCommerce")
        own_id = id_text(payload.get("id"), "id")
        dedupe_key = _dedupe_key(wc_resource, own_id, event, payload, body)
        resource = _RESOURCES.get(wc_resource)
        if resource is None:
            return InboundNotice(dedupe_key, topic, None, None, "other", None, False, payload)
        parent = id_text(payload.get("parent_id"), "parent_id") if resource == "products" else None
        if parent not in (None, "0"):  # a variation: its product changed
            return InboundNotice(dedupe_key, topic, resource, parent, "updated", None, True, payload)
        return InboundNotice(
            dedupe_key=dedupe_key,
            topic=topic,
            resource=resource,
            external_id=own_id,
            action=_ACTIONS.get(event, "other"),
            updated_at=utc_time(payload.get("date_modified_gmt")),  # naive GMT: utc_time reads it as UTC
            light=False,
            payload=payload,
        )


WEBHOOKS = WooCommerceWebhooks()
