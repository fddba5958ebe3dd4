"""Everything a posting rule needs besides the document: whose books, which accounts, which settings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from ledgerlink.ledger.account_map import AccountMap
from ledgerlink.ledger.accounts import AccountRole
from ledgerlink.ledger.entries import EntrySource, JournalEntry, JournalLine
from ledgerlink.ledger.fx import RateSource, base_rate
from ledgerlink.ledger.settings import LedgerSettings


@dataclass(frozen=True, slots=True)
class PostingContext:
    integration_id: str
    accounts: AccountMap
    base_currency: str
    settings: LedgerSettings = field(default_factory=LedgerSettings)
    rates: RateSource | None = None

    def account(self, role: AccountRole) -> str:
        return self.accounts.account(role)

    def entry(
        self,
        kind: str,
        external_id: str,
        on: date,
        currency: str,
        lines: Iterable[JournalLine],
        memo: str,
    ) -> JournalEntry:
        """An entry of this integration, keyed by (kind, external id, content), with the rate to the
        base currency on its date."""
        source = EntrySource(self.integration_id, kind, external_id, "")
        base = base_rate(self.base_currency, self.rates, currency, on)
        return JournalEntry.create(source, on, currency, lines, memo=memo, base=base)


def day(moment: datetime) -> date:
    """The UTC calendar day of a moment (naive moments are taken as UTC, as the canonical records store them)."""
    return (moment.astimezone(UTC) if moment.tzinfo else moment).date()
