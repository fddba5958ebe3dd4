"""Bulk row writes shared by the loaders."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Table, delete, func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

CHUNK = 1000


async def upsert(session: AsyncSession, table: Table, rows: list[dict[str, Any]], keep: Iterable[str] = ()) -> None:
    """Insert rows; an existing id gets every given column replaced (except `keep` and created_at)."""
    frozen = {"id", "workspace_id", "created_at", *keep}
    for start in range(0, len(rows), CHUNK):  # PostgreSQL allows 65,535 parameters per statement
        stmt = insert(table).values(rows[start : start + CHUNK])
        columns = {c: stmt.excluded[c] for c in rows[0] if c not in frozen}
        if "updated_at" in table.c:
            columns["updated_at"] = func.now()
        await session.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=columns))


async def insert_rows(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(table), rows)


async def delete_where_in(session: AsyncSession, table: Table, column: str, values: list[str]) -> None:
    if values:
        await session.execute(delete(table).where(table.c[column].in_(values)))
