"""The hub reacting to its own events: master stock reaches the other channels, and an integration
with real-time sync on gets its webhooks registered upstream, with no API call asking for either."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import select

from ledgerlink.models import WebhookRegistration
from ledgerlink.reactions import react
from ledgerlink.runtime import Runtime
from tests.conftest import Sandbox, make_tenant
from tests.sync_support import setup_store, sync
from tests.webhook_receiver import serving

pytestmark = pytest.mark.slow


async def test_a_stock_change_at_the_master_is_propagated_by_itself(
    client: httpx.AsyncClient, runtime: Runtime, sandbox: Sandbox
) -> None:
    for provider in ("woocommerce", "bigcommerce"):
        sandbox.reset(provider)
    tenant = await make_tenant(runtime)
    master = await setup_store(
        client, tenant.headers, "woocommerce", sandbox.credentials("woocommerce"), inventoryMaster=True
    )
    channel = await setup_store(client, tenant.headers, "bigcommerce", sandbox.credentials("bigcommerce"))
    for iid in (master, channel):
        for stream in ("locations", "products", "inventory"):
            await sync(client, runtime, tenant.headers, iid, stream, batchSize=100)
    await react(runtime)  # what happened so far (the syncs) is history

    sku = (await client.get("/v1/inventory?limit=1", headers=tenant.headers)).json()["data"][0]["sku"]
    r = await client.post(
        "/v1/integrations/woocommerce/update-inventory",
        headers=tenant.headers,
        json={"integrationId": master, "items": [{"sku": sku, "quantity": 23, "updateType": "set"}]},
    )
    assert r.json()["data"]["updated"] == 1, r.text
    counts = await react(runtime)
    assert counts["propagated"] == 1, counts
    for iid in (master, channel):
        rows = (
            await client.get(f"/v1/inventory?sku={sku}&integrationId={iid}&limit=50", headers=tenant.headers)
        ).json()["data"]
        assert 23 in {row["onHand"] for row in rows}, rows  # the channel's stock location now says 23 too
    assert (await react(runtime))["propagated"] == 0  # the channel's own change does not bounce back


async def test_real_time_sync_registers_the_hooks_by_itself(
    app, client: httpx.AsyncClient, runtime: Runtime, sandbox: Sandbox
) -> None:
    tenant = await make_tenant(runtime)
    await react(runtime)
    async with serving(app) as hub:
        runtime.settings.public_url = hub
        try:
            iid = await setup_store(
                client,
                tenant.headers,
                "bigcommerce",
                sandbox.credentials("bigcommerce"),
                name=f"rt {uuid.uuid4().hex[:6]}",
                realTimeSync=True,
            )
            assert (await react(runtime))["registered"] == 1
        finally:
            runtime.settings.public_url = None
    async with runtime.sessions() as session:
        rows = (
            await session.execute(select(WebhookRegistration).where(WebhookRegistration.integration_id == iid))
        ).all()
    assert rows
