"""BigCommerce webhooks: Standard Webhooks signatures, and light bodies that name what changed.

Current hooks are signed per Standard Webhooks with the app's client secret, whose raw UTF-8 bytes are
the HMAC key (BigCommerce's sample hands base64(client secret) to the standardwebhooks library, which
decodes it back). Older hooks are unsigned: they are accepted when they carry the secret we registered
as the hook's `X-Ledgerlink-Hook-Secret` header. That header signs nothing and has no timestamp, so a
captured delivery can be replayed; deduplication by `hash` makes the replay harmless.

Bodies are `{"scope", "data": {"type", "id", …}, "hash", "created_at", …}`: never the record, always
light. `hash` identifies the event (BigCommerce: for de-duplication). Inventory ids: the channel
inventory hooks name variant and location, which is the hub's key `variant@location`; the older SKU
inventory hooks name the variant only (every location of it); product inventory hooks name a product,
not a variant, so they have no external id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from ledgerlink.connectors.framework.webhooks import (
    Action,
    InboundNotice,
    Secrets,
    WebhookSpec,
    WebhookVerificationError,
    dig,
    event_time,
    header,
    id_text,
    lower_headers,
    parse_json_object,
    same,
    secret_keys,
)
from ledgerlink.webhooks import standard

SECRET_HEADER = "X-Ledgerlink-Hook-Secret"
_STANDARD_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
_VERBS: Mapping[str, Action] = {
    "created": "created",
    "updated": "updated",
    "statusUpdated": "updated",
    "deleted": "deleted",
    "archived": "deleted",  # an archived order is BigCommerce's deleted order
}


@dataclass(frozen=True)
class _Rule:
    """Scopes matching `pattern` (fnmatch: `*` crosses slashes, so specific rules come first)."""

    pattern: str
    resource: str
    id_paths: tuple[str, ...]  # under `data`; several are joined with "@"
    action: Action | None = None  # None: from the scope's last segment


_RULES = (
    _Rule("store/channel/*/inventory/product/*", "inventory", ("variant_id", "location_id"), "updated"),
    _Rule("store/inventory/location/*", "locations", ("location_id",)),
    _Rule("store/order/*/*", "orders", ("id",), "updated"),  # refund/created, message/created
    _Rule("store/order/*", "orders", ("id",)),
    _Rule("store/shipment/*", "orders", ("orderId",), "updated"),
    _Rule("store/product/inventory/*", "inventory", (), "updated"),
    _Rule("store/product/*", "products", ("id",)),
    _Rule("store/sku/inventory/*", "inventory", ("inventory.variant_id",), "updated"),
    _Rule("store/sku/*", "products", ("sku.product_id",), "updated"),  # a variant is part of its product
    _Rule("store/customer/address/*", "customers", ("address.customer_id",), "updated"),
    _Rule("store/customer/*/*", "customers", ("id",), "updated"),  # payment/instrument/default/updated
    _Rule("store/customer/*", "customers", ("id",)),
)


def _external_id(data: dict[str, Any], paths: tuple[str, ...]) -> str | None:
    parts = [id_text(dig(data, path), f"data.{path}") for path in paths]
    ids = [part for part in parts if part is not None]
    return "@".join(ids) if ids and len(ids) == len(parts) else None


class BigCommerceWebhooks(WebhookSpec):
    secret_fields = ("clientSecret",)

    def verify(self, secrets: Secrets, headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> None:
        keys = secret_keys(secrets)
        if any(header(headers, name) is not None for name in _STANDARD_HEADERS):
            # standard.verify compares text, which compare_digest refuses (TypeError) when not ASCII.
            if not (header(headers, "webhook-signature") or "").isascii():
                raise WebhookVerificationError("the webhook-signature header is not ASCII")
            try:
                standard.verify(keys, lower_headers(headers), body, now=now)
            except standard.SignatureError as exc:
                raise WebhookVerificationError(str(exc)) from exc
            return
        offered = header(headers, SECRET_HEADER)
        if offered is None:
            raise WebhookVerificationError(f"neither Standard Webhooks headers nor {SECRET_HEADER} are present")
        if not any(same(key, offered) for key in keys):
            raise WebhookVerificationError(f"the {SECRET_HEADER} header matches no secret")

    def parse(self, headers: Mapping[str, str], body: bytes) -> InboundNotice:
        payload = parse_json_object(body, "BigCommerce")
        scope, data = payload.get("scope"), payload.get("data")
        if not isinstance(scope, str) or not scope:
            raise ValueError("the body has no scope")
        if not isinstance(data, dict):
            raise ValueError("the body has no data object")
        event_hash = payload.get("hash")
        dedupe_key = event_hash if isinstance(event_hash, str) and event_hash else header(headers, "webhook-id")
        if dedupe_key is None:
            raise ValueError("the body has no hash and the webhook-id header is missing")
        # The event's time, not the record's: a light body carries no modification time.
        emitted_at = event_time(payload.get("created_at"), "created_at")
        rule = next((r for r in _RULES if fnmatchcase(scope, r.pattern)), None)
        if rule is None:
            return InboundNotice(dedupe_key, scope, None, None, "other", emitted_at, True, payload)
        return InboundNotice(
            dedupe_key=dedupe_key,
            topic=scope,
            resource=rule.resource,
            external_id=_external_id(data, rule.id_paths),
            action=rule.action or _VERBS.get(scope.rpartition("/")[2], "other"),
            updated_at=emitted_at,
            light=True,
            payload=payload,
        )


WEBHOOKS = BigCommerceWebhooks()
