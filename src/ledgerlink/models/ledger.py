"""The books: a workspace's chart of accounts and its posted journal (ledger/ is the pure domain).

A journal entry's id is the domain's deterministic key (ledger/entries.py `entry_id`): the primary key,
so posting the same source twice is `INSERT … ON CONFLICT DO NOTHING`. Posted rows are never updated:
a change upstream posts a reversal and a new entry (ledger/revisions.py). Migration 0006 adds triggers
that refuse an UPDATE of either table and refuse lines of an entry that do not balance.

Entries keep their source integration's id without a foreign key: books outlive the connection they
were posted from.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ledgerlink.models.base import Base, IdMixin, TimestampMixin, WorkspaceScoped
from ledgerlink.models.columns import currency_check

ACCOUNT_TYPES = ("asset", "liability", "equity", "revenue", "contra-revenue", "expense")


class LedgerAccount(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    """An account of a workspace's chart, addressed by its code; seeded from ledger.accounts.default_chart()."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (
        UniqueConstraint("workspace_id", "code"),
        CheckConstraint(f"type IN ({', '.join(repr(t) for t in ACCOUNT_TYPES)})", name="type"),
        CheckConstraint("normal_balance IN ('debit', 'credit')", name="normal_balance"),
    )

    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))
    normal_balance: Mapped[str] = mapped_column(String(6))
    active: Mapped[bool] = mapped_column(default=True)


class JournalEntry(WorkspaceScoped, Base):
    __tablename__ = "journal_entries"
    __table_args__ = (
        Index("ix_journal_entries_workspace_date", "workspace_id", "date", "id"),
        Index("ix_journal_entries_document", "integration_id", "source_kind", "source_external_id"),
        currency_check("currency"),
        currency_check("base_currency"),
        CheckConstraint("(base_currency IS NULL) = (base_rate IS NULL)", name="base_pair"),
        CheckConstraint("base_rate > 0", name="base_rate_positive"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # je_…, derived from the source
    integration_id: Mapped[str] = mapped_column(String(40))
    date: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    # The document: (integration, kind, external id); the version says which state of it was posted.
    source_kind: Mapped[str] = mapped_column(String(30))
    source_external_id: Mapped[str] = mapped_column(String(255))
    source_version: Mapped[str] = mapped_column(String(80))
    # The domain event (evt_…) whose processing posted the entry, when one did.
    event_id: Mapped[str | None] = mapped_column(String(40))
    reverses: Mapped[str | None] = mapped_column(String(40), index=True)
    supersedes: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)
    memo: Mapped[str] = mapped_column(Text, default="")
    # The rate to the workspace's base currency on the entry's date; NULL: the entry is in the base.
    base_currency: Mapped[str | None] = mapped_column(String(3))
    base_rate: Mapped[Decimal | None] = mapped_column(Numeric)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class JournalLine(Base):
    __tablename__ = "journal_lines"
    __table_args__ = (
        Index("ix_journal_lines_account", "account", "entry_id"),
        CheckConstraint(
            "debit_minor >= 0 AND credit_minor >= 0 AND (debit_minor = 0) <> (credit_minor = 0)", name="one_side"
        ),
        currency_check("fx_currency"),
        CheckConstraint(
            "(fx_currency IS NULL) = (fx_amount_minor IS NULL) AND (fx_currency IS NULL) = (fx_rate IS NULL)",
            name="fx_all_or_none",
        ),
        CheckConstraint("fx_amount_minor >= 0 AND fx_rate > 0", name="fx_values"),
    )

    entry_id: Mapped[str] = mapped_column(ForeignKey("journal_entries.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    account: Mapped[str] = mapped_column(String(40))
    debit_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    credit_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    memo: Mapped[str] = mapped_column(Text, default="")
    # The line's amount in the currency it came in (the buyer's), with the rate to the entry's currency.
    fx_currency: Mapped[str | None] = mapped_column(String(3))
    fx_amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    fx_rate: Mapped[Decimal | None] = mapped_column(Numeric)


class LedgerPostingError(WorkspaceScoped, Base):
    """A document the posting rules refused (totals that disagree, an unmapped account): nothing is
    posted for it until it changes or its integration's mapping is fixed; the posting job retries it
    now and then, and removes the row once it posts."""

    __tablename__ = "ledger_posting_errors"
    __table_args__ = (Index("ix_ledger_posting_errors_workspace", "workspace_id", "last_failed_at"),)

    integration_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    source_kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    source_external_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    # The stored record to read again to retry (the order, for an order's refunds too).
    canonical_id: Mapped[str] = mapped_column(String(40), index=True)
    event_id: Mapped[str | None] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[Any] = mapped_column(JSONB, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    first_failed_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_failed_at: Mapped[datetime] = mapped_column(server_default=func.now())


class LedgerGatewayVersion(WorkspaceScoped, Base):
    """Which version of a gateway document (a charge, refund, chargeback, payout, fee) the books
    stand for: a digest of the fields the posting rules read. A row whose digest differs has changed
    since it was posted and gets a reversal and a new entry (books/revisions_store.py)."""

    __tablename__ = "ledger_gateway_versions"

    integration_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    source_kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    source_external_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    posted_at: Mapped[datetime] = mapped_column(server_default=func.now())


class LedgerBatchMember(WorkspaceScoped, Base):
    """A document of an integration with a batch period (seed 003): what it contributes to its
    period's summarised entry now (`staged`, each account's net) and what posted batch entries hold of
    it (`posted`); books/batching.py posts the difference once the period has closed."""

    __tablename__ = "ledger_batch_members"
    __table_args__ = (
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso4217"),
        CheckConstraint("period IN ('daily', 'weekly', 'monthly')", name="period"),
        Index(
            "ix_ledger_batch_members_due",
            "period_end",
            "integration_id",
            "batch_key",
            postgresql_where="posted_version IS DISTINCT FROM staged_version",
        ),
    )

    integration_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    source_kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    source_external_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    batch_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    period: Mapped[str] = mapped_column(String(10))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    base_currency: Mapped[str | None] = mapped_column(String(3))
    base_rate: Mapped[Decimal | None] = mapped_column(Numeric)
    staged: Mapped[Any] = mapped_column(JSONB)
    staged_version: Mapped[str] = mapped_column(String(80))
    posted: Mapped[Any] = mapped_column(JSONB)
    posted_version: Mapped[str | None] = mapped_column(String(80))
    entry_id: Mapped[str | None] = mapped_column(String(40))
    event_id: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
