"""One page of a query and the total it pages over: the shape every list endpoint answers with."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession


async def fetch_page(
    session: AsyncSession, query: Select[Any], *, order_by: Any, offset: int, limit: int
) -> tuple[list[Any], int]:
    total = (await session.execute(select(func.count()).select_from(query.order_by(None).subquery()))).scalar_one()
    rows = (await session.execute(query.order_by(order_by).offset(offset).limit(limit))).scalars().all()
    return list(rows), int(total)
