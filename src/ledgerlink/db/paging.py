"""One page of a query and the total it pages over: the shape every list endpoint answers with."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession


async def fetch_page(
    session: AsyncSession, query: Select[Any], *, order_by: Any, offset: int, limit: int, scalars: bool = True
) -> tuple[list[Any], int]:
    """`scalars=False` keeps whole rows (a query selecting an entity and extra columns)."""
    total = (await session.execute(select(func.count()).select_from(query.order_by(None).subquery()))).scalar_one()
    result = await session.execute(query.order_by(order_by).offset(offset).limit(limit))
    rows = result.scalars().all() if scalars else result.all()
    return list(rows), int(total)
