"""The Standard Webhooks signature scheme (https://www.standardwebhooks.com/), in one place.

Outbound deliveries are signed with it, BigCommerce's signed hooks are verified with it and the
BigCommerce sandbox signs with it. Tests check it against the `standardwebhooks` package.

A secret is `whsec_` + base64 of the key bytes; the signature is
`v1,` + base64(HMAC-SHA256(key, f"{msg_id}.{timestamp}.".encode() + body)). Several signatures
(one per secret during a rotation) travel space-separated in one `webhook-signature` header.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets as _secrets
import time
from collections.abc import Iterable, Mapping

PREFIX = "whsec_"
DEFAULT_TOLERANCE_SECONDS = 300


class SignatureError(ValueError):
    """The webhook's signature headers are missing, stale or do not match."""


def new_secret() -> str:
    return PREFIX + base64.b64encode(_secrets.token_bytes(24)).decode()


def secret_key(secret: str | bytes) -> bytes:
    """The HMAC key of a secret: `whsec_<base64>` is decoded; any other text (a secret a subscriber
    chose, as seed 000 lets them) is used as its UTF-8 bytes, and bytes as they are. Verifiers using
    the `standardwebhooks` package pass such a secret as bytes."""
    if isinstance(secret, bytes):
        return secret
    if not secret.startswith(PREFIX):
        return secret.encode()
    try:
        return base64.b64decode(secret[len(PREFIX) :], validate=True)
    except ValueError as exc:
        raise ValueError("a Standard Webhooks secret is 'whsec_' followed by base64") from exc


def signature(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def sign(secrets: Iterable[str | bytes], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three headers of a delivery, signed with every given secret (newest first)."""
    signatures = [signature(secret_key(s), msg_id, timestamp, body) for s in secrets]
    if not signatures:
        raise ValueError("at least one secret is needed to sign")
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp), "webhook-signature": " ".join(signatures)}


def verify(
    secrets: Iterable[str | bytes],
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> str:
    """Check a delivery's headers against any of the secrets; returns its message id.

    `headers` must be case-insensitive (Starlette's and httpx's are) or use lower-case names.
    """
    msg_id = headers.get("webhook-id")
    stamp = headers.get("webhook-timestamp")
    sent = headers.get("webhook-signature")
    if not msg_id or not stamp or not sent:
        raise SignatureError("webhook-id, webhook-timestamp and webhook-signature headers are required")
    try:
        timestamp = int(stamp)
    except ValueError as exc:
        raise SignatureError("webhook-timestamp is not an integer") from exc
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise SignatureError(f"webhook-timestamp is more than {tolerance} s from now")
    offered = [part for part in sent.split(" ") if part.startswith("v1,")]
    for secret in secrets:
        expected = signature(secret_key(secret), msg_id, timestamp, body)
        # Bytes, not str: compare_digest refuses non-ASCII text, and a header may carry anything.
        if any(hmac.compare_digest(expected.encode(), c.encode("utf-8", "replace")) for c in offered):
            return msg_id
    raise SignatureError("no webhook-signature matches")
