"""Seed 004's "Check Integration": are an integration's hooks upstream there, and does a delivery through
them arrive?

`check_integration` first repairs the hooks (registration.py's `check_health`), then sends a made-up
delivery signed as the upstream signs it to the registered destination over HTTP, as the upstream would
reach it (through the same network guard as every upstream call), and reports whether it was stored,
with the latency. Its topic is one nothing acts on, so a check never changes data.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx
from sqlalchemy import select

from ledgerlink.connectors.loading import webhook_spec
from ledgerlink.connectors.registry import get_provider
from ledgerlink.errors import ConfigurationError, LedgerlinkError
from ledgerlink.models import InboxEvent, Integration, WebhookRegistration
from ledgerlink.runtime import Runtime
from ledgerlink.upstream.client import network_policy
from ledgerlink.upstream.network import GuardedTransport
from ledgerlink.webhooks.destinations import masked_destination
from ledgerlink.webhooks.registration import Repair, _integration, _require_secret, _rows, _upstream, check_health

CHECK_TIMEOUT_SECONDS = 15.0  # what the upstreams give a destination, about


@dataclass(frozen=True)
class Probe:
    topic: str
    destination: str
    delivered: bool  # answered 2xx and stored in the inbox
    status_code: int | None
    latency_ms: int | None
    stored: bool
    error: str | None


async def send_check(runtime: Runtime, integration: Integration, destination: str) -> Probe:
    """POST a delivery signed as the upstream signs it to `destination`, through the same network guard
    as every upstream call, and look for it in the inbox."""
    upstream = _upstream(runtime.secrets, integration, runtime)
    delivery = upstream.connector.webhook_check_delivery(_require_secret(integration, upstream))
    spec = webhook_spec(get_provider(integration.provider))
    dedupe_key = spec.parse(delivery.headers, delivery.body).dedupe_key if spec else None

    def probe(delivered: bool, status: int | None, latency: int | None, stored: bool, error: str | None) -> Probe:
        return Probe(delivery.topic, masked_destination(destination), delivered, status, latency, stored, error)

    started = time.perf_counter()
    try:
        async with httpx.AsyncClient(
            transport=GuardedTransport(network_policy()), timeout=CHECK_TIMEOUT_SECONDS, follow_redirects=False
        ) as http:
            response = await http.post(destination, content=delivery.body, headers=delivery.headers)
    except LedgerlinkError as exc:
        return probe(False, None, None, False, exc.message)
    except httpx.HTTPError as exc:
        return probe(False, None, None, False, f"{type(exc).__name__}: {exc}"[:300])
    latency = round((time.perf_counter() - started) * 1000)
    stored = False
    if dedupe_key is not None:
        async with runtime.sessions() as session:
            found = await session.execute(
                select(InboxEvent.id).where(
                    InboxEvent.integration_id == integration.id, InboxEvent.dedupe_key == dedupe_key[:300]
                )
            )
            stored = found.first() is not None
    ok = 200 <= response.status_code < 300
    error = None
    if not ok:
        error = f"HTTP {response.status_code}: {response.text[:300]}"
    elif not stored:
        error = "the destination answered 2xx but the delivery is not in this integration's inbox"
    return probe(ok and stored, response.status_code, latency, stored, error)


@dataclass(frozen=True)
class CheckResult:
    registrations: list[WebhookRegistration]
    repairs: list[Repair]
    probe: Probe


async def check_integration(runtime: Runtime, integration_id: str, *, workspace_id: str | None = None) -> CheckResult:
    """Seed 004's "Check Integration": the hooks exist upstream (repaired if not), and a test event sent
    through the registered destination arrives."""
    async with runtime.sessions() as session:
        integration = await _integration(session, integration_id, workspace_id)
    if integration.status == "disabled":
        raise ConfigurationError("the integration is disabled: its webhooks are not registered", {"status": "disabled"})
    repairs = await check_health(runtime, integration.id)
    async with runtime.sessions() as session:
        rows = list((await _rows(session, integration.id)).values())
    if not rows:
        raise ConfigurationError(
            "no webhooks are registered for this integration: register them first "
            f"(POST /v1/integrations/{integration.id}/webhooks/register)",
            {"integrationId": integration.id},
        )
    active = [row for row in rows if row.status == "active"] or rows
    probe = await send_check(runtime, integration, active[0].destination)
    return CheckResult(rows, repairs, probe)
