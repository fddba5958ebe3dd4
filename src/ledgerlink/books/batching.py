"""Batch periods in the books: for an integration with `batch_period_sales_order_fulfillments` (orders)
or `batch_period_customer_returns` (refunds) set (seed 003), its documents post as one summarised entry
per period and currency (ledger/batches.py) instead of one entry each.

Each such document is staged, not posted: `ledger_batch_members` (migration 0008) keeps, per document
and batch, what its current entry contributes (`staged`: each account's net) and what posted batch
entries already hold of it (`posted`). A document is in exactly one batch at a time: when its period
or currency changes, or batching is turned off for it, its other rows are staged as contributing
nothing; when batching is turned on, what it posted on its own is reversed (books/posting.py).

Once a period has closed (its last day is before today, UTC), `post_closed` posts, per batch, one
entry of every member's staged less posted contribution and marks them posted. The first posting of a
period is its batch entry; a document arriving late for a posted period, or a member that changes or
is cancelled afterwards, is posted by the next run as an adjustment batch entry dated the same period
end: the period's batch entries together always equal its members' current entries, netted. Nothing
is edited, and a run that finds nothing changed posts nothing. A batch entry's version names its
members, their versions and the batch entries they were last posted in, so an adjustment never takes
the key of an earlier one even when its figures recur.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ARRAY, String, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.books import store
from ledgerlink.db.copy import upsert_rows
from ledgerlink.ledger.batches import BatchKey, batch_entry, contribution, key_of
from ledgerlink.ledger.entries import BaseRate, JournalEntry, SourceKind
from ledgerlink.ledger.journal import Document
from ledgerlink.ledger.settings import BatchPeriod
from ledgerlink.models import LedgerBatchMember
from ledgerlink.runtime import Runtime

BATCHES_PER_RUN = 200
MAX_RUNS = 20

MEMBERS = LedgerBatchMember.__table__

_STRINGS = ARRAY(String)
# Rows of these documents in another batch than the one given (NULL: any batch) contribute nothing now.
_WITHDRAW = text(
    """
    UPDATE ledger_batch_members m SET staged = '{}'::jsonb, staged_version = '', updated_at = now()
      FROM unnest(:integrations, :kinds, :externals, :keys) AS d(integration_id, kind, external_id, batch_key)
     WHERE m.integration_id = d.integration_id AND m.source_kind = d.kind AND m.source_external_id = d.external_id
       AND m.batch_key IS DISTINCT FROM d.batch_key AND m.staged_version <> ''
    """
).bindparams(*(bindparam(n, type_=_STRINGS) for n in ("integrations", "kinds", "externals", "keys")))
_DUE_BATCHES = text(
    """
    SELECT DISTINCT integration_id, batch_key FROM ledger_batch_members
     WHERE posted_version IS DISTINCT FROM staged_version AND period_end < :today
     ORDER BY integration_id, batch_key LIMIT :limit
    """
)
_DUE_MEMBERS = text(
    """
    SELECT m.* FROM ledger_batch_members m
      JOIN unnest(:integrations, :keys) AS d(integration_id, batch_key)
        ON m.integration_id = d.integration_id AND m.batch_key = d.batch_key
     WHERE m.posted_version IS DISTINCT FROM m.staged_version
     ORDER BY m.integration_id, m.batch_key, m.source_kind, m.source_external_id
       FOR UPDATE OF m
    """
).bindparams(bindparam("integrations", type_=_STRINGS), bindparam("keys", type_=_STRINGS))
_MARK_POSTED = text(
    """
    UPDATE ledger_batch_members m
       SET posted = d.staged::jsonb, posted_version = d.version, entry_id = coalesce(d.entry_id, m.entry_id),
           updated_at = now()
      FROM unnest(:integrations, :kinds, :externals, :keys, :staged, :versions, :entries)
           AS d(integration_id, kind, external_id, batch_key, staged, version, entry_id)
     WHERE m.integration_id = d.integration_id AND m.source_kind = d.kind AND m.source_external_id = d.external_id
       AND m.batch_key = d.batch_key
    """
).bindparams(
    *(
        bindparam(n, type_=_STRINGS)
        for n in ("integrations", "kinds", "externals", "keys", "staged", "versions", "entries")
    )
)


def _documents(documents: Sequence[Document], keys: Sequence[str | None]) -> dict[str, list[Any]]:
    return {
        "integrations": [d[0] for d in documents],
        "kinds": [str(d[1]) for d in documents],
        "externals": [d[2] for d in documents],
        "keys": list(keys),
    }


async def stage(
    session: AsyncSession,
    batched: Sequence[tuple[store.Posting, BatchPeriod]],
    unbatched: Sequence[Document],
) -> int:
    """Stage each batched document's current entry (None: it contributes nothing now) in its batch, and
    withdraw from their batches the documents that now post on their own. Returns how many documents
    were staged with an entry."""
    latest = {posting.document: (posting, period) for posting, period in batched}
    current = {
        document: key_of(posting.entry, period) if posting.entry else None
        for document, (posting, period) in latest.items()
    }
    keep = {document: key.external_id for document, key in current.items() if key is not None}
    withdrawn = [*current, *unbatched]
    if withdrawn:
        await session.execute(_WITHDRAW, _documents(withdrawn, [keep.get(d) for d in withdrawn]))
    rows = []
    for document, (posting, _) in latest.items():
        key = current[document]
        if key is None or posting.entry is None:
            continue
        rows.append(
            {
                "integration_id": document[0],
                "source_kind": str(document[1]),
                "source_external_id": document[2],
                "batch_key": key.external_id,
                "period": str(key.period),
                "period_start": key.start,
                "period_end": key.end,
                "currency": key.currency,
                "base_currency": key.base.currency if key.base else None,
                "base_rate": key.base.rate if key.base else None,
                "staged": contribution(posting.entry),
                "staged_version": posting.entry.source.version,
                "posted": {},
                "event_id": posting.event_id,
                "workspace_id": posting.workspace_id,
            }
        )
    staged = ("staged", "staged_version", "event_id")
    await upsert_rows(
        session, MEMBERS, rows, conflict=[c.name for c in MEMBERS.primary_key], update=staged, when_changed=staged[:2]
    )
    return len(rows)


def _key(row: Any) -> BatchKey:
    base = BaseRate(row.base_currency, row.base_rate) if row.base_currency else None
    return BatchKey(row.integration_id, row.source_kind, BatchPeriod(row.period), row.period_start, row.currency, base)


def _version(members: Sequence[Any]) -> str:
    """Names this posting of the batch: its members, their versions and where each was last posted."""
    parts = sorted(f"{m.source_kind}:{m.source_external_id}:{m.staged_version}:{m.entry_id or ''}" for m in members)
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:20]


def _change(member: Any) -> dict[str, int]:
    """What the member adds to its period now, beyond what posted batch entries hold of it."""
    accounts = set(member.staged) | set(member.posted)
    return {a: int(member.staged.get(a, 0)) - int(member.posted.get(a, 0)) for a in sorted(accounts)}


async def post_closed(session: AsyncSession, today: date, *, limit: int = BATCHES_PER_RUN) -> tuple[int, int]:
    """Post the changes staged in batches whose period ended before `today`, up to `limit` batches;
    returns (batches looked at, entries posted)."""
    due = (await session.execute(_DUE_BATCHES, {"today": today, "limit": limit})).all()
    if not due:
        return 0, 0
    members = (
        await session.execute(
            _DUE_MEMBERS, {"integrations": [r.integration_id for r in due], "keys": [r.batch_key for r in due]}
        )
    ).all()
    groups: dict[tuple[str, str], list[Any]] = {}
    for member in members:
        groups.setdefault((member.integration_id, member.batch_key), []).append(member)
    posted_before = await store.history_rows(session, [(iid, SourceKind.BATCH, key) for iid, key in groups])
    planned: list[tuple[str, JournalEntry, str | None]] = []
    entry_of: dict[tuple[str, str], str | None] = {}
    for (iid, key), found in groups.items():
        adjustment = bool(posted_before[(iid, SourceKind.BATCH, key)])
        entry = batch_entry(_key(found[0]), [_change(m) for m in found], version=_version(found), adjustment=adjustment)
        entry_of[(iid, key)] = entry.id if entry else None
        if entry is not None:
            planned.append((found[0].workspace_id, entry, None))
    added = await store.insert_entries(session, planned)
    await session.execute(
        _MARK_POSTED,
        {
            **_documents(
                [(m.integration_id, m.source_kind, m.source_external_id) for m in members],
                [m.batch_key for m in members],
            ),
            "staged": [json.dumps(m.staged) for m in members],
            "versions": [m.staged_version for m in members],
            "entries": [entry_of[(m.integration_id, m.batch_key)] for m in members],
        },
    )
    return len(due), len(added)


async def post_closed_batches(runtime: Runtime, today: date | None = None) -> int:
    """Post every closed period's staged changes, `BATCHES_PER_RUN` batches per transaction; returns the
    entries posted."""
    on = today or datetime.now(UTC).date()
    posted = 0
    for _ in range(MAX_RUNS):
        async with runtime.sessions.begin() as session:
            seen, added = await post_closed(session, on)
        posted += added
        if seen < BATCHES_PER_RUN:
            break
    return posted
