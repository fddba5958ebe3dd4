"""Changing the secret the hub chose for an upstream's webhooks (WooCommerce), against the sandbox store
over real sockets: the hooks upstream are handed the new secret (updated in place, the same ids), and the
store's next change arrives signed with it and is stored; hooks left with an old secret (the hand-over
failed, or never ran) are repaired by the periodic health check; an unchanged secret touches nothing.
The replaced secret keeps verifying only for its grace period (hypothesis, on the spec itself).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, update

from ledgerlink.connectors.framework.webhooks import RETIRED_FIELD, SECRET_GRACE_SECONDS, WebhookVerificationError
from ledgerlink.connectors.woocommerce.registration import TOPICS
from ledgerlink.connectors.woocommerce.webhooks import WEBHOOKS
from ledgerlink.models import InboxEvent, Integration, WebhookRegistration
from ledgerlink.reactions import react
from ledgerlink.runtime import Runtime
from ledgerlink.webhooks import hook_secrets, registration, secret_handover
from ledgerlink.webhooks.registration_tasks import check_all
from tests.conftest import Sandbox, Tenant
from tests.helpers import assert_error
from tests.sync_support import setup_store
from tests.webhook_receiver import serving

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
async def hub(app: Any) -> AsyncIterator[str]:
    """The hub's API on a real socket: where the sandbox store delivers."""
    async with serving(app) as base:
        yield base


# --- the store's own view --------------------------------------------------------------------------------


class Store:
    """The WooCommerce sandbox store, through its own REST API (not the hub's code)."""

    def __init__(self, sandbox: Sandbox) -> None:
        creds = sandbox.credentials("woocommerce")
        self.api = f"{str(creds['apiBaseUrl']).rstrip('/')}/wp-json/wc/v3"
        self.root = str(creds["apiBaseUrl"]).rstrip("/")
        self.auth = (creds["consumerKey"], creds["consumerSecret"])

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async with httpx.AsyncClient(timeout=30) as http:
            return await http.request(method, f"{self.api}{path}", auth=self.auth, **kwargs)

    async def hooks(self, destination: str) -> dict[str, dict[str, Any]]:
        """The webhooks delivering to `destination`, by id, as the `edit` context shows them (with secret)."""
        r = await self.call("GET", "/webhooks", params={"per_page": 100, "status": "all", "context": "edit"})
        r.raise_for_status()
        return {str(w["id"]): w for w in r.json() if w["delivery_url"] == destination}

    async def an_order(self) -> int:
        r = await self.call("GET", "/orders", params={"per_page": 5, "orderby": "id", "order": "asc"})
        r.raise_for_status()
        return int(r.json()[0]["id"])

    async def touch(self, order_id: int) -> None:
        """A merchant edits the order: WooCommerce fires order.updated."""
        async with httpx.AsyncClient(timeout=30) as http:
            r = await http.post(f"{self.root}/_sandbox/orders/{order_id}/touch", json={})
        r.raise_for_status()


# --- helpers ---------------------------------------------------------------------------------------------


