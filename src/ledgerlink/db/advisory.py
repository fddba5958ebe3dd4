"""Advisory locks named by text (hashed to PostgreSQL's bigint key): a session's, held until it lets
go or ends (a worker that dies lets go of everything), or a transaction's, held until it ends."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

_TRY_LOCK = text("SELECT pg_try_advisory_lock(hashtextextended(:key, 0))")
_UNLOCK = text("SELECT pg_advisory_unlock(hashtextextended(:key, 0))")
_XACT_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")


async def try_lock(conn: AsyncConnection, name: str) -> bool:
    """Take the lock `name` for `conn`'s session if no other session holds it (committed at once)."""
    got = bool((await conn.execute(_TRY_LOCK, {"key": name})).scalar())
    await conn.commit()
    return got


async def unlock(conn: AsyncConnection, name: str) -> None:
    await conn.execute(_UNLOCK, {"key": name})
    await conn.commit()


async def xact_lock(session: AsyncSession, name: str) -> None:
    """Wait for the lock `name` and hold it until the session's transaction ends."""
    await session.execute(_XACT_LOCK, {"key": name})
