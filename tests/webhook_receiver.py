"""A subscriber's endpoint for tests: records every delivery and answers as told."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str = ""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)  # extra response headers (Retry-After…)
    received: list[Received] = field(default_factory=list)

    async def handle(self, request: Request) -> Response:
        self.received.append(Received({k.lower(): v for k, v in request.headers.items()}, await request.body()))
        return Response(status_code=self.status, headers=self.headers, content=b"ok")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    """An ASGI app on a real loopback socket for the block's duration; yields its base URL."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def running_receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    async with serving(Starlette(routes=[Route("/hook", receiver.handle, methods=["POST"])])) as base:
        receiver.url = f"{base}/hook"
        yield receiver
