"""The async engine and session factory for one process."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from ledgerlink.db.urls import sqlalchemy_url


def make_engine(database_url: str, pool_size: int = 10) -> AsyncEngine:
    return create_async_engine(
        sqlalchemy_url(database_url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
        # Timestamps leave the database in UTC whatever the server's TimeZone setting is.
        connect_args={"options": "-c timezone=UTC"},
    )


def make_bookkeeping_engine(database_url: str, pool_size: int = 10) -> AsyncEngine:
    """For per-request bookkeeping (auth lookups, rate-limit budgets): autocommit, so a hot row is
    locked for one statement only, and no wait for the WAL flush, since losing the last moments
    of usage counters in a crash harms nobody."""
    return create_async_engine(
        sqlalchemy_url(database_url),
        pool_size=pool_size,
        max_overflow=pool_size * 2,
        pool_recycle=1800,
        isolation_level="AUTOCOMMIT",
        connect_args={"options": "-c timezone=UTC -c synchronous_commit=off"},
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
