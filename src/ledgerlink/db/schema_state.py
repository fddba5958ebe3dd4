"""Reading the schema revision through the application's async session."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncSession


async def schema_revision(session: AsyncSession) -> str | None:
    try:
        row = (await session.execute(text("SELECT version_num FROM alembic_version"))).first()
    except ProgrammingError:
        await session.rollback()
        return None
    return row[0] if row else None
