"""The sync job and the periodic work around runs: scheduled syncs and re-deferring orphaned runs."""

from __future__ import annotations

import logging

from procrastinate import RetryStrategy
from procrastinate.job_context import JobContext
from sqlalchemy import text

from ledgerlink.jobs.app import MAINTENANCE_QUEUE
from ledgerlink.jobs.defer import defer_in_transaction
from ledgerlink.jobs.registry import runtime_of, tasks
from ledgerlink.sync.engine import execute_run
from ledgerlink.sync.runs import SYNC_QUEUE, SYNC_TASK, job_lock
from ledgerlink.sync.schedule import start_due_runs

log = logging.getLogger(__name__)


@tasks.task(
    name="sync_run", pass_context=True, queue=SYNC_QUEUE, retry=RetryStrategy(max_attempts=5, exponential_wait=5)
)
async def sync_run(context: JobContext, run_id: str, handed: int = 0) -> str:
    return await execute_run(runtime_of(context), run_id, handed)


# Runs that are queued or running but have no live job (a job lost with a crashed database
# connection, or cancelled at a shutdown) and have not moved for a while.
_ORPHANS = text(
    """
    SELECT r.id, r.integration_id, r.stream FROM sync_runs r
     WHERE r.status IN ('queued', 'running')
       AND coalesce(r.heartbeat_at, r.created_at) < now() - make_interval(secs => :quiet)
       AND NOT EXISTS (
           SELECT 1 FROM procrastinate_jobs j
            WHERE j.task_name = :task AND j.args->>'run_id' = r.id AND j.status IN ('todo', 'doing'))
     FOR UPDATE OF r SKIP LOCKED
    """
)


@tasks.periodic(cron="*/10 * * * * *", periodic_id="orphans")
@tasks.task(
    name="requeue_orphaned_runs", pass_context=True, queue=MAINTENANCE_QUEUE, queueing_lock="requeue_orphaned_runs"
)
async def requeue_orphaned_runs(context: JobContext, timestamp: int) -> int:
    runtime = runtime_of(context)
    quiet = max(60.0, runtime.settings.worker_stalled_after * 3)
    async with runtime.sessions.begin() as session:
        orphans = (await session.execute(_ORPHANS, {"quiet": quiet, "task": SYNC_TASK})).all()
        for run_id, integration_id, stream in orphans:
            await defer_in_transaction(
                session, SYNC_TASK, args={"run_id": run_id}, queue=SYNC_QUEUE, lock=job_lock(integration_id, stream)
            )
            log.warning("re-deferred a sync run that had no job", extra={"sync_id": run_id})
    return len(orphans)


@tasks.periodic(cron="* * * * *", periodic_id="schedule")
@tasks.task(
    name="start_scheduled_syncs", pass_context=True, queue=MAINTENANCE_QUEUE, queueing_lock="start_scheduled_syncs"
)
async def start_scheduled_syncs(context: JobContext, timestamp: int) -> int:
    """Once a minute, however many workers run: start every sync that is due."""
    return len(await start_due_runs(runtime_of(context)))
