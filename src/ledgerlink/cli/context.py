"""Running a CLI command's async body against a runtime built from the environment."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
from rich.console import Console

from ledgerlink import event_loop
from ledgerlink.errors import LedgerlinkError
from ledgerlink.logging_setup import configure_logging
from ledgerlink.runtime import Runtime
from ledgerlink.secrets_box import SecretsConfigError
from ledgerlink.settings import get_settings

T = TypeVar("T")

# Human output goes to stderr, so stdout carries only what a script may capture (a key, JSON).
err = Console(stderr=True)


def run_with_runtime(body: Callable[[Runtime], Awaitable[T]]) -> T:
    from ledgerlink.api.app import start_runtime

    settings = get_settings()
    configure_logging(settings.log_level if settings.log_level != "INFO" else "WARNING", "console")

    async def main() -> T:
        runtime = await asyncio.to_thread(start_runtime, settings)
        try:
            return await body(runtime)
        finally:
            await runtime.aclose()

    try:
        return event_loop.run(main())
    except (LedgerlinkError, SecretsConfigError) as exc:
        code = getattr(exc, "code", "CONFIGURATION_ERROR")
        err.print(f"[red]error[/red] {code}: {exc}")
        raise typer.Exit(1) from None
