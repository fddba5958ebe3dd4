"""Shopify's page walks, with what the framework's GraphQL stream does not know about Shopify.

A cursor names a place in one query's results, and Shopify does not honour it forever: a run picked up
again later (its worker killed, a deploy, a long pause) may find its saved `after` refused. Shopify
answers that with HTTP 200 and a GraphQL error naming the cursor, which the client raises as
UpstreamRejected; the schema does not spell the message, so any that calls the cursor invalid, expired
or stale counts (the sandbox answers `Invalid cursor provided: '…'`). The walk then starts over,
without a cursor, from a lower bound it checkpointed: each token carries `restartFrom`, the newest
`updatedAt` of the pages read so far.
Searched streams are sorted by UPDATED_AT ascending, so everything older than that instant has been
read and committed with those pages; the instant itself is read again (`>=`), and records edited
since have moved past it. The overlap is harmless: upserts by external id count it as unchanged.
Streams without a search (sorted by ID) restart from their first page. The count a fresh walk asks
for covers only what remains, so the restarted page reports no total (the run keeps the one it has).

`own_data` is what a record's change is judged by (its payload hash): an order embeds its customer,
whose own edits are the customers stream's news, not the order's.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from ledgerlink.connectors.framework.graphql import GraphQLStream, error_messages
from ledgerlink.connectors.framework.stream import Page
from ledgerlink.connectors.framework.window import SyncWindow
from ledgerlink.upstream.client import UpstreamClient
from ledgerlink.upstream.errors import UpstreamRejected

log = logging.getLogger(__name__)

RESTART_FROM = "restartFrom"
_STALE = re.compile(r"\b(invalid|expired|stale)\b.*\bcursor\b|\bcursor\b.*\b(invalid|expired|stale)\b", re.I)


def stale_cursor(exc: UpstreamRejected) -> bool:
    """Whether Shopify refused the request for its `after` cursor (GraphQL messages, else ours)."""
    body = (exc.details or {}).get("upstreamBody") if isinstance(exc.details, dict) else None
    return any(_STALE.search(message) for message in error_messages(body) or [exc.message])


@dataclass(frozen=True)
class ShopifyStream(GraphQLStream):
    own_data: Callable[[Any], Any] | None = None  # the part of a record its change is judged by

    def fingerprint(self, raw: Any) -> Any:
        """What the record's payload hash covers (the whole record unless `own_data` narrows it)."""
        return self.own_data(raw) if self.own_data is not None and isinstance(raw, dict) else raw

    async def read_page(self, client: UpstreamClient, window: SyncWindow, token: dict[str, Any] | None) -> Page:
        try:
            return self._checkpointed(await super().read_page(client, window, token), token)
        except UpstreamRejected as exc:
            if not token or token.get("after") is None or not stale_cursor(exc):
                raise
            restart = {"since": token.get(RESTART_FROM, token.get("since"))} if self.search else None
            log.info(
                "shopify refused a saved page cursor; walking again from the checkpoint",
                extra={"stream": self.name, "restart_from": (restart or {}).get("since"), "error": exc.message},
            )
            page = await super().read_page(client, window, restart)
            return replace(self._checkpointed(page, restart), total=None)

    def _checkpointed(self, page: Page, token: dict[str, Any] | None) -> Page:
        """The next token with `restartFrom`: the newest updatedAt read so far (searched streams only)."""
        if page.next_token is None or self.search is None:
            return page
        token = token or {}
        previous = token.get(RESTART_FROM, token.get("since"))
        stamps = [t for t in (self.updated_at(r) for r in page.records) if t is not None]
        if previous:
            stamps.append(datetime.fromisoformat(previous))
        if not stamps:
            return page
        return replace(page, next_token={**page.next_token, RESTART_FROM: max(stamps).isoformat()})
