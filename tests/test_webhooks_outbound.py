"""Outbound webhooks: subscriptions, signed at-least-once deliveries, retries, 410, SSRF, replay.

The subscriber is a real HTTP server on loopback; signatures are checked with the
`standardwebhooks` package, not with our own code."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json

import httpx
import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from ledgerlink.events import emit
from ledgerlink.models import Event, WebhookDelivery
from ledgerlink.runtime import Runtime
from ledgerlink.webhooks.deliver import send_due
from ledgerlink.webhooks.fanout import fan_out
from tests.conftest import Tenant
from tests.helpers import assert_error
from tests.webhook_receiver import Receiver, running_receiver

SECRET = "webhook_verification_secret"


async def _subscribe(client: httpx.AsyncClient, tenant: Tenant, endpoint: str, **extra: object) -> dict:
    r = await client.post(
        "/v1/webhooks",
        headers=tenant.headers,
        json={"events": ["order.created", "order.updated"], "endpoint": endpoint, "secret": SECRET, **extra},
    )
    assert r.status_code == 201, r.text
    return r.json()["data"]


async def _emit(runtime: Runtime, workspace_id: str, n: int, type: str = "order.created") -> list[str]:
    async with runtime.sessions.begin() as session:
        events = [
            emit(session, workspace_id=workspace_id, type=type, source="shopify", data={"orderId": f"ord_{i}"})
            for i in range(n)
        ]
    return [e.id for e in events]


async def _deliver_until_settled(runtime: Runtime, subscription_id: str, timeout: float = 60.0) -> None:
    """What the worker does: fan out, then send whatever is due, again until nothing is pending."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        await fan_out(runtime)
        await send_due(runtime, subscription_id)
        async with runtime.sessions() as session:
            pending = (
                await session.execute(
                    select(WebhookDelivery.id).where(
                        WebhookDelivery.subscription_id == subscription_id, WebhookDelivery.status == "pending"
                    )
                )
            ).all()
        if not pending:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"deliveries still pending after {timeout} s")


def _verify(receiver: Receiver) -> list[dict]:
    bodies = []
    for got in receiver.received:
        Webhook(SECRET.encode()).verify(got.body, got.headers, json_parse=False)  # raises if not ours
        expected = hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
        assert got.headers["x-webhook-signature"] == expected  # seed 001's verification snippet
        bodies.append(json.loads(got.body))
    return bodies


async def test_subscription_refuses_bad_input(client: httpx.AsyncClient, tenant: Tenant) -> None:
    r = await client.post(
        "/v1/webhooks",
        headers=tenant.headers,
        json={"events": ["order.exploded"], "endpoint": "ftp://example.com/x", "secret": "short"},
    )
    body = assert_error(r, 400, "VALIDATION_ERROR")
    fields = {d["field"] for d in body["details"]}
    assert {"body.events", "body.endpoint", "body.secret"} <= fields, body
    r = await client.post(
        "/v1/integrations/int_nope/webhooks",
        headers=tenant.headers,
        json={"events": ["order.created"], "endpoint": "https://example.com/h"},
    )
    assert_error(r, 404, "NOT_FOUND")


async def test_generated_secret_is_shown_once(client: httpx.AsyncClient, tenant: Tenant) -> None:
    r = await client.post(
        "/v1/webhooks", headers=tenant.headers, json={"events": ["*"], "endpoint": "https://example.com/h"}
    )
    created = r.json()["data"]
    assert created["secret"].startswith("whsec_")
    r = await client.get(f"/v1/webhooks/{created['id']}", headers=tenant.headers)
    assert r.status_code == 200, r.text
    again = r.json()["data"]
    assert again["secret"] is None and SECRET not in json.dumps(again)


async def test_events_arrive_signed_with_the_seed_payload(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime
) -> None:
    async with running_receiver() as receiver:
        sub = await _subscribe(client, tenant, receiver.url)
        ids = await _emit(runtime, tenant.workspace_id, 3)
        await _emit(runtime, tenant.workspace_id, 1, type="product.updated")  # not subscribed
        await _deliver_until_settled(runtime, sub["id"])
        bodies = _verify(receiver)
    assert sorted(b["id"] for b in bodies) == sorted(ids)
    assert {tuple(sorted(b)) for b in bodies} == {("data", "event", "id", "integrationId", "source", "timestamp")}
    assert all(b["event"] == "order.created" and b["source"] == "shopify" for b in bodies)


