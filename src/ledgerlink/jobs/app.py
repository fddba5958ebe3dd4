"""Building the Procrastinate App of one process, and running its worker."""

from __future__ import annotations

import importlib
import logging

import procrastinate

from ledgerlink.db.urls import libpq_url
from ledgerlink.jobs.registry import TASK_MODULES, blueprint

log = logging.getLogger(__name__)

# How fast a dead worker's jobs are given to another: heartbeats every few seconds, a worker
# silent for STALLED_AFTER seconds is presumed dead (see maintenance.recover_stalled_jobs).
HEARTBEAT_INTERVAL = 5.0
STALLED_AFTER = 20.0


def make_jobs_app(database_url: str, extra_task_modules: list[str] | None = None) -> procrastinate.App:
    modules = [*TASK_MODULES, *(extra_task_modules or [])]
    for name in modules:
        importlib.import_module(name)
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=libpq_url(database_url)),
        import_paths=modules,
        worker_defaults={
            "update_heartbeat_interval": HEARTBEAT_INTERVAL,
            "stalled_worker_timeout": STALLED_AFTER,
        },
    )
    app.add_tasks_from(blueprint, namespace="ledgerlink")
    return app
