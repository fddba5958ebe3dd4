"""Bulk row writes shared by the loaders."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from psycopg import sql
from psycopg.types.json import Jsonb
from sqlalchemy import Table, delete, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession


async def upsert(session: AsyncSession, table: Table, rows: list[dict[str, Any]], keep: Iterable[str] = ()) -> None:
    """Insert rows; an existing id gets every given column replaced (except `keep` and created_at)."""
    if not rows:
        return
    frozen = {"id", "workspace_id", "created_at", *keep}
    stmt = insert(table)
    columns = {c: stmt.excluded[c] for c in rows[0] if c not in frozen}
    if "updated_at" in table.c:
        columns["updated_at"] = func.now()
    # One statement with a list of rows: SQLAlchemy batches it (insertmanyvalues) and compiles it once.
    await session.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=columns), rows)


async def insert_rows(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    """Plain inserts of many rows through COPY, in the session's transaction: a sync page writes
    thousands of child rows, and COPY costs a fraction of row-by-row parameter binding."""
    if not rows:
        return
    columns = list(rows[0])
    json_columns = {c for c in columns if isinstance(table.c[c].type, JSONB)}
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    async with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            await copy.write_row([Jsonb(row[c]) if c in json_columns and row[c] is not None else row[c]
                                  for c in columns])


async def delete_where_in(session: AsyncSession, table: Table, column: str, values: list[str]) -> None:
    if values:
        await session.execute(delete(table).where(table.c[column].in_(values)))
