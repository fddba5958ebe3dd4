"""The inbound inbox: a webhook is committed before it is acknowledged, many per commit.

Every request awaits the commit of its own row, so a 2xx always means "stored". One commit per
request would cap the endpoint at one fsync each (~4 ms here, ~250/s per connection); instead the
rows of requests that arrive while a commit is in flight ride on the next one (group commit). At low
load a batch is one row and nothing waits for company; under load batches grow by themselves.

The same statement defers the drain job of each integration in the batch (one queued job per
integration, by Procrastinate's queueing lock), so a row never waits for a job that was not saved.
A batch is one statement in its own transaction (rows passed as arrays, the drain jobs a CTE): one
round trip and one fsync. Every round trip of a commit waits for this process's event loop, busy
with the other requests, to come round again; eight of them per commit (begin, stage, copy, move,
defer, commit) made the wait, not the fsync, most of a request's latency.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from ledgerlink.jobs.defer import defer_in_transaction, defer_once_per_key_sql
from ledgerlink.runtime import Runtime

log = logging.getLogger(__name__)

DRAIN_TASK = "ledgerlink:drain_inbox"


@dataclass(frozen=True)
class Stored:
    id: str | None  # None for a duplicate
    duplicate: bool  # the provider's event id was already in the inbox: acknowledged, not stored again


_LOCK_PREFIX = "inbox:"


def drain_lock(integration_id: str) -> str:
    return f"{_LOCK_PREFIX}{integration_id}"


# webhook_inbox's columns as a batch's rows travel: one JSON document (orjson renders it in C; psycopg
# renders arrays of text, and escapes them, element by element in Python: a fifth of a request's CPU),
# the raw body as hex (JSON holds text only).
_COLUMNS = {
    "id": "text",
    "workspace_id": "text",
    "integration_id": "text",
    "provider": "text",
    "dedupe_key": "text",
    "topic": "text",
    "headers": "jsonb",
    "body": "text",
    "resource": "text",
    "external_id": "text",
}
_STORE = f"""
    WITH stored AS (
        INSERT INTO webhook_inbox ({", ".join(_COLUMNS)})
        SELECT {", ".join("decode(r.body, 'hex')" if c == "body" else f"r.{c}" for c in _COLUMNS)}
          FROM jsonb_to_recordset(%(rows)s::jsonb) AS r({", ".join(f"{c} {t}" for c, t in _COLUMNS.items())})
        ON CONFLICT (integration_id, dedupe_key) DO NOTHING
        RETURNING id, integration_id
    ), drains AS ({
    defer_once_per_key_sql(
        DRAIN_TASK,
        queue="webhooks",
        lock_prefix=_LOCK_PREFIX,
        arg="integration_id",
        keys="SELECT DISTINCT integration_id FROM stored",
    )
})
    SELECT id FROM stored
"""


_WAITING = text("SELECT 1 FROM procrastinate_jobs WHERE queueing_lock = :lock AND status = 'todo' LIMIT 1")


async def defer_drain(session: Any, integration_id: str) -> None:
    """Queue the integration's drain job unless one is already waiting (its queueing lock). Under load
    one almost always is: a plain read answers that, instead of a savepoint and a refused insert."""
    if (await session.execute(_WAITING, {"lock": drain_lock(integration_id)})).first() is not None:
        return
    try:
        async with session.begin_nested():
            await defer_in_transaction(
                session,
                DRAIN_TASK,
                args={"integration_id": integration_id},
                queue="webhooks",
                lock=drain_lock(integration_id),
                queueing_lock=drain_lock(integration_id),
            )
    except IntegrityError:
        pass  # a drain job is already queued: it will find this row too


class InboxWriter:
    def __init__(self, runtime: Runtime, *, max_batch: int = 500, concurrent_commits: int = 3) -> None:
        self.runtime = runtime
        self.max_batch = max_batch
        self.concurrent_commits = concurrent_commits
        self._waiting: list[tuple[dict[str, Any], asyncio.Future[Stored]]] = []
        self._committers: set[asyncio.Task[None]] = set()

    async def store(self, row: dict[str, Any]) -> Stored:
        """Commit `row` (a webhook_inbox row) with whatever else is waiting; returns once it is durable."""
        future: asyncio.Future[Stored] = asyncio.get_running_loop().create_future()
        self._waiting.append((row, future))
        if len(self._committers) < self.concurrent_commits:
            task = asyncio.create_task(self._commit_while_waiting())
            self._committers.add(task)
            task.add_done_callback(self._committers.discard)
        return await future

    async def _commit_while_waiting(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[: self.max_batch], self._waiting[self.max_batch :]
            try:
                stored = await self._commit([row for row, _ in batch])
            except Exception as exc:  # every request of the batch gets the error: none is acknowledged
                log.exception("inbox commit failed", extra={"rows": len(batch)})
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for row, future in batch:
                if not future.done():
                    future.set_result(stored[row["id"]])

    async def _commit(self, rows: list[dict[str, Any]]) -> dict[str, Stored]:
        # Two deliveries of one event inside one batch: the first is stored, the other is its duplicate.
        first: dict[tuple[str, str], str] = {}
        unique_rows = []
        for row in rows:
            key = (row["integration_id"], row["dedupe_key"])
            if key not in first:
                first[key] = row["id"]
                unique_rows.append(row)
        inserted = await self._insert(unique_rows)
        stored: dict[str, Stored] = {}
        for row in rows:
            new = row["id"] in inserted and first[(row["integration_id"], row["dedupe_key"])] == row["id"]
            stored[row["id"]] = Stored(row["id"] if new else None, duplicate=not new)
        return stored

    async def _insert(self, rows: list[dict[str, Any]]) -> set[str]:
        """Insert the rows not stored yet and queue their integrations' drains; the ids inserted."""
        document = orjson.dumps([{**row, "body": row["body"].hex()} for row in rows]).decode()
        if "\\u0000" in document:  # seldom: only then are the values themselves looked through
            document = orjson.dumps([_storable({**row, "body": row["body"].hex()}) for row in rows]).decode()
        params = {"rows": document}
        async with self.runtime.engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            driver = (await autocommit.get_raw_connection()).driver_connection
            assert driver is not None
            cursor = await driver.execute(_STORE, params)
            return {row_id for (row_id,) in await cursor.fetchall()}


def _storable(value: Any) -> Any:
    """`value` with every NUL in its text as U+FFFD. PostgreSQL's text and jsonb hold no NUL: an event
    id or header carrying one would fail the whole batch's statement. The same NUL becomes the same
    character every time, so redeliveries still match; a backslash followed by "u0000" is left alone."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    return value
