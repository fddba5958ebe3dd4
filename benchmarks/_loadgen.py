"""A minimal keep-alive HTTP/1.1 load generator on raw asyncio streams.

httpx spends more CPU per request than the server under test does, which on a 2-core machine
would measure the client. This speaks just enough HTTP/1.1 (Content-Length bodies) to keep the
measurement about the server.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

RequestFactory = Callable[[int], tuple[str, str, dict[str, str], bytes]]


@dataclass
class Reply:
    status: int
    body: bytes


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> Reply:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        assert self.reader is not None
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        length = 0
        close = False
        for line in header_lines:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value.strip().lower() == "close":
                close = True
        payload = await self.reader.readexactly(length) if length else b""
        if close:
            self.writer.close()
            self.writer = None
        return Reply(int(status_line.split()[1]), payload)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def json_request(method: str, path: str, headers: dict[str, str], doc: Any = None) -> tuple[str, str, dict, bytes]:
    body = b"" if doc is None else json.dumps(doc).encode()
    hdrs = {**headers, "Content-Type": "application/json"} if doc is not None else dict(headers)
    return method, path, hdrs, body


async def run_load(
    host: str, port: int, factory: RequestFactory, *, concurrency: int, seconds: float
) -> tuple[list[float], int, float]:
    """Closed loop: `concurrency` connections, each sending its next request when the last is answered.
    Returns (latencies in ms, non-2xx count, elapsed seconds)."""
    latencies: list[float] = []
    errors = 0
    counter = 0
    stop_at = time.perf_counter() + seconds

    async def sender() -> None:
        nonlocal errors, counter
        conn = Connection(host, port)
        try:
            while time.perf_counter() < stop_at:
                counter += 1
                method, path, headers, body = factory(counter)
                started = time.perf_counter()
                reply = await conn.request(method, path, headers, body)
                latencies.append((time.perf_counter() - started) * 1000)
                if not 200 <= reply.status < 300:
                    errors += 1
        finally:
            conn.close()

    began = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(concurrency)))
    return latencies, errors, time.perf_counter() - began
