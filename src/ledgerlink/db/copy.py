"""COPY into a table inside a SQLAlchemy session's transaction, and upserts in one statement.

A sync page writes thousands of rows. Binding them as parameters of one multi-row INSERT costs a
statement compile and a huge parse per page; COPY streams them in PostgreSQL's own format instead.
Plain inserts COPY straight into their table; upserts send the rows as one JSON document to one
INSERT … SELECT … FROM jsonb_populate_recordset … ON CONFLICT.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from operator import itemgetter
from typing import Any

import orjson
import psycopg
from psycopg import AsyncConnection, sql
from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

FROZEN_ON_UPDATE = frozenset({"id", "workspace_id", "created_at"})


async def _driver(session: AsyncSession) -> AsyncConnection[Any]:
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    return driver


@contextlib.asynccontextmanager
async def _refusals_as_sqlalchemy(statement: str) -> AsyncIterator[None]:
    """The database's refusals as SQLAlchemy raises them for every other statement (IntegrityError,
    DataError, ...), so what handles them there (a page written again record by record) sees them here."""
    try:
        yield
    except psycopg.Error as exc:
        raise DBAPIError.instance(statement, None, exc, psycopg.Error) from exc


def json_text(value: Any) -> str:
    """A JSON document as PostgreSQL reads it, for a jsonb column (COPY) or a whole page of rows (the
    upsert): orjson (several times the standard library's speed, and a sync page writes thousands of
    values), the standard library where orjson refuses (integers past 64 bits, non-string keys).
    Decimals are written as their exact digits, times in ISO 8601."""
    try:
        return orjson.dumps(value, default=_json_value).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value, default=_json_value)


def _json_value(value: Any) -> Any:
    """What orjson leaves to us (Decimal), and what the standard library's fallback does not know."""
    if isinstance(value, Decimal):
        return str(value)  # exact digits; a numeric column reads them as written
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} through JSON")


async def _copy(
    driver: AsyncConnection[Any], table: Table, columns: tuple[str, ...], rows: Iterable[Sequence[Any]]
) -> None:
    json_at = _json_positions(table, columns)
    statement = _copy_statement(table.name, columns)
    async with _refusals_as_sqlalchemy(statement), driver.cursor() as cursor, cursor.copy(statement) as copy:
        # psycopg's own formatter, driven in a plain loop: `await copy.write_row(row)` calls the same
        # but costs a coroutine per row (a sync page copies thousands), while the formatter hands back
        # a block to send only every ~32 kB; leaving the copy sends what is still in it. (`formatter`
        # is not in psycopg's documented API: tests/test_db_copy.py copies pages of several blocks.)
        formatter = copy.formatter
        for values in rows:
            if json_at:
                values = _with_json_text(values, json_at)
            if block := formatter.write_row(values):
                await copy.write(block)


def _with_json_text(values: Sequence[Any], json_at: tuple[int, ...]) -> list[Any]:
    """The row with its JSON columns' values as the JSON text PostgreSQL reads (NULL stays NULL)."""
    values = list(values)
    for n in json_at:
        if values[n] is not None:
            values[n] = json_text(values[n])
    return values


@functools.lru_cache(maxsize=256)
def _json_positions(table: Table, columns: tuple[str, ...]) -> tuple[int, ...]:
    return tuple(n for n, c in enumerate(columns) if isinstance(table.c[c].type, JSONB))


@functools.lru_cache(maxsize=256)
def _copy_statement(table: str, columns: tuple[str, ...]) -> str:
    return (
        sql.SQL("COPY {} ({}) FROM STDIN")
        .format(sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c in columns))
        .as_string(None)
    )


async def insert_rows(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    """Plain inserts of many rows through COPY, in the session's transaction (the first row's keys
    name the columns)."""
    if rows:
        columns = tuple(rows[0])
        values_of = itemgetter(*columns) if len(columns) > 1 else (lambda row: (row[columns[0]],))
        await _copy(await _driver(session), table, columns, map(values_of, rows))


async def insert_tuples(
    session: AsyncSession, table: Table, columns: tuple[str, ...], rows: Sequence[Sequence[Any]]
) -> None:
    """`insert_rows` for rows built as tuples of `columns`' values (a NamedTuple's fields): the
    bulkiest writers make thousands of rows a page, and a tuple costs a fraction of a dict to build
    and nothing to take apart."""
    if rows:
        await _copy(await _driver(session), table, columns, rows)


async def upsert_rows(
    session: AsyncSession,
    table: Table,
    rows: list[dict[str, Any]],
    *,
    conflict: Sequence[str] = ("id",),
    update: Sequence[str] | None = None,
    returning: Sequence[str] = (),
    when_changed: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """Insert rows; on a conflict of `conflict`, replace the `update` columns (default: every given
    column but the id, the workspace and created_at; `updated_at` is set to now()). `update=()` skips
    conflicting rows; `when_changed` updates only rows whose stored columns differ from these.
    Returns the `returning` columns of the rows inserted or updated.

    One statement and one round trip: the rows travel as one JSON document that
    jsonb_populate_recordset reads as rows of the table's own type (each value through its column's
    input function, as COPY would), instead of a temporary table created, filled, read and emptied."""
    if not rows:
        return []
    columns = tuple(rows[0])
    statement = _upsert_statement(
        table.name,
        columns,
        tuple(conflict),
        None if update is None else tuple(update),
        tuple(returning),
        tuple(when_changed),
        "updated_at" in table.c,
    )
    driver = await _driver(session)
    async with _refusals_as_sqlalchemy(statement), driver.cursor() as cursor:
        await cursor.execute(statement, (json_text(rows),))
        return await cursor.fetchall() if returning else []


@functools.lru_cache(maxsize=256)
def _upsert_statement(
    table: str,
    columns: tuple[str, ...],
    conflict: tuple[str, ...],
    update: tuple[str, ...] | None,
    returning: tuple[str, ...],
    when_changed: tuple[str, ...],
    has_updated_at: bool,
) -> str:
    """The statement's text, composed once per shape (composing costs more than the rest of a call)."""
    names = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    changing = [c for c in columns if c not in FROZEN_ON_UPDATE] if update is None else list(update)
    if changing:
        assignments = [sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in changing]
        if has_updated_at and "updated_at" not in changing:
            assignments.append(sql.SQL("updated_at = now()"))
        action = sql.SQL("DO UPDATE SET ") + sql.SQL(", ").join(assignments)
        if when_changed:
            action += sql.SQL(" WHERE ({}) IS DISTINCT FROM ({})").format(
                sql.SQL(", ").join(sql.Identifier(table, c) for c in when_changed),
                sql.SQL(", ").join(sql.Identifier("excluded", c) for c in when_changed),
            )
    else:
        action = sql.SQL("DO NOTHING")
    statement = (
        sql.SQL(
            "INSERT INTO {table} ({names}) SELECT {names} FROM jsonb_populate_recordset(NULL::{table}, %s::jsonb) "
            "ON CONFLICT ({conflict}) "
        ).format(
            table=sql.Identifier(table),
            names=names,
            conflict=sql.SQL(", ").join(sql.Identifier(c) for c in conflict),
        )
        + action
    )
    if returning:
        statement += sql.SQL(" RETURNING ") + sql.SQL(", ").join(sql.Identifier(c) for c in returning)
    return statement.as_string(None)
