"""Registration of the hub's webhooks at the upstream platforms, against the sandbox stores over real sockets:
the hooks appear in each store's own API with our destination, once however often we register; a hook
deleted upstream is repaired by "Check Integration", which then delivers a signed test event through the
hub's public address (the app served by uvicorn on a real port here) into the inbox; unregistering and
disabling remove the hooks upstream.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from ledgerlink.connectors.bigcommerce import registration as bigcommerce_hooks
from ledgerlink.connectors.shopify import registration as shopify_hooks
from ledgerlink.connectors.woocommerce import registration as woocommerce_hooks
from ledgerlink.integrations import service
from ledgerlink.models import InboxEvent, Integration, WebhookRegistration
from ledgerlink.runtime import Runtime
from ledgerlink.webhooks.registration_tasks import check_all
from tests.conftest import Sandbox, Tenant, make_tenant
from tests.helpers import assert_error
from tests.sync_support import setup_store
from tests.webhook_receiver import serving

pytestmark = pytest.mark.slow

PROVIDERS = ("shopify", "woocommerce", "bigcommerce")
TOPICS = {
    "shopify": shopify_hooks.TOPICS,
    "woocommerce": woocommerce_hooks.TOPICS,
    "bigcommerce": bigcommerce_hooks.TOPICS,
}


@pytest.fixture(scope="module")
async def hub(app: Any) -> AsyncIterator[str]:
    """The hub's API on a real socket: the public URL the sandbox stores (and the check) deliver to."""
    async with serving(app) as base:
        yield base


# --- the stores' own view of their hooks -------------------------------------------------------------------


@dataclass(frozen=True)
class Hook:
    id: str
    topic: str
    destination: str
    active: bool


class StoreHooks:
    """A sandbox store's webhooks, read and deleted through the store's own API (not the hub's code)."""

    def __init__(self, sandbox: Sandbox, provider: str) -> None:
        self.provider = provider
        self.creds = sandbox.credentials(provider)
        self.base = str(self.creds["apiBaseUrl"]).rstrip("/")

    async def _shopify(self, http: httpx.AsyncClient, query: str, variables: dict[str, Any]) -> Any:
        r = await http.post(
            f"{self.base}/admin/api/2026-10/graphql.json",
            json={"query": query, "variables": variables},
            headers={"X-Shopify-Access-Token": self.creds["accessToken"]},
        )
        r.raise_for_status()
        return r.json()["data"]

    async def all(self) -> list[Hook]:
        async with httpx.AsyncClient(timeout=30) as http:
            if self.provider == "shopify":
                data = await self._shopify(http, "{ webhookSubscriptions(first: 250) { nodes { id topic uri } } }", {})
                return [Hook(n["id"], n["topic"], n["uri"], True) for n in data["webhookSubscriptions"]["nodes"]]
            if self.provider == "bigcommerce":
                r = await http.get(
                    f"{self.base}/stores/{self.creds['storeHash']}/v2/hooks",
                    headers={"X-Auth-Token": self.creds["accessToken"], "Accept": "application/json"},
                )
                r.raise_for_status()
                return [Hook(str(h["id"]), h["scope"], h["destination"], h["is_active"]) for h in r.json()]
            r = await http.get(
                f"{self.base}/wp-json/wc/v3/webhooks",
                params={"per_page": 100, "status": "all"},
                auth=(self.creds["consumerKey"], self.creds["consumerSecret"]),
            )
            r.raise_for_status()
            return [Hook(str(w["id"]), w["topic"], w["delivery_url"], w["status"] == "active") for w in r.json()]

    async def at(self, destination: str) -> list[Hook]:
        return [h for h in await self.all() if h.destination == destination]

    async def deactivate(self, hook_id: str) -> None:
        """What BigCommerce does to a hook whose deliveries kept failing."""
        assert self.provider == "bigcommerce"
        async with httpx.AsyncClient(timeout=30) as http:
            r = await http.put(
                f"{self.base}/stores/{self.creds['storeHash']}/v2/hooks/{hook_id}",
                json={"is_active": False},
                headers={"X-Auth-Token": self.creds["accessToken"], "Accept": "application/json"},
            )
            r.raise_for_status()

    async def delete(self, hook_id: str) -> None:
        async with httpx.AsyncClient(timeout=30) as http:
            if self.provider == "shopify":
                data = await self._shopify(
                    http,
                    "mutation($id: ID!) { webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId } }",
                    {"id": hook_id},
                )
                assert data["webhookSubscriptionDelete"]["deletedWebhookSubscriptionId"] == hook_id
                return
            if self.provider == "bigcommerce":
                r = await http.delete(
                    f"{self.base}/stores/{self.creds['storeHash']}/v2/hooks/{hook_id}",
                    headers={"X-Auth-Token": self.creds["accessToken"], "Accept": "application/json"},
                )
            else:
                r = await http.delete(
                    f"{self.base}/wp-json/wc/v3/webhooks/{hook_id}",
                    params={"force": "true"},
                    auth=(self.creds["consumerKey"], self.creds["consumerSecret"]),
                )
            r.raise_for_status()


