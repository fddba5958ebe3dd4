"""The lane transport: N keep-alive connections, at most N requests in flight, lanes given back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest

from ledgerlink.upstream.lanes import LaneTransport, tls_context


@dataclass
class Server:
    port: int
    connections: int = 0
    in_flight: int = 0
    most_in_flight: int = 0
    delay: float = 0.0
    peers: set[tuple[str, int]] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    """A keep-alive HTTP/1.1 server on raw streams that counts connections and concurrent requests."""
    state = Server(port=0)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        state.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    ),
                    0,
                )
                await reader.readexactly(length)
                state.in_flight += 1
                state.most_in_flight = max(state.most_in_flight, state.in_flight)
                await asyncio.sleep(state.delay)
                state.in_flight -= 1
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    listening = await asyncio.start_server(handle, "127.0.0.1", 0)
    state.port = listening.sockets[0].getsockname()[1]
    yield state
    listening.close()


async def test_requests_reuse_one_connection_per_lane_and_never_exceed_the_lanes(server: Server) -> None:
    server.delay = 0.005
    async with httpx.AsyncClient(transport=LaneTransport(4)) as http:
        answers = await asyncio.gather(*(http.get(server.url) for _ in range(60)))
        more = await asyncio.gather(*(http.get(server.url) for _ in range(20)))
    assert [a.text for a in answers + more] == ["hello"] * 80
    assert server.most_in_flight == 4
    assert server.connections == 4  # kept alive across both rounds: no connection closed to open another


async def test_a_light_load_keeps_using_the_same_warm_connection(server: Server) -> None:
    async with httpx.AsyncClient(transport=LaneTransport(8)) as http:
        for _ in range(10):
            assert (await http.get(server.url)).status_code == 200
    assert server.connections == 1


async def test_a_streamed_response_holds_its_lane_until_closed(server: Server) -> None:
    transport = LaneTransport(1)
    async with httpx.AsyncClient(transport=transport) as http:
        async with http.stream("GET", server.url) as streamed:
            waiting = asyncio.create_task(http.get(server.url))
            await asyncio.sleep(0.05)
            assert not waiting.done()  # the only lane is still the stream's
            assert await streamed.aread() == b"hello"
        assert (await asyncio.wait_for(waiting, 2)).text == "hello"


async def test_a_failed_request_gives_its_lane_back() -> None:
    listening = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    listening.close()
    await listening.wait_closed()  # nothing listens there now: every connect is refused
    async with httpx.AsyncClient(transport=LaneTransport(1)) as http:
        for _ in range(3):  # with the lane lost, the second attempt would wait forever
            with pytest.raises(httpx.ConnectError):
                await asyncio.wait_for(http.get(f"http://127.0.0.1:{port}/"), 2)


def test_every_transport_shares_one_tls_context() -> None:
    assert tls_context() is tls_context()
    with pytest.raises(ValueError):
        LaneTransport(0)
