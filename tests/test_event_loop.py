"""The worker, the sandbox and the CLI run on the loop `ledgerlink serve` gets from uvicorn."""

from __future__ import annotations

import asyncio

import pytest

from ledgerlink import event_loop


def test_commands_run_on_uvloop_where_it_is_installed() -> None:
    uvloop = pytest.importorskip("uvloop")

    async def which() -> type:
        await asyncio.sleep(0)
        return type(asyncio.get_running_loop())

    assert event_loop.run(which()) is uvloop.Loop
