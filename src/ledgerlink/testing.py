"""Test support shipped with the package: a throwaway database on the embedded or a given server."""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

from ledgerlink.db.embedded import ensure_database, start_embedded, stop_embedded
from ledgerlink.db.urls import libpq_url, with_database

TEST_URL_ENV = "LEDGERLINK_TEST_DATABASE_URL"


def create_test_database(data_dir: Path, name: str | None = None) -> str:
    """A new, empty database for one test session; on LEDGERLINK_TEST_DATABASE_URL's server if set."""
    name = name or f"ledgerlink_test_{secrets.token_hex(4)}"
    server_url = os.environ.get(TEST_URL_ENV)
    if server_url:
        ensure_database(libpq_url(server_url), name)
        url = with_database(libpq_url(server_url), name)
    else:
        url = start_embedded(data_dir, name)
    with psycopg.connect(url, autocommit=True) as conn:
        # Tests need no durability across a power cut; skipping the fsync wait keeps them fast.
        conn.execute(sql.SQL("ALTER DATABASE {} SET synchronous_commit = off").format(sql.Identifier(name)))
    return url


def drop_test_database(url: str) -> None:
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    admin = with_database(url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def scratch_database(prefix: str) -> Iterator[tuple[str, Path]]:
    """A database and a data directory that last for the block (benchmarks): afterwards the database is
    dropped, the embedded server made for it is stopped, and the directory with its cluster is removed."""
    data_dir = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        url = create_test_database(data_dir)
        try:
            yield url, data_dir
        finally:
            if os.environ.get(TEST_URL_ENV):
                drop_test_database(url)
            else:
                stop_embedded(data_dir)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
