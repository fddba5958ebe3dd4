"""`ledgerlink sync INTEGRATION_ID STREAM`: run a sync here and watch it, with a progress bar."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy import select

from ledgerlink.cli.context import err, run_with_runtime
from ledgerlink.models import Integration, SyncRun
from ledgerlink.runtime import Runtime
from ledgerlink.sync import runs
from ledgerlink.sync.engine import execute_run, until_finished
from ledgerlink.sync.views import run_view


def _day(value: str | None, end: bool) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"not a date: {value!r} (use YYYY-MM-DD or an ISO 8601 time)") from None
    if len(value) == 10:
        return datetime.combine(date.fromisoformat(value), time.max if end else time.min, UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def _follow(runtime: Runtime, run_id: str, done: asyncio.Event) -> None:
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>8.0f} rec/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=False) as progress:
        task = progress.add_task("sync", total=None, rate=0.0)
        while True:
            async with runtime.sessions() as session:
                run = await session.get(SyncRun, run_id)
            if run is not None:
                elapsed = (datetime.now(UTC) - run.started_at).total_seconds() if run.started_at else 0
                progress.update(
                    task,
                    description=f"{run.stream} ({run.status})",
                    completed=run.processed,
                    total=run.to_process,
                    rate=run.processed / elapsed if elapsed > 0 else 0.0,
                )
            if done.is_set():
                return
            await asyncio.sleep(0.5)


def sync(
    integration_id: str = typer.Argument(..., help="int_…"),
    stream: str = typer.Argument(..., help="orders, products, customers, locations or inventory"),
    from_: str | None = typer.Option(None, "--from", help="Only records updated since (YYYY-MM-DD or ISO time)"),
    to: str | None = typer.Option(None, "--to", help="Only records updated until"),
    full: bool = typer.Option(False, "--full", help="Read everything, not only what changed since the last sync"),
    batch: int = typer.Option(100, min=1, max=250, help="Records per page"),
) -> None:
    """Run a sync in this process with a progress bar, then print its counters and item errors."""

    async def body(runtime: Runtime) -> dict[str, object]:
        async with runtime.sessions() as session:
            integration = (
                await session.execute(select(Integration).where(Integration.id == integration_id))
            ).scalar_one_or_none()
            if integration is None:
                err.print(f"[red]error[/red] no integration {integration_id}")
                raise typer.Exit(1)
            run = await runs.start_run(
                session,
                integration.workspace_id,
                integration.id,
                runs.RunRequest(
                    stream=stream,
                    sync_type="full" if full or from_ else "incremental",
                    since=_day(from_, False),
                    until=_day(to, True),
                    page_size=batch,
                    trigger="cli",
                ),
            )
        done = asyncio.Event()
        follower = asyncio.create_task(_follow(runtime, run.id, done))
        try:
            if await execute_run(runtime, run.id) in ("busy", "shared"):
                await until_finished(runtime, run.id)  # other workers hold the rest of it
        finally:
            done.set()
            await follower
        async with runtime.sessions() as session:
            final = await session.get(SyncRun, run.id)
            return run_view(final, await runs.recent_errors(session, run.id))

    view = run_with_runtime(body)
    table = Table("counter", "value", title=f"sync {view['syncId']}: {view['state']}")
    for key, value in view.items():
        if key not in ("recentErrors", "window") and value is not None:
            table.add_row(key, str(value))
    err.print(table)
    for error in view["recentErrors"]:  # type: ignore[union-attr]
        err.print(f"[yellow]{error['type']}[/yellow] {error['externalId']}: {error['message']}")
    if view["state"] == "failed":
        raise typer.Exit(1)
