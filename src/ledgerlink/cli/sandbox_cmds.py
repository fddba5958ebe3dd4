"""`ledgerlink sandbox`: the simulated platforms on one local port."""

from __future__ import annotations

import asyncio
import json
import logging

import typer
import uvicorn

from ledgerlink import event_loop
from ledgerlink.cli.context import err
from ledgerlink.heap import tune_for_long_running
from ledgerlink.sandbox.delivery import DEFAULT_TIME_SCALE, Dispatcher
from ledgerlink.sandbox.server import PLATFORMS, announcement, build_app, build_platforms


async def serve_sandbox(
    host: str,
    port: int,
    orders: int,
    seed: int,
    providers: list[str] | None,
    malformed_every: int = 997,
    webhook_time_scale: float = DEFAULT_TIME_SCALE,
) -> None:
    dispatcher = Dispatcher(time_scale=webhook_time_scale)
    platforms = build_platforms(orders, seed, providers, malformed_every, dispatcher)
    tune_for_long_running()  # the generated stores live as long as the process, like a server's app
    config = uvicorn.Config(
        build_app(platforms), host=host, port=port, log_level="warning", access_log=False, lifespan="off"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            await task  # re-raises why it could not start (port taken, …)
            return
        await asyncio.sleep(0.05)
    bound = server.servers[0].sockets[0].getsockname()[1] if server.servers else port
    typer.echo(json.dumps(announcement(platforms, f"http://{host}:{bound}")), nl=True)
    err.print(f"sandbox stores listening on http://{host}:{bound} ({', '.join(platforms)}); Ctrl-C stops them")
    try:
        await task
    finally:
        await dispatcher.aclose()


def sandbox(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on"),
    port: int = typer.Option(8900, help="Port (0: any free port; the JSON line says which)"),
    orders: int = typer.Option(2000, min=0, help="Orders in each store"),
    seed: int = typer.Option(1, help="Seed of the generated data"),
    providers: str = typer.Option(",".join(PLATFORMS), help="Comma-separated platforms to run"),
    malformed_every: int = typer.Option(997, min=0, help="Every Nth order is served broken (0: none)"),
    webhook_time_scale: float = typer.Option(
        DEFAULT_TIME_SCALE,
        min=0,
        help="Multiplies each platform's real webhook retry delays (0.001: BigCommerce's 48 hours in ~3 min)",
    ),
) -> None:
    """Run simulated Shopify, WooCommerce and BigCommerce stores. Prints one JSON line once they listen:
    {provider: {"credentials": …, "counts": …}}, the credentials being exactly what setup accepts.
    Webhooks registered with a store are really sent, signed and retried as upstream does."""
    logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
    chosen = [p.strip() for p in providers.split(",") if p.strip()]
    unknown = sorted(set(chosen) - set(PLATFORMS))
    if unknown:
        err.print(f"[red]error[/red] unknown platform(s): {', '.join(unknown)}; known: {', '.join(PLATFORMS)}")
        raise typer.Exit(2)
    event_loop.run(serve_sandbox(host, port, orders, seed, chosen, malformed_every, webhook_time_scale))
