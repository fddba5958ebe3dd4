"""Process set-up: the generated key file, readiness on an unmigrated database, database URLs."""

from __future__ import annotations

import stat

import httpx
import psycopg
from cryptography.fernet import Fernet
from hypothesis import given
from hypothesis import strategies as st

from ledgerlink.api.app import create_app
from ledgerlink.db.urls import libpq_url, sqlalchemy_url
from ledgerlink.runtime import build_runtime
from ledgerlink.secrets_box import SecretBox, load_or_create_key_file
from ledgerlink.testing import create_test_database, drop_test_database
from tests.conftest import TEST_DATA_DIR


def test_embedded_key_file_is_created_once_owner_only(tmp_path):
    key = load_or_create_key_file(tmp_path)
    assert stat.S_IMODE((tmp_path / "secret.key").stat().st_mode) == 0o600
    assert load_or_create_key_file(tmp_path) == key
    Fernet(key.encode())  # a valid key


@given(st.dictionaries(st.text(max_size=10), st.text(max_size=30), max_size=5))
def test_secret_box_round_trips_and_rotates(doc):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = SecretBox([old]).encrypt_json(doc)
    both = SecretBox([new, old])
    assert both.decrypt_json(token) == doc and not both.is_current(token)
    rotated = both.rotate(token)
    assert SecretBox([new]).decrypt_json(rotated) == doc


def test_urls_are_spelled_for_each_driver():
    assert sqlalchemy_url("postgres://u:p@h:5/db") == "postgresql+psycopg://u:p@h:5/db"
    assert libpq_url("postgresql+psycopg://u:p@h/db?host=/tmp/x") == "postgresql://u:p@h/db?host=%2Ftmp%2Fx"


async def test_readyz_is_503_until_the_schema_is_current(settings):
    url = create_test_database(TEST_DATA_DIR)
    try:
        runtime = build_runtime(settings, url)
        transport = httpx.ASGITransport(app=create_app(runtime), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            r = await client.get("/readyz")
            assert r.status_code == 503 and r.json()["error"]["code"] == "NOT_READY"
            assert (await client.get("/healthz")).status_code == 200
        await runtime.aclose()
    finally:
        drop_test_database(url)
    with psycopg.connect(settings.database_url) as conn:  # the shared test database is untouched
        assert conn.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)