def b64_hmac(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@pytest.fixture
async def registered(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, sandbox: Sandbox, hub: str
) -> AsyncIterator[tuple[str, str]]:
    """A WooCommerce integration with its hooks registered (removed afterwards): its id and their destination.
    The reactions' cursor exists first, so a test's `react` reads what the test did."""
    await react(runtime)
    iid = await setup_store(
        client, tenant.headers, "woocommerce", sandbox.credentials("woocommerce"), name=f"woo {secrets.token_hex(4)}"
    )
    r = await client.post(f"/v1/integrations/{iid}/webhooks/register", headers=tenant.headers, json={"publicUrl": hub})
    assert r.status_code == 200, r.text
    assert sorted(row["topic"] for row in r.json()["data"]) == sorted(TOPICS)
    yield iid, f"{hub}/v1/webhooks/inbound/{iid}"
    removed = await client.delete(f"/v1/integrations/{iid}/webhooks/registrations", headers=tenant.headers)
    assert removed.status_code == 200, removed.text


async def _secret(runtime: Runtime, integration_id: str) -> str:
    async with runtime.sessions() as session:
        integration = await session.get(Integration, integration_id)
        assert integration is not None
        return str(runtime.secrets.decrypt_json(integration.credentials_encrypted)["webhookSecret"])


async def _change_secret(client: httpx.AsyncClient, tenant: Tenant, integration_id: str, secret: str) -> None:
    r = await client.patch(
        f"/v1/integrations/{integration_id}", headers=tenant.headers, json={"credentials": {"webhookSecret": secret}}
    )
    assert r.status_code == 200, r.text
    assert r.json()["data"]["credentials"]["webhookSecret"] == "****" + secret[-4:]


async def _react_until_handed(runtime: Runtime) -> dict[str, int]:
    """Run the reactions until one hands hooks a secret. The reactions read events up to the oldest
    transaction still open in the cluster, which another session's may hold back for a moment."""
    deadline = time.monotonic() + 30
    while True:
        counts = await react(runtime)
        if counts["secrets_handed"] or time.monotonic() > deadline:
            return counts
        await asyncio.sleep(0.2)


async def _digests(runtime: Runtime, integration_id: str) -> dict[str, str | None]:
    async with runtime.sessions() as session:
        rows = await session.execute(
            select(WebhookRegistration).where(WebhookRegistration.integration_id == integration_id)
        )
        return {row.upstream_id: row.secret_digest for row in rows.scalars()}


async def _stored(runtime: Runtime, integration_id: str, order_id: int, since: float) -> InboxEvent:
    """The order.updated delivery for `order_id` the hub stored after `since`, once it is there."""
    deadline = time.monotonic() + 15
    while True:
        async with runtime.sessions() as session:
            found = (
                (
                    await session.execute(
                        select(InboxEvent)
                        .where(
                            InboxEvent.integration_id == integration_id,
                            InboxEvent.topic == "order.updated",
                            InboxEvent.external_id == str(order_id),
                        )
                        .order_by(InboxEvent.received_at.desc())
                    )
                )
                .scalars()
                .first()
            )
        if found is not None and found.received_at.timestamp() >= since:
            return found
        assert time.monotonic() < deadline, "the store's change never arrived at the hub"
        await asyncio.sleep(0.1)


def _check_delivery(secret: str) -> tuple[dict[str, str], bytes]:
    """An action hook's delivery (nothing acts on it), signed with `secret` as WooCommerce signs."""
    body = json.dumps({"action": "ledgerlink_check", "arg": secrets.token_hex(8)}).encode()
    headers = {
        "Content-Type": "application/json",
        "X-WC-Webhook-Topic": "action.ledgerlink_check",
        "X-WC-Webhook-Resource": "action",
        "X-WC-Webhook-Event": "ledgerlink_check",
        "X-WC-Webhook-Signature": b64_hmac(secret, body),
        "X-WC-Webhook-ID": "1",
        "X-WC-Webhook-Delivery-ID": secrets.token_hex(8),
    }
    return headers, body


# --- tests -----------------------------------------------------------------------------------------------


async def test_a_new_secret_reaches_the_hooks_and_the_stores_next_change_is_verified_and_stored(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, sandbox: Sandbox, registered: tuple[str, str]
) -> None:
    iid, destination = registered
    store = Store(sandbox)
    old = await _secret(runtime, iid)
    before = await store.hooks(destination)
    assert len(before) == len(TOPICS) and {w["secret"] for w in before.values()} == {old}
    assert set((await _digests(runtime, iid)).values()) == {hook_secrets.secret_digest(iid, old)}

    new = f"rotated-{secrets.token_urlsafe(24)}"
    await _change_secret(client, tenant, iid, new)
    assert {w["secret"] for w in (await store.hooks(destination)).values()} == {old}  # the reaction's job
    counts = await _react_until_handed(runtime)
    assert counts["secrets_handed"] == len(TOPICS)

    after = await store.hooks(destination)
    assert after.keys() == before.keys()  # updated in place: nothing registered again
    assert {w["secret"] for w in after.values()} == {new}
    assert {w["status"] for w in after.values()} == {"active"}
    assert set((await _digests(runtime, iid)).values()) == {hook_secrets.secret_digest(iid, new)}

    order_id = await store.an_order()
    since = time.time() - 1
    await store.touch(order_id)
    stored = await _stored(runtime, iid, order_id, since)
    assert stored.headers["x-wc-webhook-signature"] == b64_hmac(new, stored.body)  # signed with the new secret
    assert json.loads(stored.body)["id"] == order_id

    # Deliveries signed before the hooks had the new secret still verify for a while; a forged one never.
    async with httpx.AsyncClient(timeout=30) as http:
        headers, body = _check_delivery(old)
        accepted = await http.post(destination, content=body, headers=headers)
        assert accepted.status_code == 200, accepted.text
        headers, body = _check_delivery(f"forged-{secrets.token_hex(8)}")
        assert_error(await http.post(destination, content=body, headers=headers), 401, "WEBHOOK_VERIFICATION_FAILED")
    assert (await react(runtime))["secrets_handed"] == 0  # the hand-over is done once


async def test_the_health_check_repairs_hooks_left_with_an_old_secret(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, sandbox: Sandbox, registered: tuple[str, str]
) -> None:
    iid, destination = registered
    store = Store(sandbox)
    old = await _secret(runtime, iid)
    ids = set(await store.hooks(destination))

    new = f"rotated-{secrets.token_urlsafe(24)}"
    await _change_secret(client, tenant, iid, new)
    sandbox.faults("woocommerce", fail_next=40, error_status=503)  # the store is down during the hand-over
    try:
        failed = await secret_handover.hand_new_secret(runtime, iid)
    finally:
        sandbox.reset("woocommerce")
    assert len(failed) == len(TOPICS) and all(r.upstream_id is None and r.error for r in failed)
    assert {w["secret"] for w in (await store.hooks(destination)).values()} == {old}
    assert set((await _digests(runtime, iid)).values()) == {hook_secrets.secret_digest(iid, old)}
    assert await secret_handover.secret_outdated(runtime, iid)

    counts = await check_all(runtime)  # the periodic check
    assert counts["repaired"] >= len(TOPICS)
    hooks = await store.hooks(destination)
    assert set(hooks) == ids and {w["secret"] for w in hooks.values()} == {new}
    assert set((await _digests(runtime, iid)).values()) == {hook_secrets.secret_digest(iid, new)}
    assert await registration.check_health(runtime, iid) == []  # nothing left to repair


async def test_a_hook_gone_upstream_is_made_again_with_the_new_secret(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, sandbox: Sandbox, registered: tuple[str, str]
) -> None:
    iid, destination = registered
    store = Store(sandbox)
    lost = next(iter(await store.hooks(destination)))
    new = f"rotated-{secrets.token_urlsafe(24)}"
    await _change_secret(client, tenant, iid, new)
    assert (await store.call("DELETE", f"/webhooks/{lost}", params={"force": "true"})).status_code == 200

    repairs = await secret_handover.hand_new_secret(runtime, iid)
    assert len(repairs) == len(TOPICS) and all(r.error is None and r.reason == "secret" for r in repairs)
    hooks = await store.hooks(destination)
    assert len(hooks) == len(TOPICS) and lost not in hooks  # the lost one's topic has a new hook
    assert {w["secret"] for w in hooks.values()} == {new}
    assert set(await _digests(runtime, iid)) == set(hooks)


async def test_nothing_is_registered_or_updated_again_while_the_secret_is_unchanged(
    client: httpx.AsyncClient,
    runtime: Runtime,
    tenant: Tenant,
    sandbox: Sandbox,
    hub: str,
    registered: tuple[str, str],
) -> None:
    iid, destination = registered
    store = Store(sandbox)
    before = await store.hooks(destination)
    await asyncio.sleep(1.1)  # a PUT would move date_modified (whole seconds)

    creds = sandbox.credentials("woocommerce")
    r = await client.patch(  # the credentials change, the webhook secret does not
        f"/v1/integrations/{iid}",
        headers=tenant.headers,
        json={"name": f"renamed {secrets.token_hex(3)}", "credentials": {"consumerKey": creds["consumerKey"]}},
    )
    assert r.status_code == 200, r.text
    assert (await react(runtime))["secrets_handed"] == 0
    assert not await secret_handover.secret_outdated(runtime, iid)
    assert await registration.check_health(runtime, iid) == []
    again = await client.post(
        f"/v1/integrations/{iid}/webhooks/register", headers=tenant.headers, json={"publicUrl": hub}
    )
    assert again.status_code == 200, again.text
    assert await store.hooks(destination) == before  # same ids, secrets and modification times


async def test_hooks_registered_before_their_secret_was_recorded_are_handed_it_once(
    runtime: Runtime, sandbox: Sandbox, registered: tuple[str, str]
) -> None:
    iid, destination = registered
    store = Store(sandbox)
    secret = await _secret(runtime, iid)
    ids = set(await store.hooks(destination))
    async with runtime.sessions.begin() as session:  # rows as migration 0009 leaves them
        await session.execute(
            update(WebhookRegistration).where(WebhookRegistration.integration_id == iid).values(secret_digest=None)
        )
    repairs = await registration.check_health(runtime, iid)
    assert sorted((r.topic, r.reason, r.error) for r in repairs) == sorted((t, "secret", None) for t in TOPICS)
    assert {r.upstream_id for r in repairs} == ids
    assert set((await _digests(runtime, iid)).values()) == {hook_secrets.secret_digest(iid, secret)}
    assert await registration.check_health(runtime, iid) == []


# --- the grace period, on the spec -----------------------------------------------------------------------

secret_text = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=40)


