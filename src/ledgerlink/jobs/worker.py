"""Running a Procrastinate worker bound to a ledgerlink runtime."""

from __future__ import annotations

import logging

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
        await app.run_worker_async(
            concurrency=concurrency,
            queues=queues,
            install_signal_handlers=signals,
            additional_context={"runtime": runtime},
            name=name,
        )
