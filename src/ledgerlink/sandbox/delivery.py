"""Sending webhooks: one queue, one HTTP client, retries on the platform's schedule, one attempt log.

Each platform decides what to send (the body, the signed headers), to which subscriptions, and
what repeated failure does to a subscription (Shopify deletes it, WooCommerce disables it,
BigCommerce deactivates it). The dispatcher only sends, times, retries and records, in a background
task of the sandbox's event loop, so a change never waits on a destination.

Retry delays are the platform's real ones multiplied by `time_scale` (tests use 0.001 and see a
48-hour schedule in seconds). The destination's time limit is not scaled: a receiver slower than
upstream allows fails in the sandbox too. Redirects are never followed, as upstream does not.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

logger = logging.getLogger(__name__)

DEFAULT_TIME_SCALE = 0.01  # a realistic demo that still shows retries within minutes
WORKERS = 8
LOG_SIZE = 10_000  # attempts kept for GET /_sandbox/webhooks/deliveries; older ones are dropped


def is_2xx(status: int) -> bool:
    return 200 <= status < 300


@dataclass(frozen=True)
class RetryPolicy:
    """`delays[n]` is how long after failed attempt n+1 the next one goes (real seconds, before
    scaling); after the last delay's attempt fails the delivery is exhausted."""

    delays: tuple[float, ...]
    timeout: float  # seconds the destination has to answer
    success: Callable[[int], bool] = is_2xx


@dataclass(frozen=True)
class Attempt:
    provider: str
    subscription: str
    topic: str
    event_id: str
    delivery_id: str
    attempt: int
    url: str
    status: int | None  # None when no answer came (refused, timed out)
    error: str | None
    latency_ms: float
    sent_at: datetime
    ok: bool
    final: bool  # no attempt follows: it succeeded, or the schedule is used up

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "sent_at": self.sent_at.isoformat()}


def _always() -> bool:
    return True


@dataclass
class Delivery:
    """One event for one subscription, with everything its attempts need.

    `headers(n)` builds attempt n's headers (1-based): signatures over a fresh timestamp, ids that
    change per attempt. `live()` is asked before every attempt; a deleted or switched-off
    subscription gets nothing more. `on_attempt` sees every attempt, `on_exhausted` runs once the
    last retry has failed."""

    provider: str
    subscription: str
    topic: str
    event_id: str
    url: str
    body: bytes
    policy: RetryPolicy
    headers: Callable[[int], dict[str, str]]
    live: Callable[[], bool] = _always
    on_attempt: Callable[[Attempt], None] | None = None
    on_exhausted: Callable[[], None] | None = None
    delivery_id: str = field(default_factory=lambda: str(uuid.uuid4()))


class Dispatcher:
    """Started lazily in whichever event loop first hands it a delivery (the sandbox server's)."""

    def __init__(
        self,
        time_scale: float = DEFAULT_TIME_SCALE,
        workers: int = WORKERS,
        log_size: int = LOG_SIZE,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.time_scale = time_scale
        self._worker_count = workers
        self._transport = transport
        self._log: deque[Attempt] = deque(maxlen=log_size)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[tuple[Delivery, int]] | None = None
        self._client: httpx.AsyncClient | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._timers: set[asyncio.TimerHandle] = set()
        self._in_flight = 0

    # -- handing work in -------------------------------------------------------------------------

    def enqueue(self, delivery: Delivery) -> None:
        """Schedule the first attempt now. Safe from the loop or, once started, from other threads."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            if self._loop is None or self._loop.is_closed():
                raise RuntimeError("webhook deliveries need the sandbox's event loop") from None
            self._loop.call_soon_threadsafe(self.enqueue, delivery)
            return
        self._start(loop).put_nowait((delivery, 1))

    async def deliver_now(self, delivery: Delivery) -> Attempt:
        """One attempt, awaited by the caller and never retried (WooCommerce's ping on create)."""
        self._start(asyncio.get_running_loop())
        attempt = await self._send(delivery, 1, final=True)
        self._log.append(attempt)
        return attempt

    # -- what tests and the control endpoints read -------------------------------------------

    def attempts(self, provider: str | None = None) -> list[Attempt]:
        return [a for a in self._log if provider is None or a.provider == provider]

    def clear(self, provider: str | None = None) -> None:
        kept = [a for a in self._log if provider is not None and a.provider != provider]
        self._log.clear()
        self._log.extend(kept)

    def pending(self) -> int:
        """Attempts queued, being sent, or waiting for their retry time."""
        queued = self._queue.qsize() if self._queue is not None else 0
        return queued + self._in_flight + len(self._timers)

    async def aclose(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        self._loop = self._queue = None

    # -- the machinery -----------------------------------------------------------------------

    def _start(self, loop: asyncio.AbstractEventLoop) -> asyncio.Queue[tuple[Delivery, int]]:
        """Workers and client belong to one loop; a new loop (a new test) gets new ones."""
        if self._loop is not loop or self._queue is None:
            self._loop = loop
            self._queue = asyncio.Queue()
            self._client = httpx.AsyncClient(follow_redirects=False, transport=self._transport)
            self._timers = set()
            self._tasks = [loop.create_task(self._work(self._queue)) for _ in range(self._worker_count)]
        return self._queue

    async def _work(self, queue: asyncio.Queue[tuple[Delivery, int]]) -> None:
        while True:
            delivery, number = await queue.get()
            self._in_flight += 1
            try:
                await self._attempt(delivery, number)
            except Exception:
                logger.exception("webhook delivery %s failed unexpectedly", delivery.delivery_id)
            finally:
                self._in_flight -= 1
                queue.task_done()

    async def _attempt(self, delivery: Delivery, number: int) -> None:
        if not delivery.live():
            return
        delays = delivery.policy.delays
        attempt = await self._send(delivery, number, final=number > len(delays))
        self._log.append(attempt)
        if delivery.on_attempt is not None:
            delivery.on_attempt(attempt)
        if attempt.ok:
            return
        if number <= len(delays):
            self._retry_later(delivery, number + 1, delays[number - 1] * self.time_scale)
        elif delivery.on_exhausted is not None and delivery.live():
            delivery.on_exhausted()

    def _retry_later(self, delivery: Delivery, number: int, delay: float) -> None:
        assert self._loop is not None and self._queue is not None
        queue = self._queue

        def due() -> None:
            self._timers.discard(timer)
            queue.put_nowait((delivery, number))

        timer = self._loop.call_later(delay, due)
        self._timers.add(timer)

    async def _send(self, delivery: Delivery, number: int, final: bool) -> Attempt:
        assert self._client is not None
        sent_at = datetime.now(UTC)
        started = time.perf_counter()
        status: int | None = None
        error: str | None = None
        try:
            response = await self._client.post(
                delivery.url,
                content=delivery.body,
                headers=delivery.headers(number),
                timeout=delivery.policy.timeout,
            )
            status = response.status_code
        except httpx.TimeoutException:
            error = f"no answer within {delivery.policy.timeout:g} s"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        ok = status is not None and delivery.policy.success(status)
        return Attempt(
            provider=delivery.provider,
            subscription=delivery.subscription,
            topic=delivery.topic,
            event_id=delivery.event_id,
            delivery_id=delivery.delivery_id,
            attempt=number,
            url=delivery.url,
            status=status,
            error=error,
            latency_ms=round((time.perf_counter() - started) * 1000, 2),
            sent_at=sent_at,
            ok=ok,
            final=ok or final,
        )
