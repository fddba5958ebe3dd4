"""Foreign currency: entries stay in their document's currency, with the rate to the workspace's base
currency kept on them; base-currency (functional) amounts are derived, never posted in their place.

Rounding rule for functional amounts: each line is converted on its own and rounded half-even to the
base currency's minor unit; what that leaves unbalanced goes on an explicit line to the rounding
account, so the functional view balances too and the difference is visible.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Protocol

from ledgerlink.canonical.money import to_major, to_minor
from ledgerlink.ledger.entries import BaseRate, JournalEntry, JournalLine
from ledgerlink.ledger.errors import PostingError
from ledgerlink.ledger.lines import Lines


class RateSource(Protocol):
    def __call__(self, currency: str, on: date) -> Decimal | None:
        """Base units per unit of `currency` on `on`; None when unknown."""


class FixedRates:
    """One rate per currency whatever the date: tests, and workspaces that book at a fixed rate."""

    def __init__(self, rates: Mapping[str, Decimal | str]) -> None:
        self._rates = {code.upper(): Decimal(rate) for code, rate in rates.items()}

    def __call__(self, currency: str, on: date) -> Decimal | None:
        return self._rates.get(currency)


def base_rate(base_currency: str, rates: RateSource | None, currency: str, on: date) -> BaseRate | None:
    """The rate to keep on an entry in `currency`; None for one in the base currency itself."""
    if currency == base_currency:
        return None
    rate = rates(currency, on) if rates else None
    if rate is None:
        raise PostingError(f"no {currency}->{base_currency} rate for {on.isoformat()}")
    return BaseRate(base_currency, rate)


def functional_lines(entry: JournalEntry, rounding_account: str) -> tuple[JournalLine, ...]:
    """The entry's lines measured in the base currency (`entry.base.currency`), balanced; possibly none
    when every amount rounds to zero. An entry already in the base currency keeps its lines."""
    if entry.base is None:
        return entry.lines
    lines = Lines()
    for line in entry.lines:
        major = to_major(line.net_minor, entry.currency) * entry.base.rate
        lines.debit(line.account, to_minor(major, entry.base.currency), line.memo)
    lines.credit(rounding_account, lines.imbalance, "rounding: conversion to base currency")
    return lines.build()
