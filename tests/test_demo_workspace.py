"""`ledgerlink demo` sets up its workspace again on each start: the second start finds the integrations
it made and their runs still queued (the demo was stopped mid-sync) and carries on."""

from __future__ import annotations

from sqlalchemy import func, select

from ledgerlink.cli.server_cmds import _demo_workspace
from ledgerlink.models import Integration, SyncRun, Workspace


async def test_a_second_demo_start_finds_its_runs_still_queued(runtime, sandbox):
    stores = {"woocommerce": sandbox.stores["woocommerce"]}
    first_key, first_lines = await _demo_workspace(runtime, stores)
    # Nothing has run the queued syncs: starting them again is refused, and the demo carries on.
    second_key, second_lines = await _demo_workspace(runtime, stores)
    assert first_lines == second_lines and first_key != second_key
    integration_id = first_lines[0].split()[0]
    async with runtime.sessions() as session:
        workspace = (await session.execute(select(Workspace).where(Workspace.name == "demo"))).scalar_one()
        integrations = (
            await session.execute(
                select(func.count()).select_from(Integration).where(Integration.workspace_id == workspace.id)
            )
        ).scalar_one()
        queued = (
            await session.execute(
                select(func.count())
                .select_from(SyncRun)
                .where(SyncRun.integration_id == integration_id, SyncRun.status == "queued")
            )
        ).scalar_one()
    assert integrations == 1
    assert queued == 5  # one run per stream, not two
