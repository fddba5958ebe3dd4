"""The headers that prove an outbound delivery came from this hub.

Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`, one `v1,` signature per
live secret during a rotation) and seed 001's `X-Webhook-Signature`: the hex HMAC-SHA256 of the
body under the subscription's current secret (its UTF-8 bytes, as the seed's snippet uses it).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from ledgerlink.webhooks import standard


def delivery_headers(secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """`secrets` newest first; the first one also signs X-Webhook-Signature."""
    headers = standard.sign(secrets, msg_id, timestamp, body)
    headers["X-Webhook-Signature"] = hmac.new(secrets[0].encode(), body, hashlib.sha256).hexdigest()
    return headers
