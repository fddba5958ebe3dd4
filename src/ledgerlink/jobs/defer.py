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


def defer_once_per_key_sql(task_name: str, *, queue: str, lock_prefix: str, arg: str, keys: str) -> str:
    """An INSERT, usable as a data-modifying CTE of a larger statement, that defers `task_name` once
    for each key `k` that the query `keys` yields (one text column), with lock and queueing lock
    `lock_prefix || k` and args `{arg: k}`; a key whose job is already waiting is skipped.

    What `procrastinate_defer_jobs_v1` does, written out so that it can ride on the statement that
    saves the rows the job is for (one round trip, one transaction), and so that a job already queued
    is skipped by ON CONFLICT on Procrastinate's partial unique index of waiting queueing locks rather
    than refused with an error that would abort the statement. The names are constants of ours, never
    input.
    """
    return f"""
        INSERT INTO procrastinate_jobs (queue_name, task_name, priority, lock, queueing_lock, args)
        SELECT '{queue}', '{task_name}', 0, '{lock_prefix}' || k, '{lock_prefix}' || k, jsonb_build_object('{arg}', k)
          FROM ({keys}) AS keys(k)
        ON CONFLICT (queueing_lock) WHERE status = 'todo' DO NOTHING
    """
