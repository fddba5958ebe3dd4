"""What the hub does on its own when its data changes, read from the domain events:

- `inventory.updated` at an integration marked `inventoryMaster`: the SKU's stock is propagated
  to every other channel selling it (inventory/propagate.py);
- `integration.created` / `integration.updated` of an active integration with `realTimeSync` on:
  its webhooks are registered upstream, when the hub has a public URL (LEDGERLINK_PUBLIC_URL).
  They are removed with the integration (disable, delete) or on request, not when the setting
  goes off, so hooks someone registered by hand are never taken away behind their back.
- `integration.updated` with changed credentials: where the hub chose the secret the hooks sign with
  (WooCommerce) and it changed, the hooks upstream are handed the new one (webhooks/secret_handover.py).
  Not before every process verifies with it: receivers cache an integration's secrets for
  `receive.TTL_SECONDS`, and a delivery signed with the new secret that reached one still holding the
  old would be refused (WooCommerce does not redeliver). The change is committed once its event is
  read, so waiting that long from then is enough; the old secret keeps verifying meanwhile.

The events are consumed by transaction horizon (events_horizon.py) under the cursor `reactions`.
The work happens outside the claiming transaction, so pushes to upstreams never hold back the
horizon other consumers read up to; the cursor moves only after the work, so a crash repeats it,
and both reactions are idempotent (a channel already right gets no write, registration adopts what
exists). One run at a time (the task's lock).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import Any

from procrastinate.job_context import JobContext
from sqlalchemy import select, text

from ledgerlink import events_horizon
from ledgerlink.errors import LedgerlinkError
from ledgerlink.jobs.app import MAINTENANCE_QUEUE
from ledgerlink.jobs.registry import runtime_of, tasks
from ledgerlink.models import Event, Integration, WebhookRegistration
from ledgerlink.runtime import Runtime
from ledgerlink.webhooks.receive import TTL_SECONDS

log = logging.getLogger(__name__)

CURSOR = "reactions"
TYPES = ("inventory.updated", "integration.created", "integration.updated")

# A consumer created after events exist starts from now: reacting to history would repeat it.
_ENSURE = text(
    """
    INSERT INTO outbox_cursors (name, horizon)
    VALUES (:name, (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint)
    ON CONFLICT (name) DO NOTHING
    """
)


async def react(runtime: Runtime) -> dict[str, int]:
    async with runtime.sessions.begin() as session:
        await session.execute(_ENSURE, {"name": CURSOR})
    async with runtime.sessions.begin() as session:
        claimed = await events_horizon.claim(session, CURSOR)
        if claimed is None:
            return {"events": 0}
        events = (
            await session.execute(
                select(Event.workspace_id, Event.type, Event.integration_id, Event.data)
                .where(Event.txid >= claimed.since, Event.txid < claimed.upto, Event.type.in_(TYPES))
                .order_by(Event.seq)
            )
        ).all()
    counts = {"events": len(events), "propagated": 0, "registered": 0, "secrets_handed": 0}
    if events:
        counts["propagated"] = await _propagate(runtime, [e for e in events if e.type == "inventory.updated"])
        counts["registered"] = await _register(runtime, [e for e in events if e.type.startswith("integration.")])
        counts["secrets_handed"] = await _hand_secrets(runtime, [e for e in events if e.type == "integration.updated"])
    async with runtime.sessions.begin() as session:
        await events_horizon.claim(session, CURSOR)  # the lock, so a concurrent run cannot interleave
        await events_horizon.advance(session, CURSOR, claimed.upto)
    return counts


async def _propagate(runtime: Runtime, events: list[Any]) -> int:
    from ledgerlink.inventory.propagate import propagate

    async with runtime.sessions() as session:
        ids = sorted({e.integration_id for e in events if e.integration_id})
        masters = {
            i.id
            for i in (await session.execute(select(Integration).where(Integration.id.in_(ids)))).scalars()
            if (i.settings or {}).get("inventoryMaster")
        }
    skus: dict[str, set[str]] = defaultdict(set)
    for e in events:
        if e.integration_id in masters and (e.data or {}).get("sku"):
            skus[e.workspace_id].add(e.data["sku"])
    pushed = 0
    for workspace_id, wanted in skus.items():
        async with runtime.sessions() as session:
            try:
                channels = await propagate(runtime, session, workspace_id, sorted(wanted))
            except LedgerlinkError as exc:
                log.warning("inventory propagation failed", extra={"workspace_id": workspace_id, "error": exc.message})
                continue
        pushed += sum(sum(r.ok for r in c.results) for c in channels)
    return pushed


async def _register(runtime: Runtime, events: list[Any]) -> int:
    from ledgerlink.webhooks import registration

    done = 0
    for integration_id in sorted({e.integration_id for e in events if e.integration_id}):
        async with runtime.sessions() as session:
            integration = await session.get(Integration, integration_id)
            if integration is None:
                continue
            registered = (
                await session.execute(
                    select(WebhookRegistration.id).where(WebhookRegistration.integration_id == integration_id).limit(1)
                )
            ).first() is not None
        wanted = bool((integration.settings or {}).get("realTimeSync")) and integration.status == "active"
        if not wanted or registered or not runtime.settings.public_url:
            continue
        try:
            await registration.register_all(runtime, integration_id, runtime.settings.public_url)
            done += 1
        except LedgerlinkError as exc:
            log.warning(
                "real-time webhook registration failed",
                extra={"integration_id": integration_id, "code": exc.code, "error": exc.message},
            )
    return done


async def _hand_secrets(runtime: Runtime, events: list[Any]) -> int:
    from ledgerlink.webhooks import secret_handover

    changed = {
        e.integration_id for e in events if e.integration_id and "credentials" in (e.data or {}).get("changed", ())
    }
    outdated = [i for i in sorted(changed) if await secret_handover.secret_outdated(runtime, i)]
    if not outdated:
        return 0
    await asyncio.sleep(TTL_SECONDS)  # every receiver has read the new secret by then
    handed = 0
    for integration_id in outdated:
        try:
            repairs = await secret_handover.hand_new_secret(runtime, integration_id)
        except LedgerlinkError as exc:
            log.warning(
                "handing the webhooks their new secret failed",
                extra={"integration_id": integration_id, "code": exc.code, "error": exc.message},
            )
            continue
        handed += sum(1 for r in repairs if r.upstream_id and not r.error)
    return handed


@tasks.periodic(cron="*/5 * * * * *", periodic_id="reactions")
@tasks.task(
    name="react_to_events", pass_context=True, queue=MAINTENANCE_QUEUE, lock="reactions", queueing_lock="reactions"
)
async def react_to_events(context: JobContext, timestamp: int) -> dict[str, int]:
    return await react(runtime_of(context))
