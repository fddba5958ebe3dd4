"""The hub refuses to call internal addresses through a user-supplied apiBaseUrl (SSRF)."""

from __future__ import annotations

import ipaddress

import httpx
import pytest

from ledgerlink.upstream.client import UpstreamClient
from ledgerlink.upstream.network import AddressRefused, NetworkPolicy
from tests.conftest import make_tenant


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "fd00::1",
        "fe80::1",
        "224.0.0.1",
    ],
)
def test_internal_addresses_are_refused_by_default(address):
    assert not NetworkPolicy().permits(ipaddress.ip_address(address))


def test_allowed_networks_and_public_switch():
    policy = NetworkPolicy.parse("127.0.0.0/8, 10.0.0.0/8")
    assert policy.permits(ipaddress.ip_address("127.0.0.5")) and policy.permits(ipaddress.ip_address("10.9.9.9"))
    assert not policy.permits(ipaddress.ip_address("192.168.0.1"))
    assert policy.permits(ipaddress.ip_address("93.184.216.34"))
    assert not NetworkPolicy.parse("", allow_public=False).permits(ipaddress.ip_address("93.184.216.34"))


async def test_client_checks_before_connecting():
    sent = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={})

    client = UpstreamClient(base_url="http://169.254.169.254/latest", transport=httpx.MockTransport(handler))
    with pytest.raises(AddressRefused):
        await client.get("/meta-data")
    await client.aclose()
    assert sent == []  # nothing left the process


async def test_setup_pointing_at_an_internal_host_is_refused(client, runtime):
    tenant = await make_tenant(runtime)
    r = await client.post(
        "/v1/integrations/woocommerce/setup",
        headers=tenant.headers,
        json={
            "name": "ssrf",
            "credentials": {
                "siteUrl": "http://10.0.0.7",
                "consumerKey": "ck_12345678",
                "consumerSecret": "cs_12345678",
            },
        },
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "CONFIGURATION_ERROR", r.text
    assert "10.0.0.7" in r.json()["error"]["message"]


async def test_a_response_is_freed_without_the_cyclic_collector(sandbox, monkeypatch):
    """httpx links a response and its stream both ways; a sync page's body (~0.4 MB) then lived until
    the cyclic collector ran, and with a worker's young threshold (heap.py) a sync's memory grew with
    its length. The client hands back responses that reference counting alone frees."""
    import gc
    import weakref

    monkeypatch.setenv("LEDGERLINK_ALLOWED_PRIVATE_NETWORKS", "127.0.0.0/8")
    creds = sandbox.credentials("woocommerce")
    client = UpstreamClient(
        base_url=f"{sandbox.base_url}/woocommerce/wp-json/wc/v3",
        auth=httpx.BasicAuth(creds["consumerKey"], creds["consumerSecret"]),
    )
    async with client:
        gc.disable()
        try:
            reply = await client.get("/orders", per_page=5)
            assert len(reply.data) == 5
            freed = weakref.ref(reply.response)
            del reply
            assert freed() is None
        finally:
            gc.enable()
