"""Building the Procrastinate App of one process, and running its worker."""

from __future__ import annotations

import importlib
import logging

import procrastinate

from ledgerlink.db.urls import libpq_url
from ledgerlink.jobs.registry import TASK_MODULES, tasks

log = logging.getLogger(__name__)

MAINTENANCE_QUEUE = "maintenance"


def make_jobs_app(
    database_url: str, *, stalled_after: float = 20.0, extra_task_modules: list[str] | None = None
) -> procrastinate.App:
    """A worker silent for `stalled_after` seconds is presumed dead (heartbeats come 4 times as often);
    maintenance.recover_stalled_jobs then gives its jobs to another."""
    modules = [*TASK_MODULES, *(extra_task_modules or [])]
    for name in modules:
        importlib.import_module(name)
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=libpq_url(database_url)),
        import_paths=modules,
        worker_defaults={
            "update_heartbeat_interval": stalled_after / 4,
            "stalled_worker_timeout": stalled_after,
        },
    )
    app.add_tasks_from(tasks.blueprint(), namespace="ledgerlink")
    return app
