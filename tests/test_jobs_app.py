"""Every Procrastinate App built in one process knows the tasks by their registered names and runs
them. A Blueprint's tasks are renamed into the App that takes them: a second App built from the same
Blueprint had them as `ledgerlink:ledgerlink:…` and failed every job (jobs/registry.py)."""

from __future__ import annotations

import secrets

from sqlalchemy import text

from ledgerlink.jobs.app import make_jobs_app
from tests.support.slow_tasks import MARKS_DDL

EXTRA = ["tests.support.slow_tasks"]


def _ours(app) -> set[str]:
    """Our tasks' names (Procrastinate's own builtin blueprint has the same trouble; we use none of it)."""
    return {name for name in app.tasks if "builtin" not in name}


def _periodic_ids(app) -> set[str]:
    return {task.periodic_id for task in app.periodic_registry.periodic_tasks.values()}


async def test_a_second_app_in_the_process_runs_the_tasks_by_their_names(runtime, database_url) -> None:
    first = make_jobs_app(database_url, extra_task_modules=EXTRA)
    second = make_jobs_app(database_url, extra_task_modules=EXTRA)
    assert "ledgerlink:sync_run" in _ours(second) and _ours(second) == _ours(first)
    assert all(name.startswith("ledgerlink:") and name.count(":") == 1 for name in _ours(second))
    assert second.tasks["ledgerlink:sync_run"].blueprint is second  # deferring through it uses its own app
    assert "schedule" in _periodic_ids(second) and _periodic_ids(second) == _periodic_ids(first)

    async with runtime.sessions.begin() as session:
        await session.execute(text(MARKS_DDL))
    marker, queue = f"two-apps-{secrets.token_hex(4)}", f"test-two-apps-{secrets.token_hex(4)}"
    async with second.open_async():
        await second.configure_task("ledgerlink:test_slow_mark", queue=queue).defer_async(marker=marker, seconds=0)
        await second.run_worker_async(
            queues=[queue], wait=False, install_signal_handlers=False, additional_context={"runtime": runtime}
        )
    async with runtime.sessions() as session:
        phases = (
            await session.execute(text("SELECT phase FROM test_job_marks WHERE marker = :m ORDER BY at"), {"m": marker})
        ).scalars()
        assert list(phases) == ["started", "done"]
