"""One simulated platform served on a real loopback socket, from a thread, for a test's duration."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from ledgerlink.sandbox.server import build_app


@contextmanager
def serving_platform(provider: str, platform: Any) -> Iterator[str]:
    """Yields the URL the platform is mounted at (`http://127.0.0.1:PORT/{provider}`)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(build_app({provider: platform}), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the sandbox server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/{provider}"
    finally:
        server.should_exit = True
        thread.join(10)
