"""Schema migrations (Alembic), including Procrastinate's tables, and the check that they are current."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool
from sqlalchemy.engine import Connection

from ledgerlink.db.urls import sqlalchemy_url

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """What autogenerate compares: not Procrastinate's tables, which its own schema creates (revision 0001)."""
    return not (type_ == "table" and name is not None and name.startswith("procrastinate_"))


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    heads = ScriptDirectory.from_config(alembic_config("postgresql://unused/x")).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"migrations have {len(heads)} heads; merge them")
    return heads[0]


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the schema to `revision`; serialised by an advisory lock so concurrent starts are safe."""
    engine = create_engine(sqlalchemy_url(database_url), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT pg_advisory_lock(7243001)")
            try:
                cfg = alembic_config(database_url)
                cfg.attributes["connection"] = conn
                before = current_revision(conn)
                command.upgrade(cfg, revision)
                conn.commit()
                after = current_revision(conn)
                if before != after:
                    log.info("database migrated", extra={"from": before, "to": after})
            finally:
                conn.exec_driver_sql("SELECT pg_advisory_unlock(7243001)")
                conn.commit()
    finally:
        engine.dispose()
