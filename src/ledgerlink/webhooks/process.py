"""Draining an integration's inbox: each notice becomes the upstream's current record, written the
way a sync page writes it.

Every notice is treated as "this record changed": the record is fetched in full through the
connector (light payloads carry only an id; a full one may already be stale when it arrives) and
loaded by the sync loader, whose external references decide created/updated/unchanged and refuse
an older copy over a newer one. So duplicates, redeliveries and out-of-order events all end in the
upstream's newest state, and a webhook racing a sync page on one record is serialised by the
reference row lock. Several notices about one record in a batch cost one fetch.

Before anything is fetched, the connector confirms each delivery with the upstream where the
signature checked on receipt is not the whole proof (`Connector.confirm_webhook`; PayPal's is only
complete through its verify-webhook-signature API): the batch's deliveries are confirmed
concurrently, one refused is `failed` with the reason and never acted on, and an upstream that
cannot answer leaves the batch pending like any transient failure, never accepted unconfirmed.

Inventory notices start an incremental inventory sync (one at a time per integration) rather than
fetching levels one by one. A notice that fails keeps its error (`failed`) and can be retried; a
transient upstream failure leaves the batch pending for the job's retry. Nothing is dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update

from ledgerlink.connectors.framework.connector import Connector
from ledgerlink.errors import ConfigurationError, Conflict, LedgerlinkError
from ledgerlink.integrations.connectors import connector_for
from ledgerlink.models import InboxEvent, Integration
from ledgerlink.runtime import Runtime
from ledgerlink.sync.context import LoadContext
from ledgerlink.sync.loader import load_page
from ledgerlink.sync.runs import RunRequest, add_run
from ledgerlink.upstream.client import UpstreamClient
from ledgerlink.upstream.errors import UpstreamRateLimited, UpstreamRejected, UpstreamUnavailable
from ledgerlink.upstream.policy import RetryPolicy

log = logging.getLogger(__name__)

BATCH = 100
FETCH_CONCURRENCY = 8
TRANSIENT = (UpstreamUnavailable, UpstreamRateLimited)


@dataclass
class DrainResult:
    processed: int = 0
    failed: int = 0
    ignored: int = 0
    pending: int = 0  # left for a retry after a transient upstream failure
    written: dict[str, int] = field(default_factory=lambda: defaultdict(int))


@dataclass(frozen=True)
class _Notice:
    id: str
    resource: str | None
    external_id: str | None


async def drain(
    runtime: Runtime, integration_id: str, *, batch: int = BATCH, retry: RetryPolicy | None = None
) -> DrainResult:
    """Process the integration's pending inbox entries, oldest first, until none are left. `retry` is
    the upstream client's (its default when None)."""
    result = DrainResult()
    async with runtime.sessions() as session:
        integration = await session.get(Integration, integration_id)
    if integration is None:
        return result
    connector = connector_for(runtime, integration)
    ctx = LoadContext(integration.workspace_id, integration.id, integration.provider, dict(integration.settings))
    async with connector.client(retry) as client:
        while True:
            async with runtime.sessions() as session:  # a plain read: no lock, no transaction id
                rows = (
                    (
                        await session.execute(
                            select(InboxEvent)
                            .where(InboxEvent.integration_id == integration_id, InboxEvent.status == "pending")
                            .order_by(InboxEvent.received_at, InboxEvent.id)
                            .limit(batch)
                        )
                    )
                    .scalars()
                    .all()
                )
            if not rows:
                return result
            notices = [_notice(row) for row in rows]
            # Upstream reads happen outside any transaction: a transaction held open across them
            # would hold back the horizon every event consumer reads up to (events_horizon.py).
            try:
                refused = await _confirm_all(client, connector, rows)
                genuine = [n for n in notices if n.id not in refused]
                fetched = await _fetch_all(client, connector, _records(connector, genuine))
            except TRANSIENT as exc:
                # The batch stays pending for the job's retry; its rows say why they wait.
                async with runtime.sessions.begin() as session:
                    await _mark(session, {n.id: exc.message for n in notices}, "pending")
                result.pending += len(notices)
                raise
            async with runtime.sessions.begin() as session:
                locked = set(
                    (
                        await session.execute(
                            select(InboxEvent.id)
                            .where(InboxEvent.id.in_([n.id for n in notices]), InboxEvent.status == "pending")
                            .with_for_update(skip_locked=True)
                        )
                    ).scalars()
                )
                notices = [n for n in notices if n.id in locked]  # another drainer took the rest
                outcome = await _apply(session, connector, ctx, [n for n in notices if n.id not in refused], fetched)
                outcome["failed"].extend((n.id, refused[n.id]) for n in notices if n.id in refused)
                for status, marks in outcome.items():
                    await _mark(session, dict(marks), status)
            result.processed += len(outcome.get("processed", []))
            result.failed += len(outcome.get("failed", []))
            result.ignored += len(outcome.get("ignored", []))


