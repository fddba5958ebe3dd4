"""Sending a subscription's due deliveries: signed, at least once, retried on schedule.

A delivery is claimed with a lease (so a second sender, or one after a crash, never sends it while
the first may still be), sent, and settled with its attempt logged: success is a 2xx within 15 s
(redirects are not followed: a 3xx is a failure); 410 Gone disables the endpoint; otherwise the
next try is scheduled (or the delivery fails for good and says so with an event). An endpoint that
has failed for five days is disabled. Endpoints are reached only through the SSRF guard.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
from sqlalchemy import func, select, text, update

from ledgerlink.events import emit
from ledgerlink.models import Event, WebhookAttempt, WebhookDelivery, WebhookSubscription
from ledgerlink.runtime import Runtime
from ledgerlink.upstream.client import network_policy
from ledgerlink.upstream.lanes import LaneTransport
from ledgerlink.upstream.network import AddressRefused, GuardedTransport
from ledgerlink.webhooks import retry_schedule
from ledgerlink.webhooks.fanout import defer_sender
from ledgerlink.webhooks.signing import delivery_headers
from ledgerlink.webhooks.source_payload import SourcePayloads
from ledgerlink.webhooks.subscriptions import disable, secrets_of

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 15.0
LEASE_SECONDS = 60
BATCH = 200
CONCURRENCY = 32
EXCERPT = 1000
FAILING_FOR = timedelta(days=5)

_CLAIM = text(
    """
    UPDATE webhook_deliveries SET lease_until = now() + make_interval(secs => :lease)
     WHERE id IN (
        SELECT id FROM webhook_deliveries
         WHERE subscription_id = :sid AND status = 'pending' AND next_attempt_at <= now()
           AND (lease_until IS NULL OR lease_until < now())
         ORDER BY next_attempt_at, id LIMIT :batch
         FOR UPDATE SKIP LOCKED)
    RETURNING id, event_id, attempts
    """
)


@dataclass
class Outcome:
    delivery_id: str
    attempts: int  # including this one
    status_code: int | None
    latency_ms: int
    excerpt: str | None
    error: str | None
    retry_after: float | None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def envelope(event: Event) -> dict[str, Any]:
    """Seed 000's payload: event, source, integrationId, timestamp, data (and the event's id)."""
    return {
        "id": event.id,
        "event": event.type,
        "source": event.source,
        "integrationId": event.integration_id,
        "timestamp": event.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "data": event.data,
    }


async def send_due(runtime: Runtime, subscription_id: str) -> dict[str, int]:
    """Send everything due for the subscription now; schedule this sender again for the next retry."""
    counts = {"sent": 0, "succeeded": 0, "failed": 0}
    async with runtime.sessions() as session:
        subscription = await session.get(WebhookSubscription, subscription_id)
    if subscription is None or not subscription.active:
        return counts
    secrets = secrets_of(runtime.secrets, subscription)
    sources = SourcePayloads(runtime)
    transport = GuardedTransport(network_policy(), LaneTransport(CONCURRENCY))
    try:
        async with httpx.AsyncClient(transport=transport, timeout=TIMEOUT_SECONDS, follow_redirects=False) as http:
            while True:
                async with runtime.sessions.begin() as session:
                    claimed = (
                        await session.execute(_CLAIM, {"sid": subscription_id, "lease": LEASE_SECONDS, "batch": BATCH})
                    ).all()
                    events = {
                        e.id: e
                        for e in (
                            await session.execute(select(Event).where(Event.id.in_([c.event_id for c in claimed])))
                        ).scalars()
                    }
                if not claimed:
                    break
                outcomes = await _send_batch(http, subscription, secrets, sources, claimed, events)
                await _settle(runtime, subscription, outcomes)
                counts["sent"] += len(outcomes)
                counts["succeeded"] += sum(o.succeeded for o in outcomes)
                counts["failed"] += sum(not o.succeeded for o in outcomes)
                async with runtime.sessions() as session:
                    still = await session.get(WebhookSubscription, subscription_id)
                if still is None or not still.active:
                    return counts
    finally:
        await sources.aclose()
    await _schedule_next(runtime, subscription_id)
    return counts


async def _send_batch(
    http: httpx.AsyncClient,
    subscription: WebhookSubscription,
    secrets: list[str],
    sources: SourcePayloads,
    claimed: list[Any],
    events: dict[str, Event],
) -> list[Outcome]:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(delivery_id: str, event_id: str, attempts: int) -> Outcome:
        async with gate:
            event = events.get(event_id)
            body = await _body(subscription, event, sources) if event is not None else b"{}"
            return await _post(http, subscription.endpoint, secrets, delivery_id, attempts + 1, body)

    return list(await asyncio.gather(*(one(c.id, c.event_id, c.attempts) for c in claimed)))


async def _body(subscription: WebhookSubscription, event: Event, sources: SourcePayloads) -> bytes:
    if subscription.format == "source":
        resource = await sources.for_event(event)
        if resource is not None:
            return orjson.dumps(resource)
    return orjson.dumps(envelope(event))


async def _post(
    http: httpx.AsyncClient, endpoint: str, secrets: list[str], delivery_id: str, attempt: int, body: bytes
) -> Outcome:
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "ledgerlink-webhooks",
        **delivery_headers(secrets, delivery_id, int(time.time()), body),
    }
    started = time.perf_counter()
    try:
        response = await http.post(endpoint, content=body, headers=headers)
    except AddressRefused as exc:
        return Outcome(delivery_id, attempt, None, _ms(started), None, exc.message, None)
    except httpx.HTTPError as exc:
        return Outcome(delivery_id, attempt, None, _ms(started), None, f"{type(exc).__name__}: {exc}"[:500], None)
    error = None
    if 300 <= response.status_code < 400:
        error = f"redirect to {response.headers.get('location', '?')} not followed"
    return Outcome(
        delivery_id,
        attempt,
        response.status_code,
        _ms(started),
        response.text[:EXCERPT],
        error,
        retry_schedule.parse_retry_after(response.headers.get("retry-after")),
    )


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


async def _settle(runtime: Runtime, subscription: WebhookSubscription, outcomes: list[Outcome]) -> None:
    scale = runtime.settings.webhook_retry_scale
    now = datetime.now(UTC)
    async with runtime.sessions.begin() as session:
        session.add_all(
            WebhookAttempt(
                delivery_id=o.delivery_id,
                status_code=o.status_code,
                latency_ms=o.latency_ms,
                response_excerpt=o.excerpt,
                error=o.error,
            )
            for o in outcomes
        )
        succeeded = [o for o in outcomes if o.succeeded]
        for code in sorted({o.status_code for o in succeeded}):
            await session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id.in_([o.delivery_id for o in succeeded if o.status_code == code]))
                .values(
                    status="succeeded",
                    attempts=WebhookDelivery.attempts + 1,
                    last_status=code,
                    completed_at=func.now(),
                    lease_until=None,
                    last_error=None,
                )
            )
        row = await session.get(WebhookSubscription, subscription.id, with_for_update=True)
        assert row is not None
        if succeeded:
            row.failing_since = None
        failures = [o for o in outcomes if not o.succeeded]
        if any(o.status_code == 410 for o in failures):
            await disable(session, row, "the endpoint answered 410 Gone")
            _emit_disabled(session, row)
            return
        if failures and row.failing_since is None:
            row.failing_since = now
        for o in failures:
            delay = retry_schedule.next_delay(o.attempts, scale=scale, retry_after=o.retry_after)
            status = "pending" if delay is not None else "failed"
            await session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == o.delivery_id)
                .values(
                    status=status,
                    attempts=o.attempts,
                    last_status=o.status_code,
                    last_error=o.error or f"HTTP {o.status_code}",
                    next_attempt_at=retry_schedule.at(delay or 0, now),
                    lease_until=None,
                    completed_at=func.now() if delay is None else None,
                )
            )
            if delay is None:
                emit(
                    session,
                    workspace_id=row.workspace_id,
                    type="webhook.delivery_exhausted",
                    source="ledgerlink",
                    integration_id=row.integration_id,
                    subject_id=o.delivery_id,
                    data={"subscriptionId": row.id, "deliveryId": o.delivery_id, "attempts": o.attempts},
                )
        if failures and row.failing_since is not None and now - row.failing_since >= FAILING_FOR * scale:
            await disable(session, row, "the endpoint has been failing for five days")
            _emit_disabled(session, row)


def _emit_disabled(session: Any, row: WebhookSubscription) -> None:
    emit(
        session,
        workspace_id=row.workspace_id,
        type="webhook.endpoint_disabled",
        source="ledgerlink",
        integration_id=row.integration_id,
        subject_id=row.id,
        data={"subscriptionId": row.id, "endpoint": row.endpoint, "reason": row.disabled_reason},
    )


async def _schedule_next(runtime: Runtime, subscription_id: str) -> None:
    """The next retry of this subscription, if any, gets a sender scheduled for it."""
    async with runtime.sessions.begin() as session:
        due = (
            await session.execute(
                select(func.min(WebhookDelivery.next_attempt_at)).where(
                    WebhookDelivery.subscription_id == subscription_id, WebhookDelivery.status == "pending"
                )
            )
        ).scalar()
        if due is not None:
            await defer_sender(session, subscription_id, scheduled_at=due)
