"""Fan-out: domain events become deliveries for the subscriptions that want them.

Events are read by transaction horizon, not by `seq` (events_horizon.py says why and how): each
fan-out takes every event written by transactions older than the oldest one still running and moves
its cursor to that horizon in the same transaction as the deliveries it created.

A statement trigger on `events` queues the fan-out job whenever events are written and an active
subscription exists (migration 0005), in the writer's transaction; the cursor row's lock makes
concurrent fan-outs take turns. Each subscription that got deliveries gets its sender job.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink import events_horizon
from ledgerlink.db.copy import upsert_rows
from ledgerlink.ids import new_id
from ledgerlink.jobs.defer import defer_in_transaction
from ledgerlink.models import WebhookDelivery
from ledgerlink.runtime import Runtime

CURSOR = "webhook_deliveries"
QUEUE = "webhooks"
DELIVER_TASK = "ledgerlink:deliver_webhooks"

# Subscriptions match an event of their workspace (and integration, unless workspace-wide) whose type
# they list, or any non-webhook.* type for '*', written after they were created.
_MATCHES = text(
    """
    SELECT e.id AS event_id, e.type, e.workspace_id, s.id AS subscription_id
      FROM events e
      JOIN webhook_subscriptions s
        ON s.workspace_id = e.workspace_id
       AND s.active
       AND (s.integration_id IS NULL OR s.integration_id = e.integration_id)
       AND (e.type = ANY(s.events) OR ('*' = ANY(s.events) AND e.type NOT LIKE 'webhook.%'))
       AND s.created_at <= e.occurred_at
     WHERE e.txid >= :since AND e.txid < :upto
     ORDER BY e.seq
    """
)


async def fan_out(runtime: Runtime) -> int:
    """Create the deliveries of every event not yet fanned out; returns how many."""
    async with runtime.sessions.begin() as session:
        claimed = await events_horizon.claim(session, CURSOR)
        if claimed is None:
            return 0
        matches = (await session.execute(_MATCHES, {"since": claimed.since, "upto": claimed.upto})).all()
        rows = [
            {
                "id": new_id("whd"),
                "workspace_id": m.workspace_id,
                "subscription_id": m.subscription_id,
                "event_id": m.event_id,
                "event_type": m.type,
            }
            for m in matches
        ]
        created = await upsert_rows(
            session,
            WebhookDelivery.__table__,
            rows,
            conflict=("subscription_id", "event_id"),
            update=(),
            returning=("subscription_id",),
        )
        for subscription_id in sorted({sid for (sid,) in created}):
            await defer_sender(session, subscription_id)
        await events_horizon.advance(session, CURSOR, claimed.upto)
        return len(created)


async def defer_sender(session: AsyncSession, subscription_id: str, scheduled_at: Any = None) -> None:
    """Queue the subscription's sender unless one is already waiting; senders of one subscription
    run one at a time (their lock). A sender scheduled for a later retry has its own queueing lock,
    so it never keeps fresh deliveries waiting until then."""
    try:
        async with session.begin_nested():
            await defer_in_transaction(
                session,
                DELIVER_TASK,
                args={"subscription_id": subscription_id},
                queue=QUEUE,
                lock=f"deliver:{subscription_id}",
                queueing_lock=f"deliver{'-later' if scheduled_at else ''}:{subscription_id}",
                scheduled_at=scheduled_at,
            )
    except IntegrityError:
        pass  # a sender is already queued: it will find these deliveries