@given(old=secret_text, new=secret_text, elapsed=st.floats(min_value=0, max_value=3 * SECRET_GRACE_SECONDS))
def test_a_replaced_secret_verifies_only_within_its_grace_period(old: str, new: str, elapsed: float) -> None:
    now = 1_800_000_000.0
    body = b'{"id":1}'
    stored = WEBHOOKS.retire({"webhookSecret": old}, {"webhookSecret": new}, now=now)
    offered = WEBHOOKS.secrets(stored, now=now + elapsed)
    assert offered[0] == new  # the current secret always comes first
    within = elapsed < SECRET_GRACE_SECONDS
    assert offered == ([new, old] if within and old != new else [new])
    headers = {"X-WC-Webhook-Signature": b64_hmac(old, body)}
    if within or old == new:
        WEBHOOKS.verify(offered, headers, body)
    else:
        with pytest.raises(WebhookVerificationError):
            WEBHOOKS.verify(offered, headers, body)


@given(secrets_in_turn=st.lists(secret_text, min_size=2, max_size=6), step=st.floats(min_value=0, max_value=400))
def test_switching_secrets_keeps_only_the_unexpired_replaced_ones(secrets_in_turn: list[str], step: float) -> None:
    now = 1_800_000_000.0
    stored: dict[str, Any] = {"webhookSecret": secrets_in_turn[0]}
    replaced_at: dict[str, float] = {}
    for i, secret in enumerate(secrets_in_turn[1:], start=1):
        at = now + i * step
        replaced_at[stored["webhookSecret"]] = at
        replaced_at.pop(secret, None)  # back in use: no longer a replaced one
        stored = WEBHOOKS.retire(stored, {"webhookSecret": secret}, now=at)
    end = now + (len(secrets_in_turn) - 1) * step
    current = secrets_in_turn[-1]
    expected = {s for s, at in replaced_at.items() if at + SECRET_GRACE_SECONDS > end and s != current}
    offered = WEBHOOKS.secrets(stored, now=end)
    assert offered[0] == current and set(offered[1:]) == expected and len(offered) == len(set(offered))
    assert all(e["secret"] != current for e in stored.get(RETIRED_FIELD, []))
