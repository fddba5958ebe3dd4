"""Batch periods (seed 003's `batch_period_*`): instead of one entry per document, one summarised
entry per period, per currency (and per rate to the base currency, so functional amounts stay exact),
with each account's lines netted. Netting balanced entries keeps the batch balanced and every
account's net movement unchanged; the member ids say which entries a batch stands for.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from ledgerlink.ledger.entries import BaseRate, EntrySource, JournalEntry, SourceKind
from ledgerlink.ledger.lines import Lines
from ledgerlink.ledger.settings import BatchPeriod


@dataclass(frozen=True, slots=True)
class Batch:
    entry: JournalEntry
    member_ids: tuple[str, ...]


def period_bounds(on: date, period: BatchPeriod) -> tuple[date, date]:
    """The first and last day of the period `on` falls in (weeks start on Monday)."""
    if period is BatchPeriod.DAILY:
        return on, on
    if period is BatchPeriod.WEEKLY:
        start = on - timedelta(days=on.weekday())
        return start, start + timedelta(days=6)
    return on.replace(day=1), on.replace(day=calendar.monthrange(on.year, on.month)[1])


def summarise(entries: Iterable[JournalEntry], period: BatchPeriod) -> list[Batch]:
    """One batch entry per (integration, kind, period, currency, base rate), dated the period's last day."""
    groups: dict[tuple[str, str, date, str, BaseRate | None], list[JournalEntry]] = {}
    for entry in entries:
        start, _ = period_bounds(entry.date, period)
        key = (entry.source.integration_id, entry.source.kind, start, entry.currency, entry.base)
        groups.setdefault(key, []).append(entry)
    batches = []
    for (integration_id, kind, start, currency, base), members in groups.items():
        net: dict[str, int] = {}
        for entry in members:
            for line in entry.lines:
                net[line.account] = net.get(line.account, 0) + line.net_minor
        lines = Lines()
        for account in sorted(net):
            lines.debit(account, net[account], f"{len(members)} {kind} entries")
        if not lines.build():
            continue
        rate = f"@{base.rate}" if base else ""
        source = EntrySource(integration_id, SourceKind.BATCH, f"{kind}:{period}:{start}:{currency}{rate}", "")
        end = period_bounds(start, period)[1]
        memo = f"{period} {kind} batch from {start.isoformat()}"
        entry = JournalEntry.create(source, end, currency, lines.build(), memo=memo, base=base)
        batches.append(Batch(entry, tuple(e.id for e in members)))
    return batches
