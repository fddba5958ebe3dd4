"""The CLI against the test database, run as a user would (a subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

from ledgerlink.integrations.service import decrypt_credentials
from ledgerlink.models import Integration
from ledgerlink.secrets_box import SecretBox
from tests.conftest import ROOT
from tests.helpers import setup_body

pytestmark = pytest.mark.slow


def cli(database_url: str, keys: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "LEDGERLINK_SECRET_KEYS": keys}
    return subprocess.run(
        [sys.executable, "-m", "ledgerlink", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


async def test_workspace_and_key_creation_print_only_what_a_script_captures(client, database_url, secret_key):
    name = f"cli-{os.getpid()}-{id(client)}"
    ws = cli(database_url, secret_key, "workspaces", "create", name)
    assert ws.returncode == 0, ws.stderr
    assert ws.stdout.strip().startswith("ws_") and len(ws.stdout.strip().splitlines()) == 1

    made = cli(database_url, secret_key, "keys", "create", "--workspace", name, "--scopes", "read:integrations")
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    assert made.stdout == key + "\n" and key.startswith("llk_")
    assert (await client.get("/v1/integrations", headers={"X-API-Key": key})).status_code == 200

    listing = cli(database_url, secret_key, "keys", "list", "--workspace", name)
    assert listing.returncode == 0 and key not in listing.stdout + listing.stderr

    bad = cli(database_url, secret_key, "keys", "create", "--workspace", name, "--scopes", "read:nothing")
    assert bad.returncode == 1 and "unknown scope" in bad.stderr and bad.stdout == ""


async def test_secrets_rotate_reencrypts_under_the_first_key(client, tenant, runtime, database_url, secret_key):
    iid = (await client.post("/v1/integrations/shopify/setup", json=setup_body(), headers=tenant.headers)).json()[
        "data"
    ]["id"]
    new_key = Fernet.generate_key().decode()
    result = cli(database_url, f"{new_key},{secret_key}", "secrets", "rotate")
    assert result.returncode == 0, result.stderr
    assert "re-encrypted" in result.stderr
    only_new = SecretBox([new_key])
    async with runtime.sessions() as session:
        integration = await session.get(Integration, iid)
        creds = decrypt_credentials(only_new, integration).plain()
    assert creds["accessToken"] == setup_body()["credentials"]["accessToken"]
    # The test runtime still holds the old key only: rotate back so other tests keep decrypting.
    back = cli(database_url, f"{secret_key},{new_key}", "secrets", "rotate")
    assert back.returncode == 0, back.stderr


def test_no_database_url_without_secret_keys_refuses_to_start(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"LEDGERLINK_SECRET_KEYS"}}
    env["DATABASE_URL"] = "postgresql://nobody@127.0.0.1:1/none"
    result = subprocess.run(
        [sys.executable, "-m", "ledgerlink", "keys", "list"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "LEDGERLINK_SECRET_KEYS" in result.stderr


async def test_sync_command_runs_a_sync_with_progress_and_prints_the_counters(
    client, runtime, sandbox, database_url, secret_key
):
    from tests.conftest import make_tenant
    from tests.sync_support import setup_store

    tenant = await make_tenant(runtime)
    iid = await setup_store(client, tenant.headers, "woocommerce", sandbox.credentials("woocommerce"), name="cli sync")
    result = cli(database_url, secret_key, "sync", iid, "customers", "--full", "--batch", "50")
    assert result.returncode == 0, result.stderr
    assert "customersCreated" in result.stderr and "succeeded" in result.stderr
    runs = (await client.get(f"/v1/sync-runs?integrationId={iid}", headers=tenant.headers)).json()["data"]
    assert runs[0]["trigger"] == "cli" and runs[0]["customersCreated"] > 0 and runs[0]["state"] == "succeeded"
    bad = cli(database_url, secret_key, "sync", iid, "customers", "--from", "not-a-date")
    assert bad.returncode != 0 and "not a date" in bad.stderr


async def test_secrets_rotate_changes_nothing_when_a_value_cannot_be_opened(tenant, runtime, database_url, secret_key):
    from ledgerlink.ids import new_id

    iid = new_id("int")
    async with runtime.sessions.begin() as session:
        session.add(
            Integration(
                id=iid,
                workspace_id=tenant.workspace_id,
                provider="shopify",
                name="sealed with a lost key",
                status="active",
                credentials_encrypted=SecretBox([Fernet.generate_key().decode()]).encrypt_json({"a": "b"}),
            )
        )
    try:
        result = cli(database_url, f"{Fernet.generate_key().decode()},{secret_key}", "secrets", "rotate")
        assert result.returncode == 1 and f"integrations.credentials_encrypted of {iid}" in result.stderr
        assert "nothing was re-encrypted" in result.stderr
    finally:
        async with runtime.sessions.begin() as session:
            await session.delete(await session.get(Integration, iid))
