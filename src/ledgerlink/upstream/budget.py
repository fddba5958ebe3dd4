"""An integration's request budget at its upstream, kept in PostgreSQL so all processes share it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from ledgerlink.ratelimit import Limit, observe_remaining, take


@dataclass
class Budget:
    engine: AsyncEngine  # the bookkeeping engine (autocommit)
    bucket: str
    limit: Limit

    async def acquire(self, cost: float = 1.0) -> float:
        """Wait until `cost` units may be spent, spend them; returns the seconds waited."""
        waited = 0.0
        while True:
            async with self.engine.connect() as conn:
                decision = await take(conn, self.bucket, self.limit, cost)
            if decision.allowed:
                return waited
            await asyncio.sleep(decision.retry_after)
            waited += decision.retry_after

    async def align(self, remaining: float, reset_in: float | None = None) -> None:
        """Trust the upstream's own count of what is left."""
        async with self.engine.connect() as conn:
            await observe_remaining(conn, self.bucket, self.limit, remaining, reset_in)

    async def pause(self, seconds: float) -> None:
        """Nobody spends from this budget for `seconds` (after a 429 with Retry-After)."""
        await self.align(0, reset_in=seconds)
