"""The webhook jobs: draining inboxes, fanning events out, sending deliveries, and their upkeep."""

from __future__ import annotations

import logging

from procrastinate import RetryStrategy
from procrastinate.job_context import JobContext
from sqlalchemy import delete, text

from ledgerlink.jobs.app import MAINTENANCE_QUEUE
from ledgerlink.jobs.registry import runtime_of, tasks
from ledgerlink.models import InboxEvent, WebhookAttempt, WebhookDelivery
from ledgerlink.webhooks import deliver, fanout, process
from ledgerlink.webhooks.inbox import DRAIN_TASK, defer_drain

log = logging.getLogger(__name__)
QUEUE = fanout.QUEUE


@tasks.task(name="drain_inbox", pass_context=True, queue=QUEUE, retry=RetryStrategy(max_attempts=8, exponential_wait=2))
async def drain_inbox(context: JobContext, integration_id: str) -> dict[str, int]:
    result = await process.drain(runtime_of(context), integration_id)
    return {"processed": result.processed, "failed": result.failed, "ignored": result.ignored}


@tasks.task(name="fan_out_events", pass_context=True, queue=QUEUE, queueing_lock="fan-out")
async def fan_out_events(context: JobContext) -> int:
    return await fanout.fan_out(runtime_of(context))


@tasks.task(name="deliver_webhooks", pass_context=True, queue=QUEUE)
async def deliver_webhooks(context: JobContext, subscription_id: str) -> dict[str, int]:
    return await deliver.send_due(runtime_of(context), subscription_id)


# Work whose job went missing (a crash between commit and pickup is covered by the transaction, but a
# job that failed for good is not): inbox rows pending for a while, deliveries overdue.
_STUCK_INBOXES = text(
    """
    SELECT DISTINCT integration_id FROM webhook_inbox i
     WHERE status = 'pending' AND received_at < now() - interval '30 seconds'
       AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs j WHERE j.task_name = :task
                        AND j.args->>'integration_id' = i.integration_id AND j.status IN ('todo', 'doing'))
    """
)
_OVERDUE_SENDERS = text(
    """
    SELECT DISTINCT subscription_id FROM webhook_deliveries d
     WHERE status = 'pending' AND next_attempt_at < now() - interval '30 seconds'
       AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs j WHERE j.task_name = :task
                        AND j.args->>'subscription_id' = d.subscription_id AND j.status IN ('todo', 'doing'))
    """
)


@tasks.periodic(cron="*/15 * * * * *", periodic_id="webhook-sweep")
@tasks.task(name="sweep_webhooks", pass_context=True, queue=MAINTENANCE_QUEUE, queueing_lock="sweep_webhooks")
async def sweep_webhooks(context: JobContext, timestamp: int) -> dict[str, int]:
    runtime = runtime_of(context)
    async with runtime.sessions.begin() as session:
        inboxes = (await session.execute(_STUCK_INBOXES, {"task": DRAIN_TASK})).scalars().all()
        for integration_id in inboxes:
            await defer_drain(session, integration_id)
        senders = (await session.execute(_OVERDUE_SENDERS, {"task": fanout.DELIVER_TASK})).scalars().all()
        for subscription_id in senders:
            await fanout.defer_sender(session, subscription_id)
    if inboxes or senders:
        log.warning("re-deferred webhook work that had no job", extra={"inboxes": inboxes, "senders": senders})
    return {"inboxes": len(inboxes), "senders": len(senders)}


@tasks.periodic(cron="41 * * * *", periodic_id="webhook-retention")
@tasks.task(name="webhook_retention", pass_context=True, queue=MAINTENANCE_QUEUE, queueing_lock="webhook_retention")
async def webhook_retention(context: JobContext, timestamp: int) -> dict[str, int]:
    """Keep the inbox (and so its dedupe keys) and the delivery logs bounded."""
    runtime = runtime_of(context)
    settings = runtime.settings
    async with runtime.sessions.begin() as session:
        inbox = await session.execute(
            delete(InboxEvent).where(
                InboxEvent.status.in_(("processed", "ignored")),
                InboxEvent.received_at < text(f"now() - interval '{int(settings.webhook_inbox_retention_days)} days'"),
            )
        )
        attempts = await session.execute(
            delete(WebhookAttempt).where(
                WebhookAttempt.attempted_at
                < text(f"now() - interval '{int(settings.webhook_attempt_retention_days)} days'")
            )
        )
        deliveries = await session.execute(
            delete(WebhookDelivery).where(
                WebhookDelivery.status.in_(("succeeded", "failed", "cancelled")),
                WebhookDelivery.completed_at
                < text(f"now() - interval '{int(settings.webhook_attempt_retention_days)} days'"),
            )
        )
    counts = {"inbox": inbox.rowcount or 0, "attempts": attempts.rowcount or 0, "deliveries": deliveries.rowcount or 0}
    log.info("webhook retention done", extra=counts)
    return counts
