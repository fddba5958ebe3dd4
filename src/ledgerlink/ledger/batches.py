"""Batch periods (seed 003's `batch_period_*`): instead of one entry per document, one summarised
entry per period, per currency (and per rate to the base currency, so functional amounts stay exact),
with each account's lines netted. Netting balanced entries keeps the batch balanced and every
account's net movement unchanged; the member ids say which entries a batch stands for.

A batch is posted once its period has closed. What changes after that (a member changed or
cancelled, a document arriving late for the period) is posted as an adjustment batch entry for the
same period: the net of each such member's new contribution less what the posted batches hold of it,
so the period's batch entries together always equal its members' current entries, netted.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from ledgerlink.ledger.entries import BaseRate, EntrySource, JournalEntry, SourceKind
from ledgerlink.ledger.lines import Lines
from ledgerlink.ledger.settings import BatchPeriod, LedgerSettings

Contribution = Mapping[str, int]  # account -> net minor units (debit positive)


@dataclass(frozen=True, slots=True)
class Batch:
    entry: JournalEntry
    member_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BatchKey:
    """Which summarised entry a document's entry goes into."""

    integration_id: str
    kind: str
    period: BatchPeriod
    start: date
    currency: str
    base: BaseRate | None = None

    @property
    def external_id(self) -> str:
        rate = f"@{self.base.rate}" if self.base else ""
        return f"{self.kind}:{self.period}:{self.start.isoformat()}:{self.currency}{rate}"

    @property
    def end(self) -> date:
        return period_bounds(self.start, self.period)[1]


def period_bounds(on: date, period: BatchPeriod) -> tuple[date, date]:
    """The first and last day of the period `on` falls in (weeks start on Monday)."""
    if period is BatchPeriod.DAILY:
        return on, on
    if period is BatchPeriod.WEEKLY:
        start = on - timedelta(days=on.weekday())
        return start, start + timedelta(days=6)
    return on.replace(day=1), on.replace(day=calendar.monthrange(on.year, on.month)[1])


def period_for(settings: LedgerSettings, kind: str) -> BatchPeriod | None:
    """The batch period of a kind of document: invoices (orders) by batch_period_sales_order_fulfillments,
    credit notes (refunds) by batch_period_customer_returns; anything else posts one entry per document."""
    if kind == SourceKind.ORDER:
        return settings.batch_period_sales_order_fulfillments
    if kind == SourceKind.REFUND:
        return settings.batch_period_customer_returns
    return None


def key_of(entry: JournalEntry, period: BatchPeriod) -> BatchKey:
    start, _ = period_bounds(entry.date, period)
    return BatchKey(entry.source.integration_id, entry.source.kind, period, start, entry.currency, entry.base)


def contribution(entry: JournalEntry | None) -> dict[str, int]:
    """What an entry adds to its batch: each account's net movement (accounts netting to zero left out)."""
    net: dict[str, int] = {}
    for line in entry.lines if entry else ():
        net[line.account] = net.get(line.account, 0) + line.net_minor
    return {account: amount for account, amount in sorted(net.items()) if amount}


def batch_entry(
    key: BatchKey, changes: Iterable[Contribution], *, version: str = "", adjustment: bool = False
) -> JournalEntry | None:
    """The summarised entry of `changes` (members' contributions, or their differences from what was
    posted before), dated the period's last day; None when they net to nothing. An empty `version` is
    the content's fingerprint (entries.py); adjustments name theirs, as equal content may recur."""
    net: dict[str, int] = {}
    count = 0
    for change in changes:
        count += 1
        for account, amount in change.items():
            net[account] = net.get(account, 0) + amount
    what = f"{count} {key.kind} {'entries changed or late' if adjustment else 'entries'}"
    lines = Lines()
    for account in sorted(net):
        lines.debit(account, net[account], what)
    if not lines.build():
        return None
    source = EntrySource(key.integration_id, SourceKind.BATCH, key.external_id, version)
    memo = f"{key.period} {key.kind} batch from {key.start.isoformat()}{': adjustment' if adjustment else ''}"
    return JournalEntry.create(source, key.end, key.currency, lines.build(), memo=memo, base=key.base)


def summarise(entries: Iterable[JournalEntry], period: BatchPeriod) -> list[Batch]:
    """One batch entry per (integration, kind, period, currency, base rate), dated the period's last day."""
    groups: dict[BatchKey, list[JournalEntry]] = {}
    for entry in entries:
        groups.setdefault(key_of(entry, period), []).append(entry)
    batches = []
    for key, members in groups.items():
        entry = batch_entry(key, [contribution(e) for e in members])
        if entry is not None:
            batches.append(Batch(entry, tuple(e.id for e in members)))
    return batches
