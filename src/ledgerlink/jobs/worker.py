"""Running a Procrastinate worker bound to a ledgerlink runtime."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import procrastinate

from ledgerlink.jobs.maintenance import recover_stalled_jobs
from ledgerlink.runtime import Runtime

log = logging.getLogger(__name__)


async def run_worker(
    runtime: Runtime,
    *,
    concurrency: int = 4,
    signals: bool = True,
    name: str | None = None,
    queues: list[str] | None = None,
) -> None:
    app = runtime.jobs
    async with app.open_async():
        log.info("worker started", extra={"concurrency": concurrency, "queues": queues or "all"})
        watchdog = asyncio.create_task(_watch_for_dead_workers(app, runtime.settings.worker_stalled_after))
        try:
            await app.run_worker_async(
                concurrency=concurrency,
                queues=queues,
                install_signal_handlers=signals,
                additional_context={"runtime": runtime},
                name=name,
                # Every job is a pointer to a row that says how far it got: a shutdown need not wait for
                # a long sync to end. Cancelled jobs are retried (sync runs) or found by the sweepers.
                shutdown_graceful_timeout=runtime.settings.worker_shutdown_timeout,
            )
        finally:
            watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watchdog


async def _watch_for_dead_workers(app: procrastinate.App, stalled_after: float) -> None:
    """Requeue dead workers' jobs every half stall period, for as long as this worker lives."""
    while True:
        await asyncio.sleep(stalled_after / 2)
        try:
            await recover_stalled_jobs(app, stalled_after)
        except Exception:  # a database hiccup: logged, and tried again next round
            log.exception("recovering stalled jobs failed")
