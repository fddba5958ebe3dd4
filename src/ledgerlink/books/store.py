"""The journal in PostgreSQL, with the in-memory Journal's rules (ledger/journal.py): an entry id is
posted once (`INSERT … ON CONFLICT DO NOTHING` on the primary key), and a document's new posting
replaces its live entries by reversal (ledger/revisions.py). Rows are only ever inserted.

Writes are batched: one history read for every document of a batch, then the entries and their lines
through COPY (db/copy.py), whatever the batch size.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ARRAY, String, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.db.copy import insert_rows, upsert_rows
from ledgerlink.ledger.entries import BaseRate, EntrySource, ForeignAmount, JournalEntry, JournalLine
from ledgerlink.ledger.journal import Document
from ledgerlink.ledger.revisions import repost
from ledgerlink.models import JournalEntry as EntryRow
from ledgerlink.models import JournalLine as LineRow


@dataclass(frozen=True, slots=True)
class Posting:
    """A document's posting as it stands now (`entry` None: it no longer posts anything)."""

    workspace_id: str
    document: Document
    entry: JournalEntry | None
    event_id: str | None = None


_HISTORY = text(
    """
    SELECT e.* FROM journal_entries e
      JOIN unnest(:integrations, :kinds, :externals) AS d(integration_id, kind, external_id)
        ON e.integration_id = d.integration_id AND e.source_kind = d.kind AND e.source_external_id = d.external_id
     ORDER BY e.created_at, e.id
    """
).bindparams(
    bindparam("integrations", type_=ARRAY(String)),
    bindparam("kinds", type_=ARRAY(String)),
    bindparam("externals", type_=ARRAY(String)),
)


def entry_row(entry: JournalEntry, workspace_id: str, event_id: str | None = None) -> dict[str, Any]:
    return {
        "id": entry.id,
        "workspace_id": workspace_id,
        "integration_id": entry.source.integration_id,
        "date": entry.date,
        "currency": entry.currency,
        "source_kind": str(entry.source.kind),
        "source_external_id": entry.source.external_id,
        "source_version": entry.source.version,
        "event_id": event_id,
        "reverses": entry.reverses,
        "supersedes": list(entry.supersedes),
        "memo": entry.memo,
        "base_currency": entry.base.currency if entry.base else None,
        "base_rate": entry.base.rate if entry.base else None,
    }


def line_rows(entry: JournalEntry) -> list[dict[str, Any]]:
    return [
        {
            "entry_id": entry.id,
            "position": n,
            "account": line.account,
            "debit_minor": line.debit_minor,
            "credit_minor": line.credit_minor,
            "memo": line.memo,
            "fx_currency": line.fx.currency if line.fx else None,
            "fx_amount_minor": line.fx.amount_minor if line.fx else None,
            "fx_rate": line.fx.rate if line.fx else None,
        }
        for n, line in enumerate(entry.lines)
    ]


def to_domain(entry: Any, lines: Iterable[Any]) -> JournalEntry:
    """A stored entry (a row with the journal_entries columns) and its lines, in position order, as the
    domain's entry: the constructor checks again that it balances."""
    base = BaseRate(entry.base_currency, entry.base_rate) if entry.base_currency else None
    source = EntrySource(entry.integration_id, entry.source_kind, entry.source_external_id, entry.source_version)
    return JournalEntry(
        entry.id,
        entry.date,
        entry.currency,
        source,
        tuple(
            JournalLine(
                line.account,
                line.debit_minor,
                line.credit_minor,
                line.memo,
                ForeignAmount(line.fx_currency, line.fx_amount_minor, line.fx_rate) if line.fx_currency else None,
            )
            for line in lines
        ),
        entry.memo,
        base,
        entry.reverses,
        tuple(entry.supersedes),
    )


_LINES = text("SELECT * FROM journal_lines WHERE entry_id = ANY(:ids) ORDER BY entry_id, position").bindparams(
    bindparam("ids", type_=ARRAY(String))
)


