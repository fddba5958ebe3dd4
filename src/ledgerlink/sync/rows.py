"""Bulk row writes shared by the loaders (plain inserts go through db.copy.insert_rows)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Table, delete, func
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


async def delete_where_in(session: AsyncSession, table: Table, column: str, values: list[str]) -> None:
    if values:
        await session.execute(delete(table).where(table.c[column].in_(values)))
