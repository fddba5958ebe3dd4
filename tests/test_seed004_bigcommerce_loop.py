"""Seed 004, the whole loop against the BigCommerce sandbox over real sockets:

1. ledgerlink creates the hook at BigCommerce (`POST /stores/{hash}/v2/hooks`, destination
   `/direct/webhook/big-commerce/order/{token}`);
2. an order changes in the store; BigCommerce POSTs its light payload to that destination;
3. ledgerlink fetches the full order (`GET /v2/orders/{id}` and its sub-resources);
4. and POSTs the object it received to the subscriber (a `format: "source"` subscription), signed;
5. "Check Integration" reports the hook working, with its latency.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from ledgerlink.models import InboxEvent
from ledgerlink.runtime import Runtime
from ledgerlink.webhooks.deliver import send_due
from ledgerlink.webhooks.fanout import fan_out
from ledgerlink.webhooks.process import drain
from tests.conftest import Sandbox, Tenant
from tests.sync_support import setup_store
from tests.webhook_receiver import running_receiver, serving

pytestmark = pytest.mark.slow
SECRET = "onetribe_destination_secret"


async def _inbox(runtime: Runtime, integration_id: str) -> list[InboxEvent]:
    async with runtime.sessions() as session:
        rows = await session.execute(select(InboxEvent).where(InboxEvent.integration_id == integration_id))
        return list(rows.scalars())


async def test_order_change_reaches_the_subscriber_as_the_full_bigcommerce_order(
    app: Any, client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, sandbox: Sandbox
) -> None:
    creds = sandbox.credentials("bigcommerce")
    iid = await setup_store(client, tenant.headers, "bigcommerce", creds, name=f"seed004 {uuid.uuid4().hex[:6]}")
    async with serving(app) as hub, running_receiver() as receiver:
        # 1. the hook, created by the hub at the store
        r = await client.post(
            f"/v1/integrations/{iid}/webhooks/register", headers=tenant.headers, json={"publicUrl": hub}
        )
        assert r.status_code == 200, r.text
        hooks = httpx.get(
            f"{sandbox.base_url}/bigcommerce/stores/{creds['storeHash']}/v2/hooks",
            headers={"X-Auth-Token": creds["accessToken"]},
        ).json()
        ours = [h for h in hooks if "/direct/webhook/big-commerce/order/" in h["destination"] and h["is_active"]]
        assert {h["scope"] for h in ours} >= {"store/order/*"}, hooks

        r = await client.post(
            f"/v1/integrations/{iid}/webhooks",
            headers=tenant.headers,
            json={
                "events": ["order.created", "order.updated"],
                "endpoint": receiver.url,
                "secret": SECRET,
                "format": "source",
            },
        )
        assert r.status_code == 201, r.text
        subscription = r.json()["data"]["id"]

        # 2. an order changes in the store: BigCommerce calls the destination
        order_id = 100_030
        sandbox.control("bigcommerce", "POST", f"/_sandbox/orders/{order_id}/touch")
        for _ in range(100):
            if await _inbox(runtime, iid):
                break
            await asyncio.sleep(0.05)
        stored = await _inbox(runtime, iid)
        assert stored and stored[0].external_id == str(order_id), stored

        # 3. the light payload is fetched in full, 4. and forwarded as BigCommerce's own order
        result = await drain(runtime, iid)
        assert result.processed >= 1 and result.failed == 0
        for _ in range(20):
            await fan_out(runtime)
            await send_due(runtime, subscription)
            if receiver.received:
                break
            await asyncio.sleep(0.05)
        assert len(receiver.received) == 1
        got = receiver.received[0]
        Webhook(SECRET.encode()).verify(got.body, got.headers, json_parse=False)
        order = json.loads(got.body)
        upstream = httpx.get(
            f"{sandbox.base_url}/bigcommerce/stores/{creds['storeHash']}/v2/orders/{order_id}",
            headers={"X-Auth-Token": creds["accessToken"]},
        ).json()
        assert set(order) == set(upstream)  # BigCommerce's object as GET /v2/orders/{id} answers it
        assert order["id"] == order_id and order["date_modified"] == upstream["date_modified"]
        assert order["status_id"] == upstream["status_id"] and order["total_inc_tax"] == upstream["total_inc_tax"]

        # 5. Check Integration
        r = await client.post(f"/v1/integrations/{iid}/webhooks/check", headers=tenant.headers)
        assert r.status_code == 200, r.text
        check = r.json()["data"]
        assert check["delivered"] is True and check["latencyMs"] >= 0, check
