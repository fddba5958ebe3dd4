"""What a page load knows and what it reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ledgerlink.canonical.external_refs import Outcome
from ledgerlink.sync.refs import RefScope


@dataclass(frozen=True)
class LoadContext:
    workspace_id: str
    integration_id: str
    provider: str
    settings: dict[str, Any] = field(default_factory=dict)
    run_id: str | None = None  # the sync run loading the page (None: a webhook, a one-off load)

    def scope(self, resource_type: str) -> RefScope:
        return RefScope(self.workspace_id, self.integration_id, resource_type)


@dataclass(frozen=True)
class Item:
    """One upstream record, mapped: the canonical record plus what decides whether it is news."""

    external_id: str
    record: Any
    payload_hash: str
    updated_at: datetime | None
    # False when updated_at is no modification time (the stream says so): never judged stale by it.
    versioned: bool = True


@dataclass(frozen=True)
class ItemError:
    external_id: str
    error_type: str  # mapping_error | validation_error | conflict | upstream_error
    message: str


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[ItemError] = field(default_factory=list)

    def count(self, outcome: Outcome) -> None:
        if outcome is Outcome.CREATED:
            self.created += 1
        elif outcome is Outcome.UPDATED:
            self.updated += 1
        else:  # unchanged, and stale: an older copy than we hold changes nothing
            self.unchanged += 1

    def fail(self, error: ItemError) -> None:
        self.failed += 1
        self.errors.append(error)

    def merge(self, other: LoadResult) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.failed += other.failed
        self.errors.extend(other.errors)

    @property
    def processed(self) -> int:
        return self.created + self.updated + self.unchanged + self.failed
