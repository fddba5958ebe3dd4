"""Consuming the domain events table by transaction horizon, for every consumer (webhook fan-out, the
ledger's posting job): the one place that knows how.

Never read events "after seq N": a sequence number is taken at insert, so an event of a transaction
that commits late can carry a lower `seq` than one already read, and would be skipped for good. A
consumer's cursor (a row of `outbox_cursors`) is a transaction id instead: each claim takes the events
written by transactions from the cursor up to the oldest one still running (`pg_snapshot_xmin`), which
have all finished and so are all visible, and the consumer moves its cursor there in the same
transaction as the work it did with them. Nothing committed later can fall behind the horizon.

The claim locks the cursor row until the transaction ends, so concurrent runs of one consumer take
turns, and a run that fails leaves the cursor where it was.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_CLAIM = text(
    """
    SELECT horizon, (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint AS upto
      FROM outbox_cursors WHERE name = :name FOR UPDATE
    """
)
_ADVANCE = text("UPDATE outbox_cursors SET horizon = :upto, updated_at = now() WHERE name = :name")


@dataclass(frozen=True, slots=True)
class HorizonRange:
    """Events with `since <= txid < upto` are committed and not yet consumed by `name`."""

    name: str
    since: int
    upto: int


async def claim(session: AsyncSession, name: str) -> HorizonRange | None:
    """Lock the consumer's cursor for this transaction; the range it may consume now, None when empty."""
    since, upto = (await session.execute(_CLAIM, {"name": name})).one()
    return HorizonRange(name, since, upto) if upto > since else None


async def advance(session: AsyncSession, name: str, upto: int) -> None:
    """Move the consumer's cursor to `upto` (exclusive): its events up to there are consumed."""
    await session.execute(_ADVANCE, {"upto": upto, "name": name})