async def lines_of(session: AsyncSession, entry_ids: Sequence[str]) -> dict[str, list[Any]]:
    """entry id -> its line rows in position order."""
    found: dict[str, list[Any]] = {i: [] for i in entry_ids}
    if entry_ids:
        for line in await session.execute(_LINES, {"ids": list(entry_ids)}):
            found[line.entry_id].append(line)
    return found


async def entries_by_id(session: AsyncSession, rows: Sequence[Any]) -> list[JournalEntry]:
    """Stored entry rows (in the order given) as domain entries, with their lines."""
    lines = await lines_of(session, [r.id for r in rows])
    return [to_domain(r, lines[r.id]) for r in rows]


async def history_rows(session: AsyncSession, documents: Sequence[Document]) -> dict[Document, list[Any]]:
    """Every entry row posted so far for each document (reversals too), in posting order; no lines."""
    found: dict[Document, list[Any]] = {d: [] for d in documents}
    if documents:
        params = {
            "integrations": [d[0] for d in documents],
            "kinds": [str(d[1]) for d in documents],
            "externals": [d[2] for d in documents],
        }
        for row in await session.execute(_HISTORY, params):
            found[(row.integration_id, row.source_kind, row.source_external_id)].append(row)
    return found


async def histories(session: AsyncSession, documents: Sequence[Document]) -> dict[Document, list[JournalEntry]]:
    """Every entry posted so far for each document (reversals too), in posting order."""
    rows = await history_rows(session, documents)
    lines = await lines_of(session, [r.id for found in rows.values() for r in found])
    return {d: [to_domain(r, lines[r.id]) for r in found] for d, found in rows.items()}


def _stands(rows: Sequence[Any], entry: JournalEntry | None) -> bool:
    """Whether the document's one live entry is this very version: repost would post nothing (the
    first test of revisions._same, answered without reading lines)."""
    if entry is None:
        return False
    reversed_ids = {r.reverses for r in rows if r.reverses}
    live = [r for r in rows if r.reverses is None and r.id not in reversed_ids]
    return len(live) == 1 and live[0].source_version == entry.source.version


async def insert_entries(
    session: AsyncSession, entries: Sequence[tuple[str, JournalEntry, str | None]]
) -> list[JournalEntry]:
    """(workspace, entry, event) triples; inserts the entries whose id is not posted yet, with their
    lines, and returns those it inserted. Safe against a concurrent poster of the same entries: the
    primary key lets one of them in, and only its lines are written."""
    if not entries:
        return []
    inserted = await upsert_rows(
        session,
        EntryRow.__table__,
        [entry_row(entry, workspace_id, event_id) for workspace_id, entry, event_id in entries],
        update=(),
        returning=("id",),
    )
    new_ids = {entry_id for (entry_id,) in inserted}
    added = [entry for _, entry, _ in entries if entry.id in new_ids]
    await insert_rows(session, LineRow.__table__, [row for entry in added for row in line_rows(entry)])
    return added


async def post(session: AsyncSession, postings: Sequence[Posting]) -> list[JournalEntry]:
    """Post each document's current posting against what it posted before; returns the entries added.
    A document given twice is posted as its last posting. Lines of earlier entries are read only for
    documents whose posting changed (to reverse them, or compare their content)."""
    latest = {p.document: p for p in postings}
    rows = await history_rows(session, list(latest))
    changed = {d: found for d, found in rows.items() if found and not _stands(found, latest[d].entry)}
    lines = await lines_of(session, [r.id for found in changed.values() for r in found])
    planned: list[tuple[str, JournalEntry, str | None]] = []
    for document, posting in latest.items():
        if rows[document] and document not in changed:
            continue
        history = [to_domain(r, lines[r.id]) for r in changed.get(document, ())]
        for entry in repost(history, posting.entry):
            planned.append((posting.workspace_id, entry, posting.event_id))
    return await insert_entries(session, planned)
