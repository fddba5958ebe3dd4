"""A rate limiter whose state lives in PostgreSQL (GCRA), so every process spends one shared budget.

Each bucket is one row holding its theoretical arrival time (TAT). Spending is a single atomic
upsert; run it in autocommit on the bookkeeping engine so the row lock is held for one statement,
not for a whole request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text


def gcra_upsert(bucket_sql: str, source: str = "") -> str:
    """SQL that spends one request's worth of the bucket named by `bucket_sql`; RETURNs a row iff allowed.

    Parameters `:interval` (seconds one request costs: the emission interval times its cost) and
    `:tolerance` (seconds of burst). `source` may add a SELECT tail (e.g. ` FROM k`) so the bucket
    name can come from another CTE.
    """
    return f"""
    INSERT INTO rate_limit_buckets (bucket, tat)
    SELECT {bucket_sql}, clock_timestamp() + make_interval(secs => :interval){source}
    ON CONFLICT (bucket) DO UPDATE
       SET tat = GREATEST(rate_limit_buckets.tat, clock_timestamp()) + make_interval(secs => :interval)
     WHERE GREATEST(rate_limit_buckets.tat, clock_timestamp()) + make_interval(secs => :interval)
           <= clock_timestamp() + make_interval(secs => :tolerance)
    RETURNING tat"""


_TAKE = text(gcra_upsert(":bucket"))
_PEEK = text("SELECT tat, clock_timestamp() AS now FROM rate_limit_buckets WHERE bucket = :bucket")
# The upstream's own account of what is left is the truth: move the bucket to match it.
_OBSERVE = text(
    """
    INSERT INTO rate_limit_buckets (bucket, tat)
    VALUES (:bucket, clock_timestamp() + make_interval(secs => :ahead))
    ON CONFLICT (bucket) DO UPDATE SET tat = EXCLUDED.tat
    """
)


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

    def params(self, cost: float = 1.0) -> dict[str, float]:
        return {"interval": self.interval * cost, "tolerance": self.tolerance}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: float  # seconds until one more request would be allowed (0 when allowed)


async def take(conn: Any, bucket: str, limit: Limit, cost: float = 1.0) -> Decision:
    """Spend `cost` units of `bucket`'s budget if there are that many; atomic across processes.

    `conn` is an AsyncConnection or AsyncSession."""
    row = (await conn.execute(_TAKE, {"bucket": bucket, **limit.params(cost)})).first()
    if row is not None:
        return Decision(True, 0.0)
    return Decision(False, await retry_after(conn, bucket, limit, cost))


async def retry_after(conn: Any, bucket: str, limit: Limit, cost: float = 1.0) -> float:
    peek = (await conn.execute(_PEEK, {"bucket": bucket})).first()
    if peek is None:
        return 0.001
    tat: datetime = peek.tat
    now: datetime = peek.now
    return max((tat - now).total_seconds() + limit.interval * cost - limit.tolerance, 0.001)


async def observe_remaining(
    conn: Any, bucket: str, limit: Limit, remaining: float, reset_in: float | None = None
) -> None:
    """Align the bucket with the upstream's report: `remaining` units left now; with `reset_in`, a fixed
    window that refills completely after that many seconds (BigCommerce), else a steady refill."""
    if reset_in is not None and remaining <= 0:
        ahead = reset_in + limit.tolerance - limit.interval  # nothing more until the window resets
    else:
        ahead = max(0.0, limit.tolerance - remaining * limit.interval)
    await conn.execute(_OBSERVE, {"bucket": bucket, "ahead": ahead})
