"""Fan-out: domain events become deliveries for the subscriptions that want them.

Events are read by transaction horizon, not by `seq` (events_horizon.py says why and how): each
fan-out takes every event written by transactions older than the oldest one still running and moves
its cursor to that horizon in the same transaction as the deliveries it created.

A statement trigger on `events` queues the fan-out job whenever events are written and an active
subscription exists (migration 0005), in the writer's transaction; the cursor row's lock makes
concurrent fan-outs take turns. Each subscription that got deliveries gets its sender job.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
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

# A subscription wants an event of its workspace (and integration, unless workspace-wide) whose type
# it lists, or any non-webhook.* type for '*'. The one statement of that rule, for fan-out and replay.
_WANTS = """
    s.workspace_id = e.workspace_id
    AND (s.integration_id IS NULL OR s.integration_id = e.integration_id)
    AND (e.type = ANY(s.events) OR ('*' = ANY(s.events) AND e.type NOT LIKE 'webhook.%'))
"""
# Fan-out: active subscriptions, events written after they were created, in the claimed range.
_NEW_MATCHES = text(
    f"""
    SELECT e.id AS event_id, e.type, e.workspace_id, s.id AS subscription_id
      FROM events e JOIN webhook_subscriptions s ON {_WANTS} AND s.active AND s.created_at <= e.occurred_at
     WHERE e.txid >= :since AND e.txid < :upto
     ORDER BY e.seq
    """
)
# Replay: one subscription's events in a time window, whenever it was created.
_REPLAY_MATCHES = text(
    f"""
    SELECT e.id AS event_id, e.type, e.workspace_id, s.id AS subscription_id
      FROM events e JOIN webhook_subscriptions s ON {_WANTS}
     WHERE s.id = :subscription_id AND e.occurred_at >= :since
       AND (CAST(:until AS timestamptz) IS NULL OR e.occurred_at <= :until)
     ORDER BY e.seq
    """
)
_REQUEUE = text(
    f"""
    UPDATE webhook_deliveries d
       SET status = 'pending', next_attempt_at = now(), lease_until = NULL, completed_at = NULL
      FROM events e, webhook_subscriptions s
     WHERE d.subscription_id = :subscription_id AND s.id = d.subscription_id AND e.id = d.event_id AND {_WANTS}
       AND e.occurred_at >= :since AND (CAST(:until AS timestamptz) IS NULL OR e.occurred_at <= :until)
    """
)


async def _add_deliveries(session: AsyncSession, matches: Sequence[Any]) -> list[str]:
    """A delivery per (subscription, event) match not delivered yet; their subscriptions' ids."""
    created = await upsert_rows(
        session,
        WebhookDelivery.__table__,
        [
            {
                "id": new_id("whd"),
                "workspace_id": m.workspace_id,
                "subscription_id": m.subscription_id,
                "event_id": m.event_id,
                "event_type": m.type,
            }
            for m in matches
        ],
        conflict=("subscription_id", "event_id"),
        update=(),
        returning=("subscription_id",),
    )
    return [sid for (sid,) in created]


async def fan_out(runtime: Runtime) -> int:
    """Create the deliveries of every event not yet fanned out; returns how many."""
    async with runtime.sessions.begin() as session:
        claimed = await events_horizon.claim(session, CURSOR)
        if claimed is None:
            return 0
        matches = (await session.execute(_NEW_MATCHES, {"since": claimed.since, "upto": claimed.upto})).all()
        created = await _add_deliveries(session, matches)
        for subscription_id in sorted(set(created)):
            await defer_sender(session, subscription_id)
        await events_horizon.advance(session, CURSOR, claimed.upto)
        return len(created)


async def replay(
    session: AsyncSession, subscription_id: str, since: datetime, until: datetime | None
) -> tuple[int, int]:
    """Deliver again every event of the window the subscription wants, under each event's existing
    delivery id (created where missing); returns (events, deliveries requeued). The caller commits."""
    window = {"subscription_id": subscription_id, "since": since, "until": until}
    matches = (await session.execute(_REPLAY_MATCHES, window)).all()
    await _add_deliveries(session, matches)
    requeued = (await session.execute(_REQUEUE, window)).rowcount or 0
    await defer_sender(session, subscription_id)
    return len(matches), requeued


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
