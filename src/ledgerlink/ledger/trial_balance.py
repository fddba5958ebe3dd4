"""The trial balance: every account's debits and credits summed, per currency (amounts in different
currencies are never added), or in the base currency through each entry's kept rate."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ledgerlink.ledger.accounts import Account
from ledgerlink.ledger.entries import JournalEntry, JournalLine
from ledgerlink.ledger.fx import functional_lines


@dataclass(frozen=True, slots=True)
class TrialBalanceRow:
    account: str
    debit_minor: int
    credit_minor: int
    name: str | None = None  # from the chart, when given one that has the account
    type: str | None = None

    @property
    def balance_minor(self) -> int:
        """Debit balance positive, credit balance negative."""
        return self.debit_minor - self.credit_minor


@dataclass(frozen=True, slots=True)
class TrialBalance:
    currency: str
    rows: tuple[TrialBalanceRow, ...]

    @property
    def total_debits_minor(self) -> int:
        return sum(r.debit_minor for r in self.rows)

    @property
    def total_credits_minor(self) -> int:
        return sum(r.credit_minor for r in self.rows)

    @property
    def balanced(self) -> bool:
        return self.total_debits_minor == self.total_credits_minor

    def row(self, account: str) -> TrialBalanceRow | None:
        return next((r for r in self.rows if r.account == account), None)


def trial_balances(
    entries: Iterable[JournalEntry], chart: Mapping[str, Account] | None = None
) -> dict[str, TrialBalance]:
    """One trial balance per currency the entries are in."""
    by_currency: dict[str, list[tuple[JournalLine, ...]]] = {}
    for entry in entries:
        by_currency.setdefault(entry.currency, []).append(entry.lines)
    return {currency: _summed(currency, groups, chart) for currency, groups in sorted(by_currency.items())}


def trial_balance(
    entries: Iterable[JournalEntry], currency: str, chart: Mapping[str, Account] | None = None
) -> TrialBalance:
    return _summed(currency, (e.lines for e in entries if e.currency == currency), chart)


def functional_trial_balance(
    entries: Iterable[JournalEntry],
    base_currency: str,
    rounding_account: str,
    chart: Mapping[str, Account] | None = None,
) -> TrialBalance:
    """Every entry measured in the base currency (fx.py's rounding rule); an entry in another currency
    without a rate to the base is an error, not a silent omission."""
    groups = []
    for entry in entries:
        measured_in = entry.base.currency if entry.base else entry.currency
        if measured_in != base_currency:
            raise ValueError(f"entry {entry.id} in {entry.currency} has no rate to {base_currency}")
        groups.append(functional_lines(entry, rounding_account))
    return _summed(base_currency, groups, chart)


def _summed(
    currency: str, groups: Iterable[Iterable[JournalLine]], chart: Mapping[str, Account] | None
) -> TrialBalance:
    sums: dict[str, list[int]] = {}
    for lines in groups:
        for line in lines:
            pair = sums.setdefault(line.account, [0, 0])
            pair[0] += line.debit_minor
            pair[1] += line.credit_minor
    rows = []
    for code in sorted(sums):
        account = (chart or {}).get(code)
        debit, credit = sums[code]
        rows.append(
            TrialBalanceRow(code, debit, credit, account.name if account else None, account.type if account else None)
        )
    return TrialBalance(currency, tuple(rows))
