"""retry-failed: a run that re-fetches, one by one, the records another run could not load."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.canonical.records import CanonicalRecord
from ledgerlink.connectors.framework.connector import Connector
from ledgerlink.connectors.framework.stream import Page, Stream, fingerprint, updated_at_is_version
from ledgerlink.connectors.framework.window import SyncWindow
from ledgerlink.errors import Conflict
from ledgerlink.models import SyncItemError
from ledgerlink.sync import runs
from ledgerlink.sync.context import LoadResult
from ledgerlink.upstream.client import UpstreamClient


async def start_retry(
    session: AsyncSession, workspace_id: str, integration_id: str, sync_id: str, max_retries: int
) -> Any:
    source = await runs.get_run(session, workspace_id, sync_id)
    if source.integration_id != integration_id:
        raise Conflict(f"sync run {sync_id} belongs to another integration", {"syncId": sync_id})
    ids = list(
        (
            await session.execute(
                select(SyncItemError.external_id)
                .where(
                    SyncItemError.sync_run_id == source.id,
                    SyncItemError.resolved_at.is_(None),
                    SyncItemError.retries < max_retries,
                    SyncItemError.external_id != "?",
                )
                .order_by(SyncItemError.external_id)
            )
        ).scalars()
    )
    if not ids:
        raise Conflict(
            f"sync run {sync_id} has no failed records left to retry (or they reached maxRetries)",
            {"syncId": sync_id, "maxRetries": max_retries},
        )
    return await runs.start_run(
        session,
        workspace_id,
        integration_id,
        runs.RunRequest(
            stream=source.stream,
            sync_type="retry",
            filters={"externalIds": ids},
            retry_of=source.id,
            page_size=25,
            trigger="retry",
        ),
    )


@dataclass(frozen=True)
class RetryStream:
    """Reads the given records one by one through the connector's fetch_record."""

    connector: Connector
    base: Stream

    @property
    def name(self) -> str:
        return self.base.name

    @property
    def resource_type(self) -> str:
        return self.base.resource_type

    @property
    def updated_at_is_version(self) -> bool:
        return updated_at_is_version(self.base)

    def fingerprint(self, raw: Any) -> Any:
        return fingerprint(self.base, raw)

    @staticmethod
    def batch(window: SyncWindow, token: dict[str, Any] | None) -> tuple[list[str], int, int]:
        """The ids the page at `token` covers, where it starts, and how many ids there are in all."""
        ids: list[str] = list(window.filters.get("externalIds") or [])
        start = int((token or {}).get("offset", 0))
        return ids[start : start + window.page_size], start, len(ids)

    async def read_page(self, client: UpstreamClient, window: SyncWindow, token: dict[str, Any] | None) -> Page:
        batch, start, total = self.batch(window, token)
        records = []
        for external_id in batch:
            record = await self.connector.fetch_record(client, self.base.name, external_id)
            if record is not None:
                records.append(record)
        end = start + len(batch)
        return Page(records, {"offset": end} if end < total else None, total if start == 0 else None)

    def external_id(self, raw: Any) -> str:
        return self.base.external_id(raw)

    def updated_at(self, raw: Any) -> datetime | None:
        return self.base.updated_at(raw)

    def map(self, raw: Any) -> CanonicalRecord:
        return self.base.map(raw)


async def settle_source_errors(
    session: AsyncSession, source_run_id: str, attempted: list[str], result: LoadResult
) -> None:
    """Mark the source run's errors resolved for records that loaded now (or are gone upstream);
    count a retry for the rest."""
    failed = {e.external_id for e in result.errors}
    resolved = [i for i in attempted if i not in failed]
    table = SyncItemError.__table__
    if resolved:
        await session.execute(
            update(table)
            .where(table.c.sync_run_id == source_run_id, table.c.external_id.in_(resolved))
            .values(resolved_at=func.now())
        )
    if failed:
        await session.execute(
            update(table)
            .where(table.c.sync_run_id == source_run_id, table.c.external_id.in_(sorted(failed)))
            .values(retries=table.c.retries + 1)
        )
