"""`ledgerlink db …` and `ledgerlink secrets …`."""

from __future__ import annotations

import typer
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select

from ledgerlink.cli.context import err, run_with_runtime
from ledgerlink.db import migrate
from ledgerlink.logging_setup import configure_logging
from ledgerlink.models import Integration, WebhookSubscription
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


# Every column that holds a Fernet token, and the table it is in.
ENCRYPTED_COLUMNS = (
    (Integration, "credentials_encrypted"),
    (Integration, "inbound_token_encrypted"),
    (WebhookSubscription, "secrets_encrypted"),
)


@secrets_app.command("rotate")
def rotate() -> None:
    """Re-encrypt every stored secret (credentials, inbound tokens, webhook signing secrets) under the
    first key of LEDGERLINK_SECRET_KEYS. All or nothing: a value none of the keys opens stops it."""

    async def body(runtime: Runtime) -> int:
        count = 0
        unreadable: list[str] = []
        async with runtime.sessions.begin() as session:
            for model, column in ENCRYPTED_COLUMNS:
                for row in (await session.execute(select(model).with_for_update())).scalars():
                    token = getattr(row, column)
                    if token is None:
                        continue
                    try:
                        setattr(row, column, runtime.secrets.rotate(token))
                    except InvalidToken:
                        unreadable.append(f"{model.__tablename__}.{column} of {row.id}")
                        continue
                    count += 1
            if unreadable:  # leaving the block by raising rolls every change back
                err.print(
                    "[red]nothing was re-encrypted: no key in LEDGERLINK_SECRET_KEYS opens[/red] "
                    + ", ".join(unreadable[:20])
                    + (f" and {len(unreadable) - 20} more" if len(unreadable) > 20 else "")
                )
                raise typer.Exit(1)
        return count

    count = run_with_runtime(body)
    err.print(f"re-encrypted {count} stored secret(s) under the first key")
