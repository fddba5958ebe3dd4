"""PayPal webhooks: what can be checked without PayPal, and what a delivery says.

PayPal signs `<transmission id>|<transmission time>|<webhook id>|<CRC32 of the raw body>` with
SHA256withRSA under a certificate it names in `PAYPAL-CERT-URL`. Checking that signature needs the
certificate, downloaded from that URL and chained to a trusted CA: network work that `verify`
(synchronous, on the request path, offline) must not do. So `verify` checks what it can offline:
every transmission header present, the algorithm PayPal's, the signature base64, the certificate
URL an https URL on PayPal's own API hosts (a forged delivery cannot point us at a certificate of its
own), and a webhook id configured for the integration. The full check is PayPal's
verify-webhook-signature API (`PayPalConnector.confirm_webhook`), asked before a stored delivery is
acted on (webhooks/process.py): one PayPal does not confirm is failed, never acted on.

Nothing a delivery carries is trusted even then: every notice is `light`, so processing reads the
record from PayPal under the integration's own credentials. Captures and sales (`PAYMENT.CAPTURE.*`,
`PAYMENT.SALE.*`) name their transaction by the resource id, which is the id Transaction Search lists
them under: the payment's, or for `…REFUNDED`/`…REVERSED` the refund's. Disputes
(`CUSTOMER.DISPUTE.*`) carry the dispute, named by its `dispute_id`, which the Disputes API reads.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from urllib.parse import urlsplit

from ledgerlink.connectors.framework.parsing import utc_time
from ledgerlink.connectors.framework.webhooks import (
    Action,
    InboundNotice,
    Secrets,
    WebhookSpec,
    WebhookVerificationError,
    dig,
    header,
    id_text,
    parse_json_object,
)

AUTH_ALGO = "SHA256withRSA"
HEADERS = (
    "PAYPAL-TRANSMISSION-ID",
    "PAYPAL-TRANSMISSION-TIME",
    "PAYPAL-TRANSMISSION-SIG",
    "PAYPAL-CERT-URL",
    "PAYPAL-AUTH-ALGO",
)
CERT_HOSTS = frozenset({"api.paypal.com", "api-m.paypal.com", "api.sandbox.paypal.com", "api-m.sandbox.paypal.com"})
CERT_PATH = "/v1/notifications/certs/"
TRANSACTION_EVENTS = ("PAYMENT.CAPTURE.", "PAYMENT.SALE.")
DISPUTE_EVENTS = "CUSTOMER.DISPUTE."
CREATED = frozenset({"COMPLETED", "REFUNDED", "REVERSED"})  # a new transaction: the capture, or the refund
REFUNDS = frozenset({"REFUNDED", "REVERSED"})  # the resource is the refund, not the payment


def cert_url_ok(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return (
        parts.scheme == "https"
        and (parts.hostname or "") in CERT_HOSTS
        and parts.port in (None, 443)
        and parts.path.startswith(CERT_PATH)
        and not parts.username
    )


class PayPalWebhooks(WebhookSpec):
    # Not a secret: the webhook's id, which PayPal signs into every delivery and its API checks.
    secret_fields = ("webhookId",)

    def verify(self, secrets: Secrets, headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> None:
        if not secrets:
            raise WebhookVerificationError("no webhookId is configured for this integration")
        found = {name: header(headers, name) for name in HEADERS}
        missing = [name for name, value in found.items() if value is None]
        if missing:
            raise WebhookVerificationError(f"missing header{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")
        if found["PAYPAL-AUTH-ALGO"] != AUTH_ALGO:
            raise WebhookVerificationError(f"PAYPAL-AUTH-ALGO is not {AUTH_ALGO}")
        try:
            base64.b64decode(str(found["PAYPAL-TRANSMISSION-SIG"]), validate=True)
        except (binascii.Error, ValueError):
            raise WebhookVerificationError("PAYPAL-TRANSMISSION-SIG is not base64") from None
        if not cert_url_ok(str(found["PAYPAL-CERT-URL"])):
            raise WebhookVerificationError("PAYPAL-CERT-URL is not a certificate on PayPal's API hosts")

    def parse(self, headers: Mapping[str, str], body: bytes) -> InboundNotice:
        event = parse_json_object(body, "PayPal")
        event_id, event_type = event.get("id"), event.get("event_type")
        if not isinstance(event_id, str) or not event_id:
            raise ValueError("the event has no id")
        if not isinstance(event_type, str) or not event_type:
            raise ValueError("the event has no event_type")
        verb = event_type.rpartition(".")[2]
        resource: str | None = None
        external_id: str | None = None
        action: Action = "other"
        if event_type.startswith(TRANSACTION_EVENTS):
            resource = "refunds" if verb in REFUNDS else "payments"
            external_id = id_text(dig(event, "resource.id"), "the resource's id")
            action = "created" if verb in CREATED else "updated"
        elif event_type.startswith(DISPUTE_EVENTS):
            resource = "disputes"
            external_id = id_text(dig(event, "resource.dispute_id"), "the dispute's id")
            if external_id is None:
                raise ValueError("the dispute event names no dispute (resource.dispute_id)")
            action = "created" if verb == "CREATED" else "updated"
        return InboundNotice(
            dedupe_key=event_id,
            topic=event_type,
            resource=resource,
            external_id=external_id,
            action=action,
            updated_at=utc_time(dig(event, "resource.update_time") or event.get("create_time")),
            light=True,  # nothing in the body is trusted: the transaction is read from the API
            payload=event,
        )


WEBHOOKS = PayPalWebhooks()
