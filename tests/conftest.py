"""Fixtures: one real PostgreSQL database per test session, a runtime on it, and an API client.

Tests isolate by workspace (every record belongs to one), so they share the database without
interfering and without rolling back.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from ledgerlink.api.app import create_app
from ledgerlink.auth import access
from ledgerlink.db import migrate
from ledgerlink.runtime import Runtime, build_runtime
from ledgerlink.settings import Settings
from ledgerlink.testing import create_test_database, drop_test_database

# Every process the tests start (and this one) may call upstreams on loopback only: the sandbox.
os.environ["LEDGERLINK_ALLOWED_PRIVATE_NETWORKS"] = "127.0.0.0/8"
os.environ["LEDGERLINK_UPSTREAM_PUBLIC"] = "false"

ROOT = Path(__file__).resolve().parent.parent
TEST_DATA_DIR = ROOT / ".ledgerlink-test"


def _specs_dir() -> Path:
    """The upstream platforms' official API descriptions: shared/specs beside the checkout (as CI lays
    it out), or the workplace's copy, or LEDGERLINK_SPECS_DIR."""
    candidates = [os.environ.get("LEDGERLINK_SPECS_DIR"), ROOT.parent / "shared" / "specs", "/work/shared/specs"]
    for candidate in filter(None, candidates):
        if Path(candidate).is_dir():
            return Path(candidate)
    raise RuntimeError(f"no API descriptions found; looked in {candidates}")


SPECS_DIR = _specs_dir()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    url = create_test_database(TEST_DATA_DIR)
    migrate.upgrade(url)
    yield url
    if not os.environ.get("LEDGERLINK_KEEP_TEST_DB"):
        drop_test_database(url)


@pytest.fixture(scope="session")
def secret_key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture(scope="session")
def settings(database_url: str, secret_key: str) -> Settings:
    return Settings(
        DATABASE_URL=database_url,
        secret_keys=secret_key,
        data_dir=TEST_DATA_DIR,
        rate_limit_per_minute=100_000,
        rate_limit_burst=10_000,
        log_format="console",
        webhook_retry_scale=0.0001,  # the outbound retry schedule: its day and a half in about 5 s
    )


@pytest.fixture(scope="session")
async def runtime(settings: Settings, database_url: str) -> AsyncIterator[Runtime]:
    rt = build_runtime(settings, database_url)
    yield rt
    await rt.aclose()


@pytest.fixture(scope="session")
def app(runtime: Runtime):  # type: ignore[no-untyped-def]
    return create_app(runtime)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://ledgerlink.test") as c:
        yield c


@dataclass
class Tenant:
    workspace_id: str
    name: str
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.key}


async def make_tenant(runtime: Runtime, scopes: list[str] | None = None) -> Tenant:
    async with runtime.sessions() as session:
        workspace = await access.create_workspace(session, f"ws-{secrets.token_hex(6)}")
        issued = await access.create_api_key(session, workspace.id, scopes or ["admin:all"], "test")
    return Tenant(workspace.id, workspace.name, issued.secret)


@pytest.fixture
async def tenant(runtime: Runtime) -> Tenant:
    """A fresh workspace with an admin:all key."""
    return await make_tenant(runtime)


@pytest.fixture
def key_for(runtime: Runtime):  # type: ignore[no-untyped-def]
    """Issue another key in a tenant's workspace with the given scopes."""

    async def issue(tenant: Tenant, scopes: list[str]) -> str:
        async with runtime.sessions() as session:
            return (await access.create_api_key(session, tenant.workspace_id, scopes, "scoped")).secret

    return issue


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


LIVE_SERVER_LOG = TEST_DATA_DIR / "live_server.log"


@pytest.fixture(scope="session")
def live_server(database_url: str, secret_key: str) -> Iterator[str]:
    """`ledgerlink serve` in its own process on a real socket, against the test database."""
    import subprocess
    import sys
    import time

    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LEDGERLINK_SECRET_KEYS": secret_key,
        "LEDGERLINK_LOG_LEVEL": "WARNING",
        "LEDGERLINK_RATE_LIMIT_PER_MINUTE": "1000000",
        "LEDGERLINK_RATE_LIMIT_BURST": "100000",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "ledgerlink", "serve", "--port", str(port), "--worker-concurrency", "0"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=LIVE_SERVER_LOG.open("w"),  # a file: an unread pipe fills up and blocks the server
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"server did not start: {LIVE_SERVER_LOG.read_text()[-3000:]}")
        time.sleep(0.2)
    yield base
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()


@dataclass
class Sandbox:
    """`ledgerlink sandbox` running in its own process, as the product runs it."""

    base_url: str
    stores: dict[str, dict]

    def credentials(self, provider: str) -> dict:
        return dict(self.stores[provider]["credentials"])

    def control(self, provider: str, method: str = "GET", path: str = "/_sandbox/faults", **kwargs) -> dict:
        response = httpx.request(method, f"{self.base_url}/{provider}{path}", timeout=10, **kwargs)
        response.raise_for_status()
        return response.json()

    def faults(self, provider: str, **changes) -> dict:
        return self.control(provider, "POST", json=changes)

    def reset(self, provider: str) -> dict:
        return self.control(provider, "DELETE")


SANDBOX_ORDERS = 600
SANDBOX_MALFORMED_EVERY = 97  # so 6 of the 600 orders are served broken
SANDBOX_LOG = TEST_DATA_DIR / "sandbox.log"  # a file, not a pipe nobody reads (a full pipe blocks the server)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    import json
    import subprocess
    import sys

    providers = os.environ.get("LEDGERLINK_TEST_SANDBOX_PROVIDERS", "shopify,woocommerce,bigcommerce")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ledgerlink",
            "sandbox",
            "--port",
            "0",
            "--orders",
            str(SANDBOX_ORDERS),
            "--seed",
            "7",
            "--providers",
            providers,
            "--malformed-every",
            str(SANDBOX_MALFORMED_EVERY),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=SANDBOX_LOG.open("w"),
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise RuntimeError(f"the sandbox did not start: {SANDBOX_LOG.read_text()[-3000:]}")
    stores = json.loads(line)
    base = next(iter(stores.values()))["credentials"]["apiBaseUrl"].rsplit("/", 1)[0]
    yield Sandbox(base, stores)
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
