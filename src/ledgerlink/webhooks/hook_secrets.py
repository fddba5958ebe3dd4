"""Which secret a hook the hub registered upstream signs with, and handing one hook another.

Where the hub chooses the secret that signs the deliveries (`Connector.hub_chooses_webhook_secret`,
WooCommerce), each `webhook_registrations` row keeps a digest of the secret its hook was made with
(`secret_digest`: salted scrypt, never the secret). A hook whose digest is not the current secret's still
signs with an old one, so every delivery it makes would be refused: it is handed the current secret, in
place where the connector can update a hook's secret (`update_webhook_secret`), else made again (the
caller removes the old one). Registering (registration.py), the periodic check (its repairer) and the
hand-over after a credentials change (secret_handover.py) all decide and hand over with these.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import TYPE_CHECKING, Any

from ledgerlink.connectors.framework.connector import Connector
from ledgerlink.models import Integration, WebhookRegistration

if TYPE_CHECKING:
    from ledgerlink.webhooks.registration import _Upstream

# scrypt's cost for the secret digests: about 50 ms here, once per integration per operation. A secret a
# person typed may be guessable, and a fast hash beside the encrypted credentials would give it away.
_DIGEST_COST = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


def secret_digest(integration_id: str, secret: str) -> str:
    """What a registration keeps of the secret its hook signs with (salted with the integration)."""
    salt = f"ledgerlink-webhook-secret:{integration_id}".encode()
    return hashlib.scrypt(secret.encode(), salt=salt, **_DIGEST_COST).hex()


async def _wanted_digest(integration: Integration, upstream: _Upstream) -> str | None:
    """The digest every hook must carry, where the hub chose the secret; None where it need not be known."""
    if not (upstream.connector.hub_chooses_webhook_secret and upstream.secret):
        return None
    return await asyncio.to_thread(secret_digest, integration.id, upstream.secret)


def _stale(row: WebhookRegistration, digest: str | None) -> bool:
    """The row's hook signs with another secret than the current one (or one not recorded)."""
    return digest is not None and row.secret_digest != digest


async def _hand_secret(client: Any, connector: Connector, row: WebhookRegistration, secret: str) -> str:
    """Give the row's hook `secret`: in place where the connector can (and the hook still exists), else a
    new hook for its topic and destination. Returns the id of the hook now signing with it."""
    if await connector.update_webhook_secret(client, row.upstream_id, secret):
        return row.upstream_id
    return await connector.register_webhook(client, row.topic, row.destination, secret)
