"""PayPal webhook deliveries, signed as PayPal signs them, and `POST /v1/notifications/verify-webhook-signature`.

PayPal signs `<transmission id>|<transmission time>|<webhook id>|<CRC32 of the raw body, decimal>`
with SHA256withRSA under the key of the certificate at `PAYPAL-CERT-URL`. The sandbox holds such a
key (made on first use) and a certificate URL on PayPal's sandbox host; it never serves the
certificate, so a delivery is checked the way PayPal's own API checks it: by asking the sandbox.
The verification API gets the event as JSON, not the raw bytes, so the sandbox checks the CRC of
the event written compactly, as it wrote the delivery.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import uuid
import zlib
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ledgerlink.sandbox.paypal import ids
from ledgerlink.sandbox.paypal.errors import invalid_body
from ledgerlink.sandbox.paypal.facts import Transaction
from ledgerlink.sandbox.paypal.render import money, stamp

AUTH_ALGO = "SHA256withRSA"
CERTS = "https://api-m.sandbox.paypal.com/v1/notifications/certs"
EVENTS = "https://api.sandbox.paypal.com/v1/notifications/webhooks-events"
REQUIRED = ("auth_algo", "cert_url", "transmission_id", "transmission_sig", "transmission_time", "webhook_id")
EVENT_TYPES = {"T0006": "PAYMENT.CAPTURE.COMPLETED", "T1107": "PAYMENT.CAPTURE.REFUNDED"}


def compact(event: dict[str, Any]) -> bytes:
    return json.dumps(event, separators=(",", ":")).encode()


def signed_text(transmission_id: str, transmission_time: str, webhook_id: str, body: bytes) -> bytes:
    return f"{transmission_id}|{transmission_time}|{webhook_id}|{zlib.crc32(body)}".encode()


class Signer:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.webhook_id = ids.webhook_id(seed)
        self.cert_url = f"{CERTS}/CERT-360caa42-fca2a594-{ids.debug_id(seed, 0)[:8]}"
        self.sent = 0

    @cached_property
    def key(self) -> rsa.RSAPrivateKey:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def event(self, txn: Transaction) -> dict[str, Any]:
        """The capture (or refund) event PayPal sends for a payment (or refund) transaction."""
        event_type = EVENT_TYPES.get(txn.event_code)
        if event_type is None:
            raise ValueError(f"no webhook event for {txn.event_code}")
        resource: dict[str, Any] = {
            "id": txn.id,
            "status": "COMPLETED" if txn.status in ("S", "V") else "PENDING" if txn.status == "P" else "DECLINED",
            "amount": money(abs(txn.amount), txn.currency),
            "create_time": stamp(txn.initiated),
            "update_time": stamp(txn.updated),
        }
        if txn.invoice_id:
            resource["invoice_id"] = txn.invoice_id
        if txn.custom_field:
            resource["custom_id"] = txn.custom_field
        event_id = ids.event_id(self.seed, txn.id)
        return {
            "id": event_id,
            "event_version": "1.0",
            "create_time": stamp(txn.updated),
            "resource_type": "capture" if txn.event_code == "T0006" else "refund",
            "resource_version": "2.0",
            "event_type": event_type,
            "summary": f"Payment {resource['status'].lower()} for {resource['amount']['value']} {txn.currency}",
            "resource": resource,
            "links": [{"href": f"{EVENTS}/{event_id}", "rel": "self", "method": "GET"}],
        }

    def dispute_event(self, dispute: dict[str, Any], *, resolved: bool) -> dict[str, Any]:
        """The event PayPal sends about a dispute (its detail as the resource): created, or resolved."""
        event_type = "CUSTOMER.DISPUTE.RESOLVED" if resolved else "CUSTOMER.DISPUTE.CREATED"
        event_id = ids.event_id(self.seed, dispute["dispute_id"], event_type)
        return {
            "id": event_id,
            "event_version": "1.0",
            "create_time": dispute["update_time"],
            "resource_type": "dispute",
            "event_type": event_type,
            "summary": f"A dispute was {'resolved' if resolved else 'created'} with Case # {dispute['dispute_id']}",
            "resource": dispute,
            "links": [{"href": f"{EVENTS}/{event_id}", "rel": "self", "method": "GET"}],
        }

    def delivery(self, event: dict[str, Any], at: datetime | None = None) -> tuple[dict[str, str], bytes]:
        """The headers and raw body of one transmission of `event` to the webhook."""
        self.sent += 1
        body = compact(event)
        serial = hashlib.sha256(f"{self.seed}:transmission:{self.sent}".encode()).hexdigest()
        transmission_id = str(uuid.UUID(hex=serial[:32]))
        transmission_time = (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
        signature = self.key.sign(
            signed_text(transmission_id, transmission_time, self.webhook_id, body), padding.PKCS1v15(), hashes.SHA256()
        )
        headers = {
            "Content-Type": "application/json",
            "PAYPAL-AUTH-ALGO": AUTH_ALGO,
            "PAYPAL-CERT-URL": self.cert_url,
            "PAYPAL-TRANSMISSION-ID": transmission_id,
            "PAYPAL-TRANSMISSION-SIG": base64.b64encode(signature).decode(),
            "PAYPAL-TRANSMISSION-TIME": transmission_time,
        }
        return headers, body

    def verify(self, request: Any) -> dict[str, str]:
        """The verification API: 400 for a request missing what it needs, else SUCCESS or FAILURE."""
        if not isinstance(request, dict):
            raise invalid_body("/", "MALFORMED_REQUEST_JSON", "The request body is not a JSON object.")
        for name in REQUIRED:
            if not isinstance(request.get(name), str) or not request[name]:
                raise invalid_body(f"/{name}", "MISSING_REQUIRED_PARAMETER", f"{name} is required.")
        if not isinstance(request.get("webhook_event"), dict):
            raise invalid_body("/webhook_event", "MISSING_REQUIRED_PARAMETER", "webhook_event is required.")
        ok = (
            request["auth_algo"] == AUTH_ALGO
            and request["cert_url"] == self.cert_url
            and request["webhook_id"] == self.webhook_id
            and self._signed(request)
        )
        return {"verification_status": "SUCCESS" if ok else "FAILURE"}

    def _signed(self, request: dict[str, Any]) -> bool:
        try:
            signature = base64.b64decode(request["transmission_sig"], validate=True)
            event = compact(request["webhook_event"])
            text = signed_text(request["transmission_id"], request["transmission_time"], self.webhook_id, event)
            self.key.public_key().verify(signature, text, padding.PKCS1v15(), hashes.SHA256())
        except (binascii.Error, InvalidSignature, ValueError):
            return False
        return True
