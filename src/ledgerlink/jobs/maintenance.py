"""Periodic housekeeping. Procrastinate defers each periodic task once per tick across all workers."""

from __future__ import annotations

import logging

import procrastinate
import procrastinate.exceptions
from procrastinate.job_context import JobContext
from sqlalchemy import delete, func

from ledgerlink.jobs.app import MAINTENANCE_QUEUE
from ledgerlink.jobs.registry import runtime_of, tasks
from ledgerlink.models import OAuthToken, RateLimitBucket

log = logging.getLogger(__name__)


async def recover_stalled_jobs(app: procrastinate.App, stalled_after: float) -> int:
    """Give the jobs of workers that stopped heart-beating (killed, crashed, partitioned) to others.

    Every worker runs this on its own every few seconds (jobs/worker.py): recovery must not wait
    on a job being scheduled by the very workers that may be gone. Two workers retrying the same
    job is harmless: the second finds it no longer in `doing` and skips it."""
    manager = app.job_manager
    recovered = 0
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after):
        assert job.id is not None
        try:
            await manager.retry_job(job)
        except procrastinate.exceptions.ConnectorException as exc:
            log.info("stalled job already moved on", extra={"job_id": job.id, "reason": str(exc)[:200]})
            continue
        recovered += 1
        log.warning(
            "requeued a job whose worker died",
            extra={"job_id": job.id, "task": job.task_name, "attempts": job.attempts},
        )
    return recovered


@tasks.periodic(cron="17 * * * *", periodic_id="cleanup")
@tasks.task(name="cleanup", pass_context=True, queue=MAINTENANCE_QUEUE, queueing_lock="cleanup")
async def cleanup(context: JobContext, timestamp: int) -> dict[str, int]:
    """Bound the tables that only grow: expired tokens, idle rate-limit rows, finished jobs."""
    runtime = runtime_of(context)
    async with runtime.sessions.begin() as session:
        tokens = await session.execute(delete(OAuthToken).where(OAuthToken.expires_at < func.now()))
        buckets = await session.execute(
            delete(RateLimitBucket).where(RateLimitBucket.tat < func.now() - func.make_interval(0, 0, 0, 1))
        )
    manager = context.app.job_manager
    # Housekeeping runs every few seconds: keep an hour of it. Other jobs are kept a week for inspection.
    await manager.delete_old_jobs(nb_hours=1, queue=MAINTENANCE_QUEUE, include_failed=False)
    await manager.delete_old_jobs(nb_hours=24 * 7, include_failed=False)
    counts = {"oauth_tokens": tokens.rowcount or 0, "rate_limit_buckets": buckets.rowcount or 0}
    log.info("cleanup done", extra=counts)
    return counts
