"""The ledger's posting job: every few seconds, post what the domain events since its cursor call for
(posting.py), then the batches of periods that have closed (batching.py), then the gateway money not
posted yet or changed since (gateway_job.py). One at a time: a queueing lock
keeps one waiting, the job lock one running, and the cursor row's lock would serialise two anyway.
Books may lag the sync by a few seconds."""

from __future__ import annotations

from procrastinate.job_context import JobContext

from ledgerlink.books.batching import post_closed_batches
from ledgerlink.books.gateway_job import post_gateway_pending
from ledgerlink.books.posting import post_pending
from ledgerlink.jobs.registry import runtime_of, tasks

QUEUE = "ledger"


@tasks.periodic(cron="*/5 * * * * *", periodic_id="ledger-posting")
@tasks.task(name="post_ledger", pass_context=True, queue=QUEUE, lock="post-ledger", queueing_lock="post-ledger")
async def post_ledger(context: JobContext, timestamp: int) -> dict[str, int]:
    runtime = runtime_of(context)
    run = await post_pending(runtime)
    run.entries += await post_closed_batches(runtime)
    run.add(await post_gateway_pending(runtime))
    return {
        "events": run.events,
        "documents": run.documents,
        "entries": run.entries,
        "failed": run.failed,
        "staged": run.staged,
    }
