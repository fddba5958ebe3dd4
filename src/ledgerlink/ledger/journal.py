"""An in-memory journal with the rules persistence must keep: an entry id is posted once, and a
document's new version replaces its live entries by reversal (revisions.py). The reference the
database-backed journal is tested against, and the store of the property tests and benchmark."""

from __future__ import annotations

from collections.abc import Iterable

from ledgerlink.ledger.entries import JournalEntry
from ledgerlink.ledger.revisions import live_entries, repost

Document = tuple[str, str, str]  # (integration id, source kind, external id)


class Journal:
    def __init__(self) -> None:
        self._entries: dict[str, JournalEntry] = {}
        self._by_document: dict[Document, list[str]] = {}

    @property
    def entries(self) -> tuple[JournalEntry, ...]:
        return tuple(self._entries.values())

    def post(self, entries: Iterable[JournalEntry | None]) -> list[JournalEntry]:
        """Adds the entries not posted before (by id); returns those it added."""
        added = []
        for entry in entries:
            if entry is None or entry.id in self._entries:
                continue
            self._entries[entry.id] = entry
            self._by_document.setdefault(entry.source.document, []).append(entry.id)
            added.append(entry)
        return added

    def history(self, document: Document) -> list[JournalEntry]:
        """Every entry posted for the document, in posting order."""
        return [self._entries[i] for i in self._by_document.get(document, ())]

    def live(self, document: Document) -> list[JournalEntry]:
        return live_entries(self.history(document))

    def apply(self, document: Document, new: JournalEntry | None) -> list[JournalEntry]:
        """Posts a document's current posting (None: it no longer posts), reversing what it replaces."""
        return self.post(repost(self.history(document), new))