async def test_a_subscriber_that_is_down_gets_every_event_once_back(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime
) -> None:
    async with running_receiver() as receiver:
        receiver.status = 503
        sub = await _subscribe(client, tenant, receiver.url)
        ids = await _emit(runtime, tenant.workspace_id, 5)
        await fan_out(runtime)
        await send_due(runtime, sub["id"])
        await send_due(runtime, sub["id"])
        failed_tries = list(receiver.received)
        assert len(failed_tries) >= 5
        receiver.status, receiver.received = 200, []
        await _deliver_until_settled(runtime, sub["id"])
        bodies = _verify(receiver)
        # Retries keep the message id: the ids seen while down are the ids delivered once up.
        assert {t.headers["webhook-id"] for t in failed_tries} == {r.headers["webhook-id"] for r in receiver.received}
    assert sorted(b["id"] for b in bodies) == sorted(ids)
    r = await client.get(f"/v1/webhooks/{sub['id']}/deliveries", headers=tenant.headers)
    deliveries = r.json()["data"]
    assert {d["status"] for d in deliveries} == {"succeeded"} and all(d["attempts"] >= 2 for d in deliveries)
    one = (await client.get(f"/v1/webhook-deliveries/{deliveries[0]['id']}", headers=tenant.headers)).json()["data"]
    assert [a["statusCode"] for a in one["attemptLog"]][-1] == 200 and one["attemptLog"][0]["statusCode"] == 503


async def test_exhausted_retries_and_410_are_reported(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime
) -> None:
    async with running_receiver() as receiver:
        receiver.status = 500
        sub = await _subscribe(client, tenant, receiver.url)
        await _emit(runtime, tenant.workspace_id, 1)
        await _deliver_until_settled(runtime, sub["id"])
        assert len(receiver.received) == 8  # immediately + the seven scheduled retries
        receiver.status = 410
        await _emit(runtime, tenant.workspace_id, 1)
        await _deliver_until_settled(runtime, sub["id"])
    state = (await client.get(f"/v1/webhooks/{sub['id']}", headers=tenant.headers)).json()["data"]
    assert state["active"] is False and "410" in state["disabledReason"]
    async with runtime.sessions() as session:
        kinds = set(
            (await session.execute(select(Event.type).where(Event.workspace_id == tenant.workspace_id))).scalars()
        )
    assert {"webhook.delivery_exhausted", "webhook.endpoint_disabled"} <= kinds


@pytest.mark.parametrize(
    "endpoint",
    ["http://169.254.169.254/latest/meta-data", "http://10.1.2.3/hook", "http://[fd00::1]/hook", "http://100.64.0.1/"],
)
async def test_ssrf_targets_are_refused_at_connect_time(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime, endpoint: str
) -> None:
    sub = await _subscribe(client, tenant, endpoint)
    await _emit(runtime, tenant.workspace_id, 1)
    await fan_out(runtime)
    await send_due(runtime, sub["id"])
    deliveries = (await client.get(f"/v1/webhooks/{sub['id']}/deliveries", headers=tenant.headers)).json()["data"]
    one = (await client.get(f"/v1/webhook-deliveries/{deliveries[0]['id']}", headers=tenant.headers)).json()["data"]
    assert one["attemptLog"][0]["statusCode"] is None
    assert "refusing to call" in one["attemptLog"][0]["error"]


async def test_replay_sends_past_events_again_with_their_ids(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime
) -> None:
    async with running_receiver() as receiver:
        sub = await _subscribe(client, tenant, receiver.url)
        await _emit(runtime, tenant.workspace_id, 2)
        await _deliver_until_settled(runtime, sub["id"])
        first = sorted(r.headers["webhook-id"] for r in receiver.received)
        receiver.received = []
        r = await client.post(
            f"/v1/webhooks/{sub['id']}/replay", headers=tenant.headers, json={"since": "2000-01-01T00:00:00Z"}
        )
        assert r.json()["data"]["requeued"] == 2, r.text
        await _deliver_until_settled(runtime, sub["id"])
        assert sorted(r.headers["webhook-id"] for r in receiver.received) == first


async def test_replay_refuses_a_window_it_cannot_read(client: httpx.AsyncClient, tenant: Tenant) -> None:
    sub = await _subscribe(client, tenant, "https://example.com/hook")
    url = f"/v1/webhooks/{sub['id']}/replay"
    for body, field in (
        ({}, "body.since"),
        ({"since": "2026-01-01T00:00:00"}, "body.since"),  # no offset: which day is meant?
        ({"since": "yesterday"}, "body.since"),
        ({"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "body"),
    ):
        error = assert_error(await client.post(url, headers=tenant.headers, json=body), 400, "VALIDATION_ERROR")
        assert field in {d["field"] for d in error["details"]}, error