def _records(connector: Connector, notices: list[_Notice]) -> list[tuple[str, str]]:
    """The upstream records the notices are about (once each), in streams the connector reads."""
    keys = {
        (n.resource, n.external_id)
        for n in notices
        if n.resource != "inventory" and n.resource in connector.streams and n.external_id
    }
    return sorted(keys)  # type: ignore[arg-type]


def _notice(row: InboxEvent) -> _Notice:
    return _Notice(row.id, row.resource, row.external_id)


async def _apply(
    session: Any,
    connector: Connector,
    ctx: LoadContext,
    notices: list[_Notice],
    fetched: dict[tuple[str, str], Any | None],
) -> dict[str, list[tuple[str, str | None]]]:
    """Status per notice: processed / failed (with its error) / ignored (with why)."""
    outcome: dict[str, list[tuple[str, str | None]]] = defaultdict(list)
    by_record: dict[tuple[str, str], list[_Notice]] = defaultdict(list)
    inventory: list[_Notice] = []
    for notice in notices:
        if notice.resource == "inventory":
            inventory.append(notice)
        elif notice.resource in connector.streams and notice.external_id:
            by_record[(notice.resource, notice.external_id)].append(notice)
        else:
            outcome["ignored"].append((notice.id, f"{notice.resource or 'this topic'} is not synced"))
    if inventory:
        await _sync_inventory(session, ctx)
        outcome["processed"].extend((n.id, None) for n in inventory)

    for stream_name in sorted({s for s, _ in by_record}):
        stream = connector.streams[stream_name]
        keys = [key for key in by_record if key[0] == stream_name]
        raws = [fetched[key] for key in keys if fetched[key] is not None]
        load, _ = await load_page(session, ctx, stream, raws)
        errors = {e.external_id: f"{e.error_type}: {e.message}" for e in load.errors}
        for key in keys:
            for notice in by_record[key]:
                if fetched[key] is None:
                    # Gone upstream (a deletion, or a record removed since): nothing to write.
                    outcome["processed"].append((notice.id, "the record no longer exists upstream"))
                elif key[1] in errors:
                    outcome["failed"].append((notice.id, errors[key[1]]))
                else:
                    outcome["processed"].append((notice.id, None))
    return outcome


async def _confirm_all(client: UpstreamClient, connector: Connector, rows: list[InboxEvent]) -> dict[str, str]:
    """The deliveries the upstream does not confirm as its own, each with why. A refusal of the
    question itself (a 4xx, a missing setting) refuses that delivery; other errors (the upstream
    down, throttling, authentication) propagate and leave the batch pending."""
    if type(connector).confirm_webhook is Connector.confirm_webhook:
        return {}  # nothing to ask of this upstream: no task per delivery on the drain's path
    gate = asyncio.Semaphore(FETCH_CONCURRENCY)

    async def one(row: InboxEvent) -> str | None:
        async with gate:
            try:
                genuine = await connector.confirm_webhook(client, row.headers, row.body)
            except (UpstreamRejected, ConfigurationError) as exc:
                return f"not confirmed: {connector.provider} could not verify the delivery: {exc.message}"
        if genuine:
            return None
        return f"not genuine: {connector.provider} did not confirm the delivery's signature; nothing was done with it"

    verdicts = await asyncio.gather(*(one(row) for row in rows))
    return {row.id: verdict for row, verdict in zip(rows, verdicts, strict=True) if verdict is not None}


async def _fetch_all(
    client: UpstreamClient, connector: Connector, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], Any | None]:
    gate = asyncio.Semaphore(FETCH_CONCURRENCY)

    async def one(key: tuple[str, str]) -> Any | None:
        async with gate:
            return await connector.fetch_record(client, key[0], key[1])

    found = await asyncio.gather(*(one(key) for key in keys))
    return dict(zip(keys, found, strict=True))


async def _sync_inventory(session: Any, ctx: LoadContext) -> None:
    """Inventory notices are coalesced into one incremental inventory run (if none is under way)."""
    try:
        async with session.begin_nested():
            await add_run(
                session, ctx.workspace_id, ctx.integration_id, RunRequest(stream="inventory", trigger="webhook")
            )
    except Conflict:
        pass  # a run of the stream is already queued or running: it will read these changes
    except LedgerlinkError as exc:
        log.warning("inventory notice could not start a sync", extra={"error": exc.message})


async def _mark(session: Any, notes: dict[str, str | None], status: str) -> None:
    """Set the status of inbox rows, each with its own note (an error, or why it was ignored)."""
    done = status in ("processed", "ignored")
    for note in set(notes.values()):
        ids = [row_id for row_id, n in notes.items() if n == note]
        await session.execute(
            update(InboxEvent)
            .where(InboxEvent.id.in_(ids))
            .values(
                status=status,
                attempts=InboxEvent.attempts + 1,
                last_error=note,
                processed_at=func.now() if done else None,
            )
        )
