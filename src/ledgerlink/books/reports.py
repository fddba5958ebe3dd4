"""What the ledger API reads: journal entries (filtered, paged) and trial balances, from the database,
shaped by ledger/render.py (integer minor units beside decimal strings)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.books import chart, store
from ledgerlink.errors import NotFound
from ledgerlink.ledger.render import entry_view
from ledgerlink.ledger.trial_balance import TrialBalance, TrialBalanceRow
from ledgerlink.models import JournalEntry as EntryRow
from ledgerlink.models import JournalLine as LineRow


@dataclass(frozen=True, slots=True)
class EntryFilter:
    integration_id: str | None = None
    kind: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    account: str | None = None
    currency: str | None = None

    def apply(self, query: Select[Any], workspace_id: str) -> Select[Any]:
        query = query.where(EntryRow.workspace_id == workspace_id)
        if self.integration_id:
            query = query.where(EntryRow.integration_id == self.integration_id)
        if self.kind:
            query = query.where(EntryRow.source_kind == self.kind)
        if self.date_from:
            query = query.where(EntryRow.date >= self.date_from)
        if self.date_to:
            query = query.where(EntryRow.date <= self.date_to)
        if self.currency:
            query = query.where(EntryRow.currency == self.currency)
        if self.account:
            query = query.where(exists().where(LineRow.entry_id == EntryRow.id, LineRow.account == self.account))
        return query


def entries_query(workspace_id: str, where: EntryFilter) -> Select[Any]:
    return where.apply(select(EntryRow), workspace_id)


ENTRY_ORDER = (EntryRow.date.desc(), EntryRow.created_at.desc(), EntryRow.id)


def api_entry(row: EntryRow, entry: Any) -> dict[str, Any]:
    """render.entry_view, its source also under the names the API uses elsewhere (integrationId, kind)
    and with the domain event that posted it."""
    view = entry_view(entry)
    view["source"] = {
        **view["source"],
        "integrationId": entry.source.integration_id,
        "kind": str(entry.source.kind),
        "eventId": row.event_id,
    }
    view["createdAt"] = row.created_at
    return view


async def entry_views(session: AsyncSession, rows: list[EntryRow]) -> list[dict[str, Any]]:
    entries = await store.entries_by_id(session, rows)
    return [api_entry(row, entry) for row, entry in zip(rows, entries, strict=True)]


async def get_entry(session: AsyncSession, workspace_id: str, entry_id: str) -> dict[str, Any]:
    row = (
        await session.execute(select(EntryRow).where(EntryRow.id == entry_id, EntryRow.workspace_id == workspace_id))
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"journal entry '{entry_id}' not found", {"id": entry_id})
    return (await entry_views(session, [row]))[0]


async def trial_balances(session: AsyncSession, workspace_id: str, where: EntryFilter) -> list[TrialBalance]:
    """One per currency (amounts in different currencies are never added), rows by account code."""
    query = where.apply(
        select(EntryRow.currency, LineRow.account, func.sum(LineRow.debit_minor), func.sum(LineRow.credit_minor))
        .select_from(LineRow)
        .join(EntryRow, EntryRow.id == LineRow.entry_id),
        workspace_id,
    ).group_by(EntryRow.currency, LineRow.account)
    sums = (await session.execute(query.order_by(EntryRow.currency, LineRow.account))).all()
    accounts = chart.as_chart(await chart.accounts(session, workspace_id), active_only=False)
    rows: dict[str, list[TrialBalanceRow]] = {}
    for currency, code, debits, credits in sums:
        known = accounts.get(code)
        rows.setdefault(currency, []).append(
            TrialBalanceRow(
                code,
                int(debits),
                int(credits),
                known.name if known else None,
                str(known.type) if known else None,
            )
        )
    return [TrialBalance(currency, tuple(found)) for currency, found in rows.items()]
