"""The database ledgerlink creates (embedded, and the tests') compares text by code point without a
strcoll call per comparison (the builtin provider's C.UTF-8 on PostgreSQL 17+), and that changes
nothing anyone sees: the order is libc C.UTF-8's, and case folding still knows Unicode."""

from __future__ import annotations

from sqlalchemy import text

from ledgerlink.db.embedded import BUILTIN_PROVIDER_SINCE


async def test_ids_compare_by_code_point_and_case_folding_knows_unicode(runtime) -> None:
    async with runtime.engine.connect() as conn:
        version = int((await conn.execute(text("SHOW server_version_num"))).scalar_one())
        provider = (
            await conn.execute(text("SELECT datlocprovider FROM pg_database WHERE datname = current_database()"))
        ).scalar_one()
        ordered = (
            await conn.execute(
                text("SELECT array_agg(x ORDER BY x) FROM unnest(ARRAY['b', 'é', 'B', '€', 'Z', 'ord_9', 'ord_10']) x")
            )
        ).scalar_one()
        folded = (await conn.execute(text("SELECT lower('ÉCOLE Ω'), 'Émile' ILIKE 'émile%'"))).one()
    if version >= BUILTIN_PROVIDER_SINCE:
        assert provider == "b"
    assert ordered == ["B", "Z", "b", "ord_10", "ord_9", "é", "€"]
    assert tuple(folded) == ("école ω", True)
