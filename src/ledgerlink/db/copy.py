"""COPY into a table inside a SQLAlchemy session's transaction, and upserts staged through COPY.

A sync page writes thousands of rows. Binding them as parameters of one multi-row INSERT costs a
statement compile and a huge parse per page; COPY streams them in PostgreSQL's own format instead.
Plain inserts COPY straight into their table; upserts COPY into a per-session temporary twin of the
table (no WAL, emptied at commit) and move the rows with one INSERT … SELECT … ON CONFLICT.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.types.json import Jsonb
from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

FROZEN_ON_UPDATE = frozenset({"id", "workspace_id", "created_at"})


async def _driver(session: AsyncSession) -> AsyncConnection[Any]:
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    return driver


async def _copy(driver: AsyncConnection[Any], target: str, table: Table, rows: list[dict[str, Any]]) -> list[str]:
    columns = list(rows[0])
    json_columns = {c for c in columns if isinstance(table.c[c].type, JSONB)}
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(target), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    async with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            await copy.write_row(
                [Jsonb(row[c]) if c in json_columns and row[c] is not None else row[c] for c in columns]
            )
    return columns


async def insert_rows(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    """Plain inserts of many rows through COPY, in the session's transaction."""
    if rows:
        await _copy(await _driver(session), table.name, table, rows)


async def upsert_rows(
    session: AsyncSession,
    table: Table,
    rows: list[dict[str, Any]],
    *,
    conflict: Sequence[str] = ("id",),
    update: Sequence[str] | None = None,
    returning: Sequence[str] = (),
    when_changed: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """Insert rows; on a conflict of `conflict`, replace the `update` columns (default: every given
    column but the id, the workspace and created_at; `updated_at` is set to now()). `update=()` skips
    conflicting rows; `when_changed` updates only rows whose stored columns differ from these.
    Returns the `returning` columns of the rows inserted or updated."""
    if not rows:
        return []
    driver = await _driver(session)
    stage = f"stage_{table.name}"
    await driver.execute(
        sql.SQL("CREATE TEMP TABLE IF NOT EXISTS {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS").format(
            sql.Identifier(stage), sql.Identifier(table.name)
        )
    )
    columns = await _copy(driver, stage, table, rows)
    names = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    changing = [c for c in columns if c not in FROZEN_ON_UPDATE] if update is None else list(update)
    if changing:
        assignments = [sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in changing]
        if "updated_at" in table.c and "updated_at" not in changing:
            assignments.append(sql.SQL("updated_at = now()"))
        action = sql.SQL("DO UPDATE SET ") + sql.SQL(", ").join(assignments)
        if when_changed:
            action += sql.SQL(" WHERE ({}) IS DISTINCT FROM ({})").format(
                sql.SQL(", ").join(sql.Identifier(table.name, c) for c in when_changed),
                sql.SQL(", ").join(sql.Identifier("excluded", c) for c in when_changed),
            )
    else:
        action = sql.SQL("DO NOTHING")
    statement = (
        sql.SQL("INSERT INTO {table} ({names}) SELECT {names} FROM {stage} ON CONFLICT ({conflict}) ").format(
            table=sql.Identifier(table.name),
            names=names,
            stage=sql.Identifier(stage),
            conflict=sql.SQL(", ").join(sql.Identifier(c) for c in conflict),
        )
        + action
    )
    if returning:
        statement += sql.SQL(" RETURNING ") + sql.SQL(", ").join(sql.Identifier(c) for c in returning)
    async with driver.cursor() as cursor:
        await cursor.execute(statement)
        result = await cursor.fetchall() if returning else []
        # The stage is emptied at commit; a second upsert into the same table in this transaction
        # must not see these rows again.
        await cursor.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(stage)))
    return result
