"""Which addresses the hub may call: a user-supplied `apiBaseUrl` must not reach inside the network.

Every upstream request resolves its host and checks every address it resolves to before connecting.
Loopback, private, link-local (cloud metadata), CGNAT, reserved and IPv6 unique-local addresses are
refused unless `LEDGERLINK_ALLOWED_PRIVATE_NETWORKS` lists them (CIDRs; the sandbox needs
127.0.0.0/8); `LEDGERLINK_UPSTREAM_PUBLIC=false` (tests) refuses every other address too.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx

from ledgerlink.errors import ConfigurationError
from ledgerlink.upstream.lanes import tls_context

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_CGNAT = ipaddress.ip_network("100.64.0.0/10")


class AddressRefused(ConfigurationError):
    """The upstream URL points at an address this hub may not call."""


def is_internal(address: IPAddress) -> bool:
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
        or address in _CGNAT
    )


@dataclass(frozen=True)
class NetworkPolicy:
    allowed_private: tuple[IPNetwork, ...] = ()
    allow_public: bool = True

    @classmethod
    def parse(cls, networks: str, allow_public: bool = True) -> NetworkPolicy:
        try:
            parsed = tuple(ipaddress.ip_network(n.strip(), strict=False) for n in networks.split(",") if n.strip())
        except ValueError as exc:
            raise ConfigurationError(f"LEDGERLINK_ALLOWED_PRIVATE_NETWORKS: {exc}") from None
        return cls(parsed, allow_public)

    def permits(self, address: IPAddress) -> bool:
        if any(address in network for network in self.allowed_private):
            return True
        return self.allow_public and not is_internal(address)

    async def check(self, host: str, port: int) -> IPAddress:
        """The address to connect to for `host`: every address it resolves to must be permitted."""
        addresses = await _resolve(host, port)
        refused = [str(a) for a in addresses if not self.permits(a)]
        if not addresses or refused:
            raise AddressRefused(
                f"refusing to call {host}: it resolves to an address this hub may not reach ({', '.join(refused)})"
                if refused
                else f"cannot resolve {host}",
                {"host": host, "addresses": [str(a) for a in addresses]},
            )
        return addresses[0]


async def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos: Iterable[Any] = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return []
    return sorted({ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos}, key=str)


class GuardedTransport(httpx.AsyncBaseTransport):
    """Checks the destination of every request against the policy, then sends it through `inner`."""

    def __init__(self, policy: NetworkPolicy, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.policy = policy
        self.inner = inner or httpx.AsyncHTTPTransport(verify=tls_context())

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Connect to the very address that was checked: resolving again to connect would let a DNS
        answer that changes between the two (rebinding) reach a refused address. The Host header and
        the TLS server name stay the original host's."""
        host = request.url.host
        address = await self.policy.check(host, request.url.port or (443 if request.url.scheme == "https" else 80))
        if str(address) != host:
            request.url = request.url.copy_with(host=str(address))
            if request.url.scheme == "https":
                request.extensions = {**request.extensions, "sni_hostname": host}
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
