"""A rate limiter whose state lives in PostgreSQL (GCRA), so every process spends one shared budget."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_TAKE = text(
    """
    INSERT INTO rate_limit_buckets (bucket, tat)
    VALUES (:bucket, clock_timestamp() + make_interval(secs => :interval))
    ON CONFLICT (bucket) DO UPDATE
       SET tat = GREATEST(rate_limit_buckets.tat, clock_timestamp()) + make_interval(secs => :interval)
     WHERE GREATEST(rate_limit_buckets.tat, clock_timestamp()) + make_interval(secs => :interval)
           <= clock_timestamp() + make_interval(secs => :tolerance)
    RETURNING tat
    """
)
_PEEK = text("SELECT tat, clock_timestamp() AS now FROM rate_limit_buckets WHERE bucket = :bucket")


@dataclass(frozen=True)
class Limit:
    """`rate` requests per `period` seconds, with up to `burst` of them back to back."""

    rate: int
    period: float
    burst: int

    @property
    def interval(self) -> float:
        return self.period / self.rate

    @property
    def tolerance(self) -> float:
        return self.interval * self.burst


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: float  # seconds until one more request would be allowed (0 when allowed)


async def take(session: AsyncSession, bucket: str, limit: Limit) -> Decision:
    """Spend one unit of `bucket`'s budget if there is one; atomic across processes."""
    row = (
        await session.execute(_TAKE, {"bucket": bucket, "interval": limit.interval, "tolerance": limit.tolerance})
    ).first()
    if row is not None:
        return Decision(True, 0.0)
    peek = (await session.execute(_PEEK, {"bucket": bucket})).first()
    tat: datetime = peek.tat
    now: datetime = peek.now
    wait = (tat - now).total_seconds() + limit.interval - limit.tolerance
    return Decision(False, max(wait, 0.001))
