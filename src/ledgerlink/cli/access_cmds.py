"""`ledgerlink workspaces|keys|clients …`: tenancy and credentials for the API."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from ledgerlink.auth import access
from ledgerlink.cli.context import err, run_with_runtime
from ledgerlink.runtime import Runtime

workspaces_app = typer.Typer(no_args_is_help=True, help="Workspaces (tenants)")
keys_app = typer.Typer(no_args_is_help=True, help="API keys")
clients_app = typer.Typer(no_args_is_help=True, help="OAuth 2.0 client-credentials clients")


def _scopes(raw: str) -> list[str]:
    return [s.strip() for s in raw.split(",") if s.strip()]


@workspaces_app.command("create")
def workspaces_create(name: str) -> None:
    """Create a workspace; prints its id."""

    async def body(runtime: Runtime) -> str:
        async with runtime.sessions() as session:
            return (await access.create_workspace(session, name)).id

    typer.echo(run_with_runtime(body))


@keys_app.command("create")
def keys_create(
    workspace: str = typer.Option(..., help="Workspace name"),
    scopes: str = typer.Option(..., help="Comma-separated, e.g. read:orders,write:integrations"),
    name: str = typer.Option("cli", help="A label for the key"),
) -> None:
    """Create an API key. The key is printed once, alone on stdout; it cannot be shown again."""

    async def body(runtime: Runtime) -> str:
        async with runtime.sessions() as session:
            ws = await access.workspace_by_name(session, workspace)
            issued = await access.create_api_key(session, ws.id, _scopes(scopes), name)
            err.print(f"created {issued.key.id} in {workspace} with {', '.join(issued.key.scopes)}")
            return issued.secret

    typer.echo(run_with_runtime(body))


@keys_app.command("list")
def keys_list(workspace: str | None = typer.Option(None, help="Only this workspace")) -> None:
    """List API keys (never the keys themselves)."""

    async def body(runtime: Runtime) -> None:
        async with runtime.sessions() as session:
            ws_id = (await access.workspace_by_name(session, workspace)).id if workspace else None
            keys, _ = await access.list_api_keys(session, ws_id, 0, 10_000)
        table = Table("id", "workspace", "name", "prefix", "scopes", "last used", "revoked")
        for k in keys:
            table.add_row(
                k.id,
                k.workspace_id,
                k.name,
                k.prefix + "…",
                ",".join(k.scopes),
                str(k.last_used_at or ""),
                str(k.revoked_at or ""),
            )
        err.print(table)

    run_with_runtime(body)


@keys_app.command("revoke")
def keys_revoke(key_id: str) -> None:
    """Revoke an API key; requests with it fail from now on."""

    async def body(runtime: Runtime) -> None:
        async with runtime.sessions() as session:
            await access.revoke_api_key(session, key_id)
        err.print(f"revoked {key_id}")

    run_with_runtime(body)


@clients_app.command("create")
def clients_create(
    workspace: str = typer.Option(..., help="Workspace name"),
    scopes: str = typer.Option(..., help="Scopes the client may request"),
    name: str = typer.Option("cli", help="A label for the client"),
) -> None:
    """Create an OAuth client; prints {"clientId", "clientSecret"} as JSON (the secret only this once)."""

    async def body(runtime: Runtime) -> dict[str, str]:
        async with runtime.sessions() as session:
            ws = await access.workspace_by_name(session, workspace)
            issued = await access.create_oauth_client(session, ws.id, _scopes(scopes), name)
            return {"clientId": issued.client.client_id, "clientSecret": issued.secret}

    typer.echo(json.dumps(run_with_runtime(body)))
