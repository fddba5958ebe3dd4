"""`ledgerlink serve`, `worker` and `demo`."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from typing import Any

import typer
import uvicorn
from sqlalchemy import select

from ledgerlink.cli.context import err, run_with_runtime
from ledgerlink.logging_setup import configure_logging
from ledgerlink.runtime import Runtime
from ledgerlink.settings import get_settings, reset_settings_cache


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
    from ledgerlink.heap import tune_for_long_running
    from ledgerlink.jobs.worker import run_worker

    settings = get_settings()

    async def body(runtime: Runtime) -> None:
        configure_logging(settings.log_level, settings.log_format)
        tune_for_long_running()  # as the server does: jobs' collections then skip the start-up heap
        await run_worker(runtime, concurrency=concurrency, queues=[q for q in queues.split(",") if q] or None)

    run_with_runtime(body)


def _start_sandbox(port: int, orders: int) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "ledgerlink", "sandbox", "--port", str(port), "--orders", str(orders)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise typer.Exit(f"the sandbox stores did not start (is port {port} taken?)")
    return proc, json.loads(line)


async def _demo_workspace(runtime: Runtime, stores: dict[str, Any]) -> tuple[str, list[str]]:
    """The demo workspace, an admin key, one integration per sandbox store, and their first syncs."""
    from ledgerlink.auth import access
    from ledgerlink.connectors.loading import connector_class
    from ledgerlink.connectors.registry import get_provider
    from ledgerlink.errors import Conflict, NotFound
    from ledgerlink.integrations import service
    from ledgerlink.models import Integration
    from ledgerlink.sync import runs

    async with runtime.sessions() as session:
        try:
            workspace = await access.workspace_by_name(session, "demo")
        except NotFound:
            workspace = await access.create_workspace(session, "demo")
        workspace_id = workspace.id
        key = (await access.create_api_key(session, workspace_id, ["admin:all"], "demo")).secret
    lines = []
    for provider, store in stores.items():
        if get_provider(provider).connector is None or not get_provider(provider).features:
            continue  # no connector, or one whose records the hub cannot store yet (it says so in the catalog)
        name = f"Demo {get_provider(provider).name}"
        async with runtime.sessions() as session:
            existing = (
                await session.execute(
                    select(Integration).where(Integration.workspace_id == workspace_id, Integration.name == name)
                )
            ).scalar_one_or_none()
            if existing is None:
                integration = await service.setup_integration(
                    session, runtime.secrets, workspace_id, provider, service.SetupInput(name, store["credentials"])
                )
            else:
                integration = await service.update_integration(
                    session,
                    runtime.secrets,
                    workspace_id,
                    existing.id,
                    service.UpdateInput(credentials=store["credentials"]),
                )
            # A plain id: a run refused below rolls the session back, which expires the loaded rows.
            integration_id = integration.id
            available = connector_class(get_provider(provider)).stream_names
            # Catalogue and places first, so orders link to them; then whatever else the connector has.
            first = [s for s in ("locations", "products", "customers", "orders", "inventory") if s in available]
            for stream in first + [s for s in available if s not in first]:
                with contextlib.suppress(Conflict):  # already syncing since an earlier start
                    await runs.start_run(
                        session, workspace_id, integration_id, runs.RunRequest(stream=stream, trigger="cli")
                    )
        lines.append(f"{integration_id}  {name}  ({store['counts']['orders']} orders upstream)")
    return key, lines


def demo(
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000),
    sandbox_port: int = typer.Option(8900, help="Where the sandbox stores listen"),
    orders: int = typer.Option(2000, help="Orders in each sandbox store"),
) -> None:
    """The hub on the embedded database, sandbox stores beside it, an integration per store syncing
    in the background, and an admin key to look at it all with."""
    # The sandbox stores listen on loopback, which upstream calls may not reach by default.
    allowed = os.environ.get("LEDGERLINK_ALLOWED_PRIVATE_NETWORKS", "")
    os.environ["LEDGERLINK_ALLOWED_PRIVATE_NETWORKS"] = ",".join(filter(None, [allowed, "127.0.0.0/8"]))
    reset_settings_cache()
    sandbox, stores = _start_sandbox(sandbox_port, orders)
    try:
        key, lines = run_with_runtime(lambda runtime: _demo_workspace(runtime, stores))
        base = f"http://{host}:{port}"
        err.print(f"[bold]ledgerlink demo[/bold] on {base}  (API docs: {base}/docs)")
        err.print(f"admin key for workspace 'demo': [green]{key}[/green]")
        for line in lines:
            err.print(f"  syncing {line}")
        err.print(f"watch:  curl -H 'X-API-Key: {key}' {base}/v1/sync-runs")
        err.print(f"orders: curl -H 'X-API-Key: {key}' '{base}/v1/orders?limit=5'")
        _serve(host, port, 4)
    finally:
        sandbox.terminate()
        sandbox.wait(10)


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(worker)
    app.command()(demo)


__all__ = ["register"]
