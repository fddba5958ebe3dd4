"""The upstream's own copy of what an event is about, for subscriptions with `format: "source"`.

Seed 004 forwards "the object you receive in the response" of BigCommerce's GET order: so the
resource is fetched from the upstream when the delivery is made, through the integration's
connector (one connector and client per integration for the sender's run).
"""

from __future__ import annotations

import contextlib
from typing import Any

from sqlalchemy import select

from ledgerlink.integrations.connectors import connector_for
from ledgerlink.models import Event, ExternalRef, Integration
from ledgerlink.runtime import Runtime
from ledgerlink.upstream.client import UpstreamClient

# event type prefix -> (external reference resource type, connector stream)
_RESOURCES = {"order": ("order", "orders"), "product": ("product", "products"), "customer": ("customer", "customers")}


class SourcePayloads:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._clients: dict[str, tuple[Any, UpstreamClient]] = {}
        self._stack = contextlib.AsyncExitStack()

    async def for_event(self, event: Event) -> Any | None:
        """The upstream record, or None when the event is not about one (or it is gone)."""
        kind = _RESOURCES.get(event.type.split(".", 1)[0])
        if kind is None or event.integration_id is None or event.subject_id is None:
            return None
        resource_type, stream = kind
        async with self.runtime.sessions() as session:
            external_id = (
                await session.execute(
                    select(ExternalRef.external_id).where(
                        ExternalRef.integration_id == event.integration_id,
                        ExternalRef.resource_type == resource_type,
                        ExternalRef.canonical_id == event.subject_id,
                    )
                )
            ).scalar()
            if external_id is None:
                return None
            connector, client = await self._client(session, event.integration_id)
        record = await connector.fetch_record(client, stream, external_id)
        if isinstance(record, dict):
            # Sub-resources the connector fetched alongside (`_products`, …) are ours, not the resource's.
            record = {key: value for key, value in record.items() if not key.startswith("_")}
        return record

    async def _client(self, session: Any, integration_id: str) -> tuple[Any, UpstreamClient]:
        if integration_id not in self._clients:
            integration = await session.get(Integration, integration_id)
            connector = connector_for(self.runtime, integration)
            client = await self._stack.enter_async_context(connector.client())
            self._clients[integration_id] = (connector, client)
        return self._clients[integration_id]

    async def aclose(self) -> None:
        await self._stack.aclose()
