"""Inbound webhooks through the API: verified, committed before 2xx, deduplicated, then processed
into the upstream's newest state (BigCommerce light payloads fetched from its sandbox)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from email.utils import parsedate_to_datetime

import httpx
from sqlalchemy import func, select

from ledgerlink.models import ExternalRef, InboxEvent, Order
from ledgerlink.runtime import Runtime
from ledgerlink.webhooks import standard
from ledgerlink.webhooks.process import drain
from tests.conftest import Sandbox, Tenant
from tests.helpers import assert_error
from tests.sync_support import setup_store

SHOP_SECRET = "shpss_0123456789abcdef"
STRIPE_SECRET = "whsec_test_secret_for_inbound"


async def _integration(client: httpx.AsyncClient, tenant: Tenant, provider: str, credentials: dict) -> str:
    r = await client.post(
        f"/v1/integrations/{provider}/setup",
        headers=tenant.headers,
        json={"name": f"{provider}-{uuid.uuid4().hex[:6]}", "credentials": credentials, "verify": False},
    )
    assert r.status_code == 201, r.text
    return str(r.json()["data"]["id"])


async def _stored(runtime: Runtime, integration_id: str) -> int:
    async with runtime.sessions() as session:
        return int(
            (
                await session.execute(
                    select(func.count()).select_from(InboxEvent).where(InboxEvent.integration_id == integration_id)
                )
            ).scalar_one()
        )


def _shopify_headers(body: bytes, secret: str = SHOP_SECRET, event_id: str = "evt-1") -> dict[str, str]:
    mac = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return {
        "X-Shopify-Hmac-Sha256": mac,
        "X-Shopify-Topic": "orders/updated",
        "X-Shopify-Event-Id": event_id,
        "X-Shopify-Shop-Domain": "ledger-test.myshopify.com",
        "Content-Type": "application/json",
    }


async def test_shopify_signature_tamper_wrong_secret_and_duplicates(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime
) -> None:
    iid = await _integration(
        client,
        tenant,
        "shopify",
        {"shopDomain": "ledger-test.myshopify.com", "accessToken": "shpat_abcdefgh", "webhookSecret": SHOP_SECRET},
    )
    body = json.dumps({"id": 820982911946154508, "updated_at": "2026-11-25T10:00:00Z"}).encode()
    url = f"/v1/webhooks/inbound/{iid}"

    r = await client.post(url, content=body + b" ", headers=_shopify_headers(body))
    assert_error(r, 401, "WEBHOOK_VERIFICATION_FAILED")
    r = await client.post(url, content=body, headers=_shopify_headers(body, secret="another-secret-entirely"))
    assert_error(r, 401, "WEBHOOK_VERIFICATION_FAILED")
    assert await _stored(runtime, iid) == 0  # nothing refused was kept

    first = await client.post(url, content=body, headers=_shopify_headers(body))
    again = await client.post(url, content=body, headers=_shopify_headers(body))
    assert first.status_code == again.status_code == 200, first.text
    assert first.json()["data"]["duplicate"] is False and again.json()["data"]["duplicate"] is True
    assert await _stored(runtime, iid) == 1
    r = await client.get("/v1/webhooks-inbox", headers=tenant.headers, params={"integrationId": iid})
    assert [e["topic"] for e in r.json()["data"]] == ["orders/updated"]


async def test_stripe_stale_timestamp_refused(client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime) -> None:
    iid = await _integration(
        client, tenant, "stripe", {"secretKey": "sk_test_" + "a" * 24, "webhookEndpointSecret": STRIPE_SECRET}
    )
    body = json.dumps({"id": "evt_1", "type": "charge.succeeded", "created": 1, "data": {"object": {"id": "ch_1"}}})

    def signed(stamp: int) -> dict[str, str]:
        mac = hmac.new(STRIPE_SECRET.encode(), f"{stamp}.{body}".encode(), hashlib.sha256).hexdigest()
        return {"Stripe-Signature": f"t={stamp},v1={mac}", "Content-Type": "application/json"}

    r = await client.post(f"/v1/webhooks/inbound/{iid}", content=body, headers=signed(int(time.time()) - 600))
    assert_error(r, 401, "WEBHOOK_VERIFICATION_FAILED")
    r = await client.post(f"/v1/webhooks/inbound/{iid}", content=body, headers=signed(int(time.time())))
    assert r.status_code == 200, r.text
    assert await _stored(runtime, iid) == 1


async def test_unknown_integration_and_bad_token(client: httpx.AsyncClient) -> None:
    r = await client.post("/v1/webhooks/inbound/int_nope", content=b"{}")
    assert_error(r, 404, "NOT_FOUND")
    r = await client.post("/direct/webhook/big-commerce/order/" + "x" * 24, content=b"{}")
    assert_error(r, 404, "NOT_FOUND")


def _bigcommerce_delivery(client_secret: str, order_id: int, scope: str, hook_hash: str) -> tuple[bytes, dict]:
    body = json.dumps(
        {
            "store_id": 1,
            "producer": "stores/abc",
            "scope": scope,
            "data": {"type": "order", "id": order_id},
            "hash": hook_hash,
            "created_at": int(time.time()),
        }
    ).encode()
    headers = standard.sign([client_secret.encode()], f"msg_{hook_hash}", int(time.time()), body)
    return body, {**headers, "Content-Type": "application/json"}


async def test_bigcommerce_light_payloads_are_fetched_and_out_of_order_events_end_newest(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime, sandbox: Sandbox
) -> None:
    creds = sandbox.credentials("bigcommerce")
    iid = await setup_store(client, tenant.headers, "bigcommerce", creds, name=f"bc-{uuid.uuid4().hex[:6]}")
    order_id = 100_010  # a sandbox order
    base = f"{sandbox.base_url}/bigcommerce"
    # The order changes twice upstream; the webhooks arrive newest first.
    httpx.post(f"{base}/_sandbox/orders/{order_id}/touch").raise_for_status()
    httpx.post(f"{base}/_sandbox/orders/{order_id}/touch").raise_for_status()
    for n in (2, 1):
        body, headers = _bigcommerce_delivery(creds["clientSecret"], order_id, "store/order/updated", f"h{n}{iid}")
        r = await client.post(f"/v1/webhooks/inbound/{iid}", content=body, headers=headers)
        assert r.status_code == 200, r.text
    result = await drain(runtime, iid)
    assert result.processed == 2 and result.failed == 0
    async with runtime.sessions() as session:
        stored = (await session.execute(select(Order).where(Order.integration_id == iid))).scalars().all()
    assert len(stored) == 1  # fetched once per record, written once
    upstream = httpx.get(
        f"{base}/stores/{creds['storeHash']}/v2/orders/{order_id}", headers={"X-Auth-Token": creds["accessToken"]}
    ).json()
    async with runtime.sessions() as session:
        seen = (
            await session.execute(
                select(ExternalRef.upstream_updated_at).where(
                    ExternalRef.integration_id == iid, ExternalRef.resource_type == "order"
                )
            )
        ).scalar_one()
    assert seen == parsedate_to_datetime(upstream["date_modified"])  # the newest state, not the older event's
    inbox = (await client.get("/v1/webhooks-inbox", headers=tenant.headers, params={"integrationId": iid})).json()
    assert {e["status"] for e in inbox["data"]} == {"processed"}


async def test_the_fast_lane_keeps_the_api_conventions(client: httpx.AsyncClient, tenant: Tenant) -> None:
    """Inbound webhooks are answered before the FastAPI router: same envelope, same limits."""
    iid = await _integration(
        client,
        tenant,
        "shopify",
        {"shopDomain": "lane-test.myshopify.com", "accessToken": "shpat_abcdefgh", "webhookSecret": SHOP_SECRET},
    )
    r = await client.post(f"/v1/webhooks/inbound/{iid}", content=b"x" * 2_000_000)
    assert_error(r, 413, "PAYLOAD_TOO_LARGE")
    r = await client.post(f"/v1/webhooks/inbound/{iid}", content=b"{}")
    assert_error(r, 401, "WEBHOOK_VERIFICATION_FAILED")
    assert r.headers["x-request-id"].startswith("req_")
    r = await client.post("/direct/webhook/big-commerce/order/short", content=b"{}")  # not a token: FastAPI's 400
    assert_error(r, 400, "VALIDATION_ERROR")


async def test_a_nul_in_a_payload_id_neither_fails_its_batch_nor_alters_the_stored_body(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime
) -> None:
    """PostgreSQL's text holds no NUL; a delivery whose event id carries one is stored with the rest of
    its batch, its raw body byte for byte, and its redelivery is still known as a duplicate."""
    iid = await _integration(
        client,
        tenant,
        "shopify",
        {"shopDomain": "ledger-test.myshopify.com", "accessToken": "shpat_abcdefgh", "webhookSecret": SHOP_SECRET},
    )
    odd = json.dumps(
        {"id": 820982911946154510, "note": "nul \u0000 inside", "updated_at": "2026-11-25T10:00:00Z"}
    ).encode()
    plain = json.dumps({"id": 820982911946154509, "updated_at": "2026-11-25T10:00:00Z"}).encode()
    url = f"/v1/webhooks/inbound/{iid}"
    answers = await asyncio.gather(
        client.post(url, content=odd, headers=_shopify_headers(odd, event_id="evt-nul\u0000")),
        client.post(url, content=plain, headers=_shopify_headers(plain, event_id="evt-plain")),
    )
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    async with runtime.sessions() as session:
        bodies = set((await session.execute(select(InboxEvent.body).where(InboxEvent.integration_id == iid))).scalars())
    assert bodies == {odd, plain}
    again = await client.post(url, content=odd, headers=_shopify_headers(odd, event_id="evt-nul\u0000"))
    assert again.status_code == 200 and again.json()["data"]["duplicate"] is True
    # The six characters backslash-u-0-0-0-0 are text like any other: kept as they came.
    literal = await client.post(url, content=plain, headers=_shopify_headers(plain, event_id="evt-\\u0000"))
    assert literal.status_code == 200 and literal.json()["data"]["duplicate"] is False
    async with runtime.sessions() as session:
        keys = set(
            (await session.execute(select(InboxEvent.dedupe_key).where(InboxEvent.integration_id == iid))).scalars()
        )
    assert "evt-\\u0000" in keys and "evt-nul\ufffd" in keys
