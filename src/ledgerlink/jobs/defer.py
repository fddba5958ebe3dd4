"""Deferring a job inside the caller's transaction, so a row and the job that moves it commit together."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_DEFER = text(
    "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW(:queue, :task, :priority, :lock, :queueing_lock,"
    " CAST(:args AS jsonb), :scheduled_at)::procrastinate_job_to_defer_v1])"
)


async def defer_in_transaction(
    session: AsyncSession,
    task_name: str,
    *,
    args: dict[str, Any],
    queue: str = "default",
    lock: str | None = None,
    queueing_lock: str | None = None,
    priority: int = 0,
    scheduled_at: datetime | None = None,
) -> int:
    """Insert a Procrastinate job with the session's transaction; returns the job id.

    `task_name` is the registered name, e.g. ``ledgerlink:sync_run``. The job becomes visible to
    workers only when the caller commits, and vanishes if the caller rolls back.
    """
    result = await session.execute(
        _DEFER,
        {
            "queue": queue,
            "task": task_name,
            "priority": priority,
            "lock": lock,
            "queueing_lock": queueing_lock,
            "args": json.dumps(args),
            "scheduled_at": scheduled_at,
        },
    )
    ids = result.scalar_one()
    return int(ids[0])