# --- helpers ---------------------------------------------------------------------------------------------


async def _store(client: httpx.AsyncClient, tenant: Tenant, sandbox: Sandbox, provider: str) -> str:
    return await setup_store(
        client, tenant.headers, provider, sandbox.credentials(provider), name=f"{provider} {secrets.token_hex(4)}"
    )


async def _destination(runtime: Runtime, hub: str, provider: str, integration_id: str) -> str:
    """Where the hooks must deliver: the integration's inbound endpoint, or BigCommerce's token address."""
    if provider != "bigcommerce":
        return f"{hub}/v1/webhooks/inbound/{integration_id}"
    async with runtime.sessions() as session:
        integration = await session.get(Integration, integration_id)
    assert integration is not None and integration.inbound_token_encrypted
    token = runtime.secrets.decrypt_json(integration.inbound_token_encrypted)["token"]
    return f"{hub}/direct/webhook/big-commerce/order/{token}"


async def _register(client: httpx.AsyncClient, tenant: Tenant, integration_id: str, hub: str) -> list[dict[str, Any]]:
    r = await client.post(
        f"/v1/integrations/{integration_id}/webhooks/register", headers=tenant.headers, json={"publicUrl": hub}
    )
    assert r.status_code == 200, r.text
    return list(r.json()["data"])


async def _unregister(client: httpx.AsyncClient, tenant: Tenant, integration_id: str) -> dict[str, Any]:
    r = await client.delete(f"/v1/integrations/{integration_id}/webhooks/registrations", headers=tenant.headers)
    assert r.status_code == 200, r.text
    return dict(r.json()["data"])


async def _rows(runtime: Runtime, integration_id: str) -> list[WebhookRegistration]:
    async with runtime.sessions() as session:
        found = await session.execute(
            select(WebhookRegistration).where(WebhookRegistration.integration_id == integration_id)
        )
        return list(found.scalars())


# --- tests -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_registering_twice_makes_each_hook_once_and_unregistering_removes_them(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, sandbox: Sandbox, hub: str, provider: str
) -> None:
    integration_id = await _store(client, tenant, sandbox, provider)
    store = StoreHooks(sandbox, provider)
    rows = await _register(client, tenant, integration_id, hub)
    destination = await _destination(runtime, hub, provider, integration_id)
    try:
        assert sorted(r["topic"] for r in rows) == sorted(TOPICS[provider])
        assert {r["status"] for r in rows} == {"active"}
        upstream = await store.at(destination)
        assert sorted((h.topic, h.id) for h in upstream) == sorted((r["topic"], r["upstreamId"]) for r in rows)
        assert all(h.active for h in upstream)
        if provider == "bigcommerce":  # the secret token is not shown
            token = destination.rsplit("/", 1)[1]
            assert {r["destination"] for r in rows} == {f"{hub}/direct/webhook/big-commerce/order/****{token[-4:]}"}
        else:
            assert {r["destination"] for r in rows} == {destination}

        again = await _register(client, tenant, integration_id, hub)
        assert sorted(r["upstreamId"] for r in again) == sorted(r["upstreamId"] for r in rows)
        assert len(await store.at(destination)) == len(TOPICS[provider])

        listed = await client.get(f"/v1/integrations/{integration_id}/webhooks/registrations", headers=tenant.headers)
        assert listed.status_code == 200, listed.text
        assert listed.json()["pagination"]["total"] == len(TOPICS[provider])
        if provider == "woocommerce":  # the hub chose the secret the hooks sign with, and keeps it
            got = await client.get(f"/v1/integrations/{integration_id}", headers=tenant.headers)
            assert got.json()["data"]["credentials"]["webhookSecret"].startswith("****")
    finally:
        removed = await _unregister(client, tenant, integration_id)
    assert removed == {"integrationId": integration_id, "removed": len(TOPICS[provider])}
    assert await store.at(destination) == []
    assert await _rows(runtime, integration_id) == []


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_check_repairs_a_hook_deleted_upstream_and_delivers_a_test_event(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, sandbox: Sandbox, hub: str, provider: str
) -> None:
    integration_id = await _store(client, tenant, sandbox, provider)
    store = StoreHooks(sandbox, provider)
    rows = await _register(client, tenant, integration_id, hub)
    destination = await _destination(runtime, hub, provider, integration_id)
    try:
        lost = rows[0]
        await store.delete(lost["upstreamId"])

        r = await client.post(f"/v1/integrations/{integration_id}/webhooks/check", headers=tenant.headers)
        assert r.status_code == 200, r.text
        check = r.json()["data"]
        assert [(x["topic"], x["reason"], x["error"]) for x in check["repaired"]] == [(lost["topic"], "missing", None)]
        new_id = check["repaired"][0]["upstreamId"]
        assert new_id and new_id != lost["upstreamId"]
        assert check["delivered"] is True, check
        assert check["statusCode"] == 200 and check["stored"] is True and check["error"] is None
        assert isinstance(check["latencyMs"], int) and check["latencyMs"] >= 0
        assert {x["status"] for x in check["registrations"]} == {"active"}

        upstream = {h.topic: h.id for h in await store.at(destination)}
        assert upstream == {x["topic"]: x["upstreamId"] for x in check["registrations"]}
        assert upstream[lost["topic"]] == new_id

        async with runtime.sessions() as session:
            stored = (
                (
                    await session.execute(
                        select(InboxEvent).where(
                            InboxEvent.integration_id == integration_id, InboxEvent.topic == check["topic"]
                        )
                    )
                )
                .scalars()
                .all()
            )
        assert len(stored) == 1 and stored[0].resource is None  # stored, and nothing will be synced from it

        r = await client.post(f"/v1/integrations/{integration_id}/webhooks/check", headers=tenant.headers)
        assert r.status_code == 200, r.text
        assert r.json()["data"]["repaired"] == [] and r.json()["data"]["delivered"] is True
    finally:
        await _unregister(client, tenant, integration_id)


