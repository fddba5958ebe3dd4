"""Planner statistics during bulk loads (db/statistics.py): a table a load has filled is analysed at
once, not a minute later when autovacuum looks; a table that has not grown is left alone."""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table, text
from sqlalchemy.ext.asyncio import create_async_engine

from ledgerlink.db.statistics import MINIMUM_CHANGES, STATISTICS_TARGET, StatisticsKeeper
from ledgerlink.runtime import Runtime

metadata = MetaData()
loaded = Table(
    "statistics_test_loaded",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("workspace_id", String(40)),
    postgresql_with={"autovacuum_enabled": "false"},  # only the keeper analyses it, whatever the timing
)


async def _fill(runtime: Runtime, start: int, count: int) -> None:
    async with runtime.engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO statistics_test_loaded SELECT n, 'ws_1' FROM generate_series(:a ::int, :b ::int) n"),
            {"a": start, "b": start + count - 1},
        )
        # Counters reach pg_stat_user_tables when the backend reports them (at most once a second).
        await conn.execute(text("SELECT pg_stat_force_next_flush()"))


async def _analysed(runtime: Runtime) -> int:
    async with runtime.engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'statistics_test_loaded'")
            )
        ).one()
    return int(row.analyze_count)


async def test_a_table_a_load_filled_is_analysed_and_one_that_did_not_grow_is_not(runtime: Runtime) -> None:
    async with runtime.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    try:
        keeper = StatisticsKeeper(runtime.engine, interval=0)
        await _fill(runtime, 1, MINIMUM_CHANGES * 4)
        assert "statistics_test_loaded" in await keeper.after_write()
        assert await _analysed(runtime) == 1

        # Grown by a fifth: the planner's picture still holds (it scales counts by size itself).
        await _fill(runtime, MINIMUM_CHANGES * 4 + 1, MINIMUM_CHANGES)
        assert "statistics_test_loaded" not in await keeper.after_write()

        # Grown tenfold: analysed again.
        await _fill(runtime, MINIMUM_CHANGES * 5 + 1, MINIMUM_CHANGES * 50)
        assert "statistics_test_loaded" in await keeper.after_write()
        assert await _analysed(runtime) == 2

        # Asked again within its interval, a keeper does not even look.
        patient = StatisticsKeeper(runtime.engine, interval=3600)
        await patient.after_write()
        await _fill(runtime, MINIMUM_CHANGES * 60 + 1, MINIMUM_CHANGES * 600)
        assert await patient.after_write() == []
    finally:
        async with runtime.engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)


async def test_the_keeper_samples_coarsely_on_its_own_connection_only(runtime: Runtime) -> None:
    """Its analyses keep 10 histogram buckets, not the default 100 (a tenth of the sample to sort), and
    the connection it used goes back to the pool with the server's default target."""
    async with runtime.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    single = create_async_engine(runtime.engine.url, pool_size=1, max_overflow=0)
    try:
        await _fill(runtime, 1, MINIMUM_CHANGES * 20)
        assert "statistics_test_loaded" in await StatisticsKeeper(single, interval=0).after_write()
        async with single.connect() as conn:
            target = (await conn.execute(text("SHOW default_statistics_target"))).scalar_one()
            bounds = (
                await conn.execute(
                    text(
                        "SELECT cardinality(histogram_bounds::text::text[]) FROM pg_stats "
                        "WHERE tablename = 'statistics_test_loaded' AND attname = 'id'"
                    )
                )
            ).scalar_one()
        assert target == "100"
        assert bounds == STATISTICS_TARGET + 1
    finally:
        await single.dispose()
        async with runtime.engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)
