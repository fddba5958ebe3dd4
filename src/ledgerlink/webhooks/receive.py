"""Receiving one inbound webhook: which integration, is it genuine, what is it, store it.

Verification needs the integration's secrets. Reading and decrypting them on every delivery would
cost a query per webhook, so each process keeps them for a few seconds (`TTL`): a credential
rotation reaches every process within that time, and a delivery refused meanwhile is retried by the
upstream. Nothing else is cached: deduplication and ordering live in PostgreSQL.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ledgerlink.connectors.framework.webhooks import WebhookSpec, WebhookVerificationError
from ledgerlink.connectors.loading import webhook_spec
from ledgerlink.connectors.registry import get_provider
from ledgerlink.errors import ConfigurationError, NotFound, ValidationFailed, WebhookVerificationFailed
from ledgerlink.ids import new_id
from ledgerlink.models import Integration
from ledgerlink.runtime import Runtime
from ledgerlink.webhooks.inbox import InboxWriter, Stored

TTL_SECONDS = 5.0
# Headers not worth keeping with the body (hop-by-hop, or ours to answer).
_DROP_HEADERS = frozenset({"authorization", "cookie", "connection", "content-length", "accept-encoding"})


@dataclass(frozen=True)
class Receiver:
    """What verifying a delivery to one integration needs."""

    integration_id: str
    workspace_id: str
    provider: str
    status: str
    spec: WebhookSpec
    secrets: tuple[str | bytes, ...]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Inbound:
    """The process-wide receiving side: a short-lived receiver cache and the group-commit writer."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.writer = InboxWriter(runtime)
        self._receivers: dict[str, tuple[float, Receiver]] = {}

    async def receiver(self, *, integration_id: str | None = None, token: str | None = None) -> Receiver:
        key = integration_id or f"token:{token_hash(token or '')}"
        cached = self._receivers.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        async with self.runtime.sessions() as session:
            query = select(Integration)
            if integration_id is not None:
                query = query.where(Integration.id == integration_id)
            else:
                query = query.where(Integration.inbound_token_hash == token_hash(token or ""))
            integration = (await session.execute(query)).scalar_one_or_none()
        if integration is None:
            raise NotFound("no integration receives webhooks at this address", {})
        spec = webhook_spec(get_provider(integration.provider))
        if spec is None:
            raise ConfigurationError(
                f"{integration.provider} integrations do not receive webhooks", {"provider": integration.provider}
            )
        credentials = self.runtime.secrets.decrypt_json(integration.credentials_encrypted)
        receiver = Receiver(
            integration.id,
            integration.workspace_id,
            integration.provider,
            integration.status,
            spec,
            tuple(spec.secrets(credentials)),
        )
        self._receivers[key] = (time.monotonic() + TTL_SECONDS, receiver)
        return receiver

    async def receive(self, receiver: Receiver, headers: Mapping[str, str], body: bytes) -> Stored | None:
        """Verify and store one delivery; None for a provider's liveness ping (answered, not stored)."""
        if receiver.status == "disabled":
            raise NotFound("the integration is disabled", {"integrationId": receiver.integration_id})
        if receiver.spec.is_ping(headers, body):
            return None
        try:
            receiver.spec.verify(receiver.secrets, headers, body)
        except WebhookVerificationError as exc:
            raise WebhookVerificationFailed(str(exc), {"integrationId": receiver.integration_id}) from exc
        try:
            notice = receiver.spec.parse(headers, body)
        except ValueError as exc:
            raise ValidationFailed(f"the webhook body cannot be read: {exc}", {}) from exc
        row: dict[str, Any] = {
            "id": new_id("ibx"),
            "workspace_id": receiver.workspace_id,
            "integration_id": receiver.integration_id,
            "provider": receiver.provider,
            "dedupe_key": notice.dedupe_key[:300],
            "topic": notice.topic[:120],
            "headers": {k.lower(): v for k, v in headers.items() if k.lower() not in _DROP_HEADERS},
            "body": body,
            "resource": notice.resource,
            "external_id": notice.external_id,
        }
        return await self.writer.store(row)
