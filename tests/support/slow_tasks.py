"""A task for the worker-death tests: marks its start, works for a while, marks its end."""

from __future__ import annotations

import asyncio
import os

from procrastinate.job_context import JobContext
from sqlalchemy import text

from ledgerlink.jobs.registry import runtime_of, tasks

MARKS_DDL = "CREATE TABLE IF NOT EXISTS test_job_marks (marker text, phase text, pid int, at timestamptz DEFAULT now())"


async def _mark(context: JobContext, marker: str, phase: str) -> None:
    async with runtime_of(context).sessions.begin() as session:
        await session.execute(
            text("INSERT INTO test_job_marks (marker, phase, pid) VALUES (:m, :p, :pid)"),
            {"m": marker, "p": phase, "pid": os.getpid()},
        )


@tasks.task(name="test_slow_mark", pass_context=True, queue="test")
async def slow_mark(context: JobContext, marker: str, seconds: float) -> None:
    await _mark(context, marker, "started")
    await asyncio.sleep(seconds)
    await _mark(context, marker, "done")
