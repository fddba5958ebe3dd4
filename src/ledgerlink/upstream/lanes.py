"""The connections the hub calls out through: N lanes of one keep-alive connection each.

httpcore's pool re-examines every connection for every request it queues or releases (and counts
them again inside that loop), so with 32 requests in flight each request costs ~2,000 connection
checks, each a system call; and once more connections are open than it keeps alive, it closes idle
ones only to open new ones a moment later. At a few hundred requests a second that bookkeeping cost
more CPU than the requests. A lane is a pool of exactly one connection: taking an idle lane is O(1),
its connection stays open between requests, and N lanes bound the requests in flight to N.

A lane is taken when a request is sent and given back when its response is closed (httpx closes
every response it reads; a streamed one when the caller leaves the stream). The lanes are handed out
last-in first-out, so a light load keeps reusing the same warm connections.

Every transport shares one TLS context: building one loads the CA bundle (~25 ms of CPU), which a
transport per run or per integration would otherwise pay each time.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from collections.abc import AsyncIterator

import certifi
import httpx


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The client TLS context (certifi's CA bundle, as httpx builds it), built once per process."""
    return ssl.create_default_context(cafile=certifi.where())


class _Returning(httpx.AsyncByteStream):
    """A response body that gives its lane back when it is closed (once, however often it is closed)."""

    def __init__(
        self,
        stream: httpx.AsyncByteStream,
        release: asyncio.Queue[httpx.AsyncHTTPTransport],
        lane: httpx.AsyncHTTPTransport,
    ) -> None:
        self._stream = stream
        self._release: asyncio.Queue[httpx.AsyncHTTPTransport] | None = release
        self._lane = lane

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            if self._release is not None:
                self._release.put_nowait(self._lane)
                self._release = None


class LaneTransport(httpx.AsyncBaseTransport):
    def __init__(self, lanes: int, *, retries: int = 0) -> None:
        if lanes < 1:
            raise ValueError("a transport needs at least one lane")
        self._all = [
            httpx.AsyncHTTPTransport(
                verify=tls_context(),
                retries=retries,
                limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            )
            for _ in range(lanes)
        ]
        self._idle: asyncio.LifoQueue[httpx.AsyncHTTPTransport] = asyncio.LifoQueue()
        for lane in reversed(self._all):
            self._idle.put_nowait(lane)

    @property
    def lanes(self) -> int:
        return len(self._all)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        lane = await self._idle.get()
        try:
            response = await lane.handle_async_request(request)
        except BaseException:
            self._idle.put_nowait(lane)
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _Returning(response.stream, self._idle, lane)
        return response

    async def aclose(self) -> None:
        for lane in self._all:
            await lane.aclose()
