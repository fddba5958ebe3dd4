"""Bulk row writes shared by the loaders (plain inserts go through db.copy.insert_rows)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ARRAY, String, Table, any_, bindparam, delete
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.db.copy import FROZEN_ON_UPDATE, upsert_rows


async def upsert(session: AsyncSession, table: Table, rows: list[dict[str, Any]], keep: Iterable[str] = ()) -> None:
    """Insert rows; an existing id gets every given column replaced (except `keep` and created_at)."""
    if not rows:
        return
    frozen = FROZEN_ON_UPDATE | set(keep)
    await upsert_rows(session, table, rows, update=[c for c in rows[0] if c not in frozen])


def in_list(column: Any, name: str = "values") -> Any:
    """`column = ANY(:name)`: one array parameter instead of one parameter per value, so the
    statement compiles once and stays short however many values a page brings."""
    return column == any_(bindparam(name, type_=ARRAY(String)))


async def delete_where_in(session: AsyncSession, table: Table, column: str, values: list[str]) -> None:
    if values:
        await session.execute(delete(table).where(in_list(table.c[column])), {"values": values})
