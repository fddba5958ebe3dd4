"""`ledgerlink db …` and `ledgerlink secrets …`."""

from __future__ import annotations

import typer
from cryptography.fernet import Fernet
from sqlalchemy import select

from ledgerlink.cli.context import err, run_with_runtime
from ledgerlink.db import migrate
from ledgerlink.logging_setup import configure_logging
from ledgerlink.models import Integration
from ledgerlink.runtime import Runtime, resolve_database_url
from ledgerlink.settings import get_settings

app = typer.Typer(no_args_is_help=True, help="Database schema")
secrets_app = typer.Typer(no_args_is_help=True, help="Credential encryption keys")


@app.command("upgrade")
def upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply schema migrations (the embedded database is also upgraded by `serve`)."""
    settings = get_settings()
    configure_logging(settings.log_level, "console")
    url = resolve_database_url(settings)
    migrate.upgrade(url, revision)
    err.print(f"schema at {migrate.head_revision() if revision == 'head' else revision}")


@secrets_app.command("generate")
def generate() -> None:
    """Print a new Fernet key (to prepend to LEDGERLINK_SECRET_KEYS before `secrets rotate`)."""
    typer.echo(Fernet.generate_key().decode())


@secrets_app.command("rotate")
def rotate() -> None:
    """Re-encrypt every stored credential under the first key of LEDGERLINK_SECRET_KEYS."""

    async def body(runtime: Runtime) -> int:
        count = 0
        async with runtime.sessions.begin() as session:
            rows = (await session.execute(select(Integration).with_for_update())).scalars()
            for integration in rows:
                integration.credentials_encrypted = runtime.secrets.rotate(integration.credentials_encrypted)
                count += 1
        return count

    count = run_with_runtime(body)
    err.print(f"re-encrypted the credentials of {count} integration(s) under the first key")
