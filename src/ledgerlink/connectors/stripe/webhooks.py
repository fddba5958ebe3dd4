"""Stripe webhooks: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=…]`, events as bodies.

The signature is hex HMAC-SHA256 over `<t>.<raw body>`, keyed with the endpoint secret exactly as
given (`whsec_…` as UTF-8, not decoded), with a 300 s tolerance on `t`. During a secret rotation Stripe
sends one `v1` per secret; `v0` (test mode's legacy scheme) is ignored.

Snapshot events carry the object in `data.object` (not light); thin events (`object:
"v2.core.event"`) carry only `related_object` and are light. The stream follows the object's type, so
`external_id` is always that object's id: `charge.refunded` is about a charge (a payment whose refunded
amount changed), the refunds themselves come as `refund.*`/`charge.refund.updated` events.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
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
    hmac_sha256,
    id_text,
    parse_json_object,
    same,
    secret_keys,
)

SIGNATURE_HEADER = "Stripe-Signature"
TOLERANCE_SECONDS = 300
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_RESOURCES = {
    "charge": "payments",
    "payment_intent": "payments",
    "refund": "refunds",
    "dispute": "disputes",
    "payout": "payouts",
}


def _signature_header(value: str) -> tuple[int, list[str]]:
    """The timestamp and the v1 signatures of a Stripe-Signature header."""
    pairs = [item.strip().partition("=") for item in value.split(",")]
    stamp = next((v for k, _, v in pairs if k == "t"), None)
    offered = [v for k, _, v in pairs if k == "v1" and v]
    if stamp is None or not _TIMESTAMP.fullmatch(stamp):
        raise WebhookVerificationError(f"the {SIGNATURE_HEADER} header has no timestamp")
    if not offered:
        raise WebhookVerificationError(f"the {SIGNATURE_HEADER} header has no v1 signature")
    return int(stamp), offered


def _action(event_type: str) -> Action:
    """Stripe types end in what happened to the object: anything but creation or deletion changes it."""
    verb = event_type.rpartition(".")[2]
    return "created" if verb == "created" else "deleted" if verb == "deleted" else "updated"


class StripeWebhooks(WebhookSpec):
    secret_fields = ("webhookEndpointSecret",)

    def verify(self, secrets: Secrets, headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> None:
        keys = secret_keys(secrets)
        value = header(headers, SIGNATURE_HEADER)
        if value is None:
            raise WebhookVerificationError(f"the {SIGNATURE_HEADER} header is missing")
        timestamp, offered = _signature_header(value)
        current = time.time() if now is None else now
        if abs(current - timestamp) > TOLERANCE_SECONDS:
            raise WebhookVerificationError(f"the {SIGNATURE_HEADER} timestamp is over {TOLERANCE_SECONDS} s from now")
        signed = f"{timestamp}.".encode() + body
        expected = [hmac_sha256(key, signed).hex() for key in keys]
        if not any(same(mac, candidate) for mac in expected for candidate in offered):
            raise WebhookVerificationError(f"no {SIGNATURE_HEADER} v1 signature matches")

    def parse(self, headers: Mapping[str, str], body: bytes) -> InboundNotice:
        event = parse_json_object(body, "Stripe")
        event_id, event_type = event.get("id"), event.get("type")
        if not isinstance(event_id, str) or not event_id:
            raise ValueError("the event has no id")
        if not isinstance(event_type, str) or not event_type:
            raise ValueError("the event has no type")
        snapshot = dig(event, "data.object")
        light = not isinstance(snapshot, dict)  # a thin event, or one whose object we cannot read
        target: Any = event.get("related_object") if light else snapshot
        kind = dig(target, "type" if light else "object")
        resource = _RESOURCES.get(kind) if isinstance(kind, str) else None
        return InboundNotice(
            dedupe_key=event_id,
            topic=event_type,
            resource=resource,
            external_id=id_text(dig(target, "id"), "the object's id") if resource else None,
            action=_action(event_type) if resource else "other",
            # When the event happened: Stripe objects carry no modification time.
            updated_at=event_time(event.get("created"), "created"),
            light=light,
            payload=event,
        )


WEBHOOKS = StripeWebhooks()
