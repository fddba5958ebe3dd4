"""A posted entry is never edited: a changed document posts a reversal of what it had posted and a new
entry. Both are keyed deterministically: a reversal by the entry it cancels, a document's later
entry by its content and every entry the document posted before it. So re-running a repost posts
nothing twice, and a document that changes and changes back (or stops posting and posts again) gets a
fresh entry rather than the key of one already reversed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from ledgerlink.ledger.entries import JournalEntry, fingerprint


def reverse(entry: JournalEntry, on: date | None = None) -> JournalEntry:
    """The entry's mirror image (every line on the other side), dated `on` (default: the entry's date)."""
    source = replace(entry.source, version=f"reversal:{entry.id}")
    lines = (line.reversed() for line in entry.lines)
    memo = f"Reversal of {entry.memo or entry.id}"
    return JournalEntry.create(
        source, on or entry.date, entry.currency, lines, memo=memo, base=entry.base, reverses=entry.id
    )


def live_entries(history: Sequence[JournalEntry]) -> list[JournalEntry]:
    """The entries that stand: neither reversals nor reversed."""
    reversed_ids = {e.reverses for e in history if e.reverses}
    return [e for e in history if e.reverses is None and e.id not in reversed_ids]


def repost(history: Sequence[JournalEntry], new: JournalEntry | None, *, on: date | None = None) -> list[JournalEntry]:
    """What to post for a document that has posted `history` (every entry of it so far, reversals too)
    and now posts as `new` (None: nothing any more). Nothing when it posts as it stands; else a
    reversal of each live entry, dated `on` (default: the new entry's date), then the new entry, which
    supersedes the document's earlier entries."""
    live = live_entries(history)
    if new is not None and len(live) == 1 and _same(live[0], new):
        return []
    reversals = [reverse(e, on or (new.date if new else None)) for e in live]
    if new is None or not history:
        return [*reversals, *([new] if new else [])]
    earlier = tuple(sorted(e.id for e in history if e.reverses is None))
    replacement = JournalEntry.create(
        new.source, new.date, new.currency, new.lines, memo=new.memo, base=new.base, supersedes=earlier
    )
    return [*reversals, replacement]


def _same(old: JournalEntry, new: JournalEntry) -> bool:
    if old.source.version == new.source.version:
        return True
    return fingerprint(old.date, old.currency, old.lines, old.base) == fingerprint(
        new.date, new.currency, new.lines, new.base
    )
