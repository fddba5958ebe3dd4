"""The FastAPI application: conventions, routers, and (optionally) an in-process worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI

from ledgerlink import __version__
from ledgerlink.api import error_handlers
from ledgerlink.api.inbound_lane import InboundWebhookLane
from ledgerlink.api.middleware import BodyLimitMiddleware, RequestLogMiddleware
from ledgerlink.api.routers import (
    access,
    big_commerce,
    events,
    health,
    integrations,
    inventory,
    ledger,
    provider_config,
    records,
    sync,
    webhook_registrations,
    webhooks,
    webhooks_inbound,
)
from ledgerlink.heap import tune_for_long_running
from ledgerlink.runtime import Runtime
from ledgerlink.settings import Settings, get_settings

log = logging.getLogger(__name__)


def create_app(
    runtime: Runtime | None = None,
    *,
    settings: Settings | None = None,
    run_worker: bool = False,
    worker_concurrency: int = 4,
) -> FastAPI:
    """With `runtime` the caller owns it (tests); without, the app builds one from the settings on startup."""
    settings = settings or (runtime.settings if runtime else get_settings())

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = runtime is None
        rt = runtime or await asyncio.to_thread(start_runtime, settings)
        app.state.runtime = rt
        worker_task: asyncio.Task[None] | None = None
        if run_worker:
            from ledgerlink.jobs.worker import run_worker as _run_worker

            worker_task = asyncio.create_task(_run_worker(rt, concurrency=worker_concurrency, signals=False))
        if owned:  # this process's server: its start-up heap lives as long as it does
            tune_for_long_running()
        try:
            yield
        finally:
            if worker_task is not None:
                worker_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker_task
            if owned:
                await rt.aclose()

    app = FastAPI(
        title="ledgerlink",
        version=__version__,
        description="Self-hosted commerce integration hub. Every response is an envelope: "
        '`{"success": true, "data": …}` or `{"success": false, "error": {"code", "message", "details"}}`.',
        lifespan=lifespan,
    )
    if runtime is not None:
        app.state.runtime = runtime
    error_handlers.install(app)
    # Routes are matched in order, one by one: the upstreams' webhooks, the busiest path by far, first.
    for module in (
        health,
        webhooks_inbound,
        access,
        sync,
        inventory,
        integrations,
        provider_config,
        big_commerce,
        records,
        events,
        webhooks,
        webhook_registrations,
        ledger,
    ):
        app.include_router(module.router)
    app.add_middleware(InboundWebhookLane)  # innermost: the body limit and the request log wrap it
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestLogMiddleware)
    return app


def start_runtime(settings: Settings) -> Runtime:
    """Build the runtime; on the embedded database, also bring its schema up to date."""
    from ledgerlink.db import migrate
    from ledgerlink.runtime import build_runtime

    rt = build_runtime(settings)
    if settings.embedded:
        migrate.upgrade(rt.database_url)
    return rt
