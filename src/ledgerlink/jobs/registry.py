"""The one blueprint every task module registers on (tasks are bound to an App per process)."""

from __future__ import annotations

from typing import Any

import procrastinate
from procrastinate.job_context import JobContext

from ledgerlink.runtime import Runtime

blueprint = procrastinate.Blueprint()

# Modules whose import registers tasks on `blueprint`; a worker imports every one of them.
TASK_MODULES: list[str] = [
    "ledgerlink.jobs.maintenance",
    "ledgerlink.sync.tasks",
    "ledgerlink.webhooks.tasks",
    "ledgerlink.webhooks.registration_tasks",
    "ledgerlink.reactions",
    "ledgerlink.books.tasks",
]


def runtime_of(context: JobContext) -> Runtime:
    """The worker's Runtime, handed to every task through Procrastinate's additional context."""
    runtime: Any = context.additional_context.get("runtime")
    if not isinstance(runtime, Runtime):
        raise RuntimeError("task run outside a ledgerlink worker: no runtime in the job context")
    return runtime
