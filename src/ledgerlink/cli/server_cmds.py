"""`ledgerlink serve`, `worker` and `demo`."""

from __future__ import annotations

import typer
import uvicorn

from ledgerlink.cli.context import err, run_with_runtime
from ledgerlink.logging_setup import configure_logging
from ledgerlink.runtime import Runtime
from ledgerlink.settings import get_settings


def _serve(host: str, port: int, concurrency: int) -> None:
    from ledgerlink.api.app import create_app

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    app = create_app(settings=settings, run_worker=concurrency > 0, worker_concurrency=concurrency)
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False, proxy_headers=False)


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on"),
    port: int = typer.Option(8000, help="Port to listen on"),
    worker_concurrency: int = typer.Option(4, help="Jobs run at once by the in-process worker (0: none)"),
) -> None:
    """Run the API and a worker in one process (the embedded database is started and migrated)."""
    _serve(host, port, worker_concurrency)


def worker(
    concurrency: int = typer.Option(4, min=1, help="Jobs run at once"),
    queues: str = typer.Option("", help="Comma-separated queues to serve (default: all)"),
) -> None:
    """Run a worker only: scale out on other machines against the same DATABASE_URL."""
    from ledgerlink.jobs.worker import run_worker

    settings = get_settings()

    async def body(runtime: Runtime) -> None:
        configure_logging(settings.log_level, settings.log_format)
        await run_worker(runtime, concurrency=concurrency, queues=[q for q in queues.split(",") if q] or None)

    run_with_runtime(body)


def demo(
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000),
) -> None:
    """Start the hub on the embedded database with a demo workspace and print an admin key to try it."""
    from ledgerlink.auth import access
    from ledgerlink.errors import NotFound

    async def body(runtime: Runtime) -> str:
        async with runtime.sessions() as session:
            try:
                workspace = await access.workspace_by_name(session, "demo")
            except NotFound:
                workspace = await access.create_workspace(session, "demo")
            return (await access.create_api_key(session, workspace.id, ["admin:all"], "demo")).secret

    key = run_with_runtime(body)
    err.print(f"[bold]ledgerlink demo[/bold] on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    err.print(f"admin key for workspace 'demo': [green]{key}[/green]")
    err.print(f"try: curl -H 'X-API-Key: {key}' http://{host}:{port}/v1/integrations/available")
    _serve(host, port, 4)


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(worker)
    app.command()(demo)


__all__ = ["register"]
