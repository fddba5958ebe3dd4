"""Entry point: `ledgerlink …`."""

from __future__ import annotations

import typer

from ledgerlink.cli import access_cmds, db_cmds, sandbox_cmds, server_cmds, sync_cmds

app = typer.Typer(no_args_is_help=True, add_completion=False, help="ledgerlink: commerce integration hub")
server_cmds.register(app)
app.command()(sandbox_cmds.sandbox)
app.command()(sync_cmds.sync)
app.add_typer(db_cmds.app, name="db")
app.add_typer(db_cmds.secrets_app, name="secrets")
app.add_typer(access_cmds.workspaces_app, name="workspaces")
app.add_typer(access_cmds.keys_app, name="keys")
app.add_typer(access_cmds.clients_app, name="clients")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