async def test_a_deactivated_hook_is_replaced_and_a_moved_public_url_moves_the_hooks(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, sandbox: Sandbox, hub: str
) -> None:
    integration_id = await _store(client, tenant, sandbox, "bigcommerce")
    store = StoreHooks(sandbox, "bigcommerce")
    rows = await _register(client, tenant, integration_id, hub)
    destination = await _destination(runtime, hub, "bigcommerce", integration_id)
    moved_hub = hub.replace("127.0.0.1", "localhost")  # the same server under another address
    moved = destination.replace(hub, moved_hub)
    try:
        dead = rows[0]
        await store.deactivate(dead["upstreamId"])
        r = await client.post(f"/v1/integrations/{integration_id}/webhooks/check", headers=tenant.headers)
        assert r.status_code == 200, r.text
        check = r.json()["data"]
        assert [(x["topic"], x["reason"]) for x in check["repaired"]] == [(dead["topic"], "inactive")]
        upstream = await store.at(destination)
        assert dead["upstreamId"] not in {h.id for h in upstream}  # the dead hook was removed, not left behind
        assert len(upstream) == len(TOPICS["bigcommerce"]) and all(h.active for h in upstream)

        await _register(client, tenant, integration_id, moved_hub)
        assert await store.at(destination) == []
        assert sorted(h.topic for h in await store.at(moved)) == sorted(TOPICS["bigcommerce"])
        assert {r.destination for r in await _rows(runtime, integration_id)} == {moved}
    finally:
        await _unregister(client, tenant, integration_id)
    assert await store.at(moved) == []


async def test_disabling_removes_the_hooks_upstream(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, sandbox: Sandbox, hub: str
) -> None:
    integration_id = await _store(client, tenant, sandbox, "bigcommerce")
    store = StoreHooks(sandbox, "bigcommerce")
    await _register(client, tenant, integration_id, hub)
    destination = await _destination(runtime, hub, "bigcommerce", integration_id)
    assert len(await store.at(destination)) == len(TOPICS["bigcommerce"])

    async with runtime.sessions() as session:
        disabled = await service.set_enabled(
            session, tenant.workspace_id, integration_id, enabled=False, box=runtime.secrets
        )
        assert disabled.status == "disabled"
    assert await store.at(destination) == []
    assert await _rows(runtime, integration_id) == []


