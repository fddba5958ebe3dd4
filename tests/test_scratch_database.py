"""Benchmarks run on scratch databases (ledgerlink.testing.scratch_database): once the block ends,
nothing of them is left, neither the database nor, on the embedded server, its cluster on disk.
Each sync benchmark run used to leave a stopped cluster of up to a gigabyte in /tmp."""

from __future__ import annotations

import os
from pathlib import Path

import psutil
import psycopg
import pytest

from ledgerlink.testing import TEST_URL_ENV, scratch_database


def _embedded_server(data_dir: Path) -> psutil.Process | None:
    """The postmaster of the embedded cluster in `data_dir` (None on LEDGERLINK_TEST_DATABASE_URL's server)."""
    if os.environ.get(TEST_URL_ENV):
        return None
    return psutil.Process(int((data_dir / "pgdata" / "postmaster.pid").read_text().split()[0]))


def _gone(server: psutil.Process | None) -> bool:
    if server is None or not server.is_running():
        return True
    try:
        return server.status() == psutil.STATUS_ZOMBIE  # exited; its parent has not reaped it yet
    except psutil.NoSuchProcess:
        return True


def test_a_scratch_database_leaves_nothing_behind() -> None:
    with scratch_database("ll-scratch-test-") as (url, data_dir):
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE kept_for_the_block (n int)")
            conn.execute("INSERT INTO kept_for_the_block SELECT generate_series(1, 1000)")
        assert data_dir.is_dir()
        server = _embedded_server(data_dir)
    assert not data_dir.exists()
    assert _gone(server)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=3).close()


def test_a_block_that_fails_still_leaves_nothing_behind() -> None:
    with pytest.raises(RuntimeError, match="benchmark failed"), scratch_database("ll-scratch-test-") as (url, data_dir):
        server = _embedded_server(data_dir)
        raise RuntimeError("benchmark failed")
    assert not data_dir.exists()
    assert _gone(server)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=3).close()
