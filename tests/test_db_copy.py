"""Bulk writes (db/copy.py): every kind of value the writers hand over arrives as it was given, through
COPY (plain inserts) and through the one-statement JSON upsert."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import psycopg
import pytest
from sqlalchemy import BigInteger, Boolean, Column, DateTime, MetaData, Numeric, String, Table, Text, select, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.exc import DataError

from ledgerlink.db.copy import insert_rows, insert_tuples, upsert_rows
from ledgerlink.runtime import Runtime

metadata = MetaData()
things = Table(
    "copy_test_things",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("workspace_id", String(40)),
    Column("name", Text),
    Column("amount", BigInteger),
    Column("rate", Numeric(20, 10)),
    Column("flag", Boolean),
    Column("at", DateTime(timezone=True)),
    Column("tags", ARRAY(String)),
    Column("doc", JSONB),
    Column("created_at", DateTime(timezone=True), server_default=text("now()")),
    Column("updated_at", DateTime(timezone=True), server_default=text("now()")),
)

AWKWARD = 'tab\there, newline\n, back\\slash, quote " and é 日本'


def _row(id_: str, **overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": id_,
        "workspace_id": "ws_1",
        "name": AWKWARD,
        "amount": -(2**62),
        "rate": Decimal("0.0825000001"),
        "flag": True,
        "at": datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
        "tags": ["a", "b c", AWKWARD],
        "doc": {"nested": [1, "two", None], "big": 2**70, "text": AWKWARD},
    }
    row.update(overrides)
    return row


@pytest.fixture
async def table(runtime: Runtime):  # type: ignore[no-untyped-def]
    async with runtime.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield things
    async with runtime.engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)


async def _stored(runtime: Runtime) -> dict[str, dict[str, object]]:
    async with runtime.sessions() as session:
        rows = (await session.execute(select(things).order_by(things.c.id))).mappings().all()
    return {r["id"]: dict(r) for r in rows}


async def test_copy_and_upsert_store_every_value_as_given(runtime: Runtime, table: Table) -> None:
    copied, upserted = _row("c1"), _row("u1", doc="a JSON string", tags=[], rate=None)
    async with runtime.sessions.begin() as session:
        await insert_rows(session, table, [copied])
        inserted = await upsert_rows(session, table, [upserted], returning=["id"])
    assert inserted == [("u1",)]
    stored = await _stored(runtime)
    for row in (copied, upserted):
        got = stored[row["id"]]  # type: ignore[index]
        assert {k: got[k] for k in row} == row


async def test_upsert_replaces_skips_and_reports_what_it_wrote(runtime: Runtime, table: Table) -> None:
    async with runtime.sessions.begin() as session:
        await upsert_rows(session, table, [_row("a"), _row("b")])
    async with runtime.sessions.begin() as session:
        # Default: every given column but id/workspace/created_at is replaced.
        changed = await upsert_rows(session, table, [_row("a", name="renamed", amount=7)], returning=["id", "name"])
        # update=(): a conflicting row is left alone and not returned; a new one is inserted.
        skipped = await upsert_rows(session, table, [_row("b", name="ignored"), _row("c")], update=(), returning=["id"])
        # when_changed: an identical value is not rewritten (and not returned).
        same = await upsert_rows(session, table, [_row("c")], update=["name"], when_changed=["name"], returning=["id"])
    assert changed == [("a", "renamed")]
    assert skipped == [("c",)]
    assert same == []
    stored = await _stored(runtime)
    assert stored["a"]["name"] == "renamed" and stored["a"]["amount"] == 7
    assert stored["b"]["name"] == AWKWARD


async def test_a_value_postgresql_cannot_hold_fails_the_statement(runtime: Runtime, table: Table) -> None:
    # Raised as SQLAlchemy raises every other statement's refusals (what write_items' fallback catches).
    with pytest.raises(DataError) as refused:
        async with runtime.sessions.begin() as session:
            await upsert_rows(session, table, [_row("nul", name="a\x00b")])
    assert isinstance(refused.value.orig, psycopg.DataError)
    with pytest.raises(DataError):
        async with runtime.sessions.begin() as session:
            await insert_rows(session, table, [_row("nul", name="a\x00b")])
    assert "nul" not in await _stored(runtime)


async def test_json_the_fast_encoder_refuses_is_written_the_same_through_both_paths(
    runtime: Runtime, table: Table
) -> None:
    doc = {1: "non-string key", "big": 2**70, "at": datetime(2026, 1, 2, tzinfo=UTC)}
    async with runtime.sessions.begin() as session:
        await insert_rows(session, table, [_row("k1", doc=doc)])
        await upsert_rows(session, table, [_row("k2", doc=doc)])
    stored = await _stored(runtime)
    expected = {"1": "non-string key", "big": 2**70, "at": "2026-01-02T00:00:00+00:00"}
    assert stored["k1"]["doc"] == stored["k2"]["doc"] == expected


async def test_copy_of_many_rows_sent_in_several_blocks_stores_every_row(runtime: Runtime, table: Table) -> None:
    # Thousands of rows are formatted into blocks of ~32 kB that are sent as they fill, the rest at the end.
    rows = [_row(f"m{n:05}", amount=n, name=f"{AWKWARD} {n}", doc={"n": n}) for n in range(3000)]
    async with runtime.sessions.begin() as session:
        await insert_rows(session, table, rows)
    stored = await _stored(runtime)
    assert len(stored) == len(rows)
    for row in rows:
        got = stored[row["id"]]  # type: ignore[index]
        assert {k: got[k] for k in row} == row


async def test_copy_of_tuples_stores_them_as_the_same_rows_as_dicts(runtime: Runtime, table: Table) -> None:
    as_dict = _row("d1")
    columns = tuple(as_dict)
    as_tuple = tuple(_row("t1").values())
    async with runtime.sessions.begin() as session:
        await insert_tuples(session, table, columns, [as_tuple])
        await insert_rows(session, table, [as_dict])
    stored = await _stored(runtime)
    assert {k: stored["t1"][k] for k in columns} == {**as_dict, "id": "t1"}


async def test_a_refusal_after_blocks_were_sent_fails_the_whole_copy(runtime: Runtime, table: Table) -> None:
    rows = [_row(f"r{n:05}") for n in range(3000)]
    rows[-1] = _row("r-bad", name="a\x00b")
    with pytest.raises(DataError):
        async with runtime.sessions.begin() as session:
            await insert_rows(session, table, rows)
    assert await _stored(runtime) == {}