async def test_hooks_that_cannot_be_removed_on_disable_are_kept_broken_and_removed_later(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, sandbox: Sandbox, hub: str
) -> None:
    integration_id = await _store(client, tenant, sandbox, "woocommerce")
    store = StoreHooks(sandbox, "woocommerce")
    await _register(client, tenant, integration_id, hub)
    destination = await _destination(runtime, hub, "woocommerce", integration_id)

    sandbox.faults("woocommerce", fail_next=10, error_status=503)
    try:
        async with runtime.sessions() as session:
            disabled = await service.set_enabled(
                session, tenant.workspace_id, integration_id, enabled=False, box=runtime.secrets
            )
        assert disabled.status == "disabled"  # the upstream's failure does not fail the disable
    finally:
        sandbox.reset("woocommerce")
    rows = await _rows(runtime, integration_id)
    assert len(rows) == len(TOPICS["woocommerce"]) and {r.status for r in rows} == {"broken"}
    assert len(await store.at(destination)) == len(TOPICS["woocommerce"])

    # The periodic check removes a disabled integration's leftovers instead of repairing them.
    counts = await check_all(runtime)
    assert counts["integrations"] >= 1
    assert await store.at(destination) == []
    assert await _rows(runtime, integration_id) == []


async def test_disabling_through_the_api_leaves_no_hooks_once_the_periodic_check_ran(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, sandbox: Sandbox, hub: str
) -> None:
    integration_id = await _store(client, tenant, sandbox, "shopify")
    store = StoreHooks(sandbox, "shopify")
    await _register(client, tenant, integration_id, hub)
    destination = await _destination(runtime, hub, "shopify", integration_id)
    r = await client.post(f"/v1/integrations/{integration_id}/disable", headers=tenant.headers)
    assert r.status_code == 200, r.text
    await check_all(runtime)
    assert await store.at(destination) == []
    assert await _rows(runtime, integration_id) == []
    r = await client.post(
        f"/v1/integrations/{integration_id}/webhooks/register", headers=tenant.headers, json={"publicUrl": hub}
    )
    assert_error(r, 400, "CONFIGURATION_ERROR")  # a disabled integration gets no hooks


async def test_removing_the_integration_removes_its_hooks_upstream(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, sandbox: Sandbox, hub: str
) -> None:
    integration_id = await _store(client, tenant, sandbox, "shopify")
    store = StoreHooks(sandbox, "shopify")
    await _register(client, tenant, integration_id, hub)
    destination = await _destination(runtime, hub, "shopify", integration_id)
    async with runtime.sessions() as session:
        await service.remove_integration(session, tenant.workspace_id, integration_id, box=runtime.secrets)
    assert await store.at(destination) == []
    r = await client.get(f"/v1/integrations/{integration_id}", headers=tenant.headers)
    assert_error(r, 404, "NOT_FOUND")


async def test_without_a_public_url_registration_is_a_configuration_error(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, sandbox: Sandbox
) -> None:
    assert runtime.settings.public_url is None
    integration_id = await _store(client, tenant, sandbox, "shopify")
    r = await client.post(f"/v1/integrations/{integration_id}/webhooks/register", headers=tenant.headers)
    error = assert_error(r, 400, "CONFIGURATION_ERROR")
    assert "public URL" in error["message"] and error["details"] == {"setting": "LEDGERLINK_PUBLIC_URL"}
    r = await client.post(
        f"/v1/integrations/{integration_id}/webhooks/register",
        headers=tenant.headers,
        json={"publicUrl": "ftp://hub.example.com"},
    )
    assert_error(r, 400, "VALIDATION_ERROR")
    r = await client.post(f"/v1/integrations/{integration_id}/webhooks/check", headers=tenant.headers)
    assert_error(r, 400, "CONFIGURATION_ERROR")  # nothing registered yet
    assert await _rows(runtime, integration_id) == []


async def test_a_provider_without_registration_is_a_configuration_error(
    client: httpx.AsyncClient, tenant: Tenant, hub: str
) -> None:
    r = await client.post(
        "/v1/integrations/stripe/setup",
        headers=tenant.headers,
        json={"name": "payments", "credentials": {"secretKey": "sk_test_0123456789abcdef"}, "verify": False},
    )
    assert r.status_code == 201, r.text
    integration_id = r.json()["data"]["id"]
    r = await client.post(
        f"/v1/integrations/{integration_id}/webhooks/register", headers=tenant.headers, json={"publicUrl": hub}
    )
    error = assert_error(r, 400, "CONFIGURATION_ERROR")
    assert error["message"].startswith("no webhook registration for stripe")


async def test_another_workspace_sees_no_registrations(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, sandbox: Sandbox, hub: str
) -> None:
    integration_id = await _store(client, tenant, sandbox, "shopify")
    other = await make_tenant(runtime)
    base = f"/v1/integrations/{integration_id}/webhooks"
    for method, path, body in (
        ("POST", f"{base}/register", {"publicUrl": hub}),
        ("GET", f"{base}/registrations", None),
        ("DELETE", f"{base}/registrations", None),
        ("POST", f"{base}/check", None),
    ):
        r = await client.request(method, path, headers=other.headers, json=body)
        assert_error(r, 404, "NOT_FOUND")
    assert await _rows(runtime, integration_id) == []
