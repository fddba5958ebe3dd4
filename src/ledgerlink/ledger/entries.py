"""Journal entries and lines: double entry enforced at construction, so an unbalanced entry cannot exist.

Amounts are non-negative integer minor units of the entry's currency (canonical/money.py's exponents:
JPY 0 decimals, KWD 3), each line on one side only. An entry's id is derived from its source
(integration, kind, external id, version) and nothing else, so posting the same source twice gives
the same id and persistence can refuse the second with a unique constraint. The version is, unless the
caller names one, a fingerprint of the entry's content: a re-sync of an unchanged document is the same
entry, a change of amounts is a new one (see revisions.py for how it replaces the old).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum

from ledgerlink.ids import derived_id
from ledgerlink.ledger.errors import InvalidEntry


def check_currency(code: str) -> str:
    if not (len(code) == 3 and code.isascii() and code.isalpha() and code.isupper()):
        raise InvalidEntry(f"not an upper-case ISO 4217 code: {code!r}")
    return code


def _check_minor(value: object, what: str) -> None:
    if type(value) is not int or value < 0:
        raise InvalidEntry(f"{what} must be a non-negative whole number of minor units, got {value!r}")


@dataclass(frozen=True, slots=True)
class ForeignAmount:
    """What a line's amount was in the currency it came in (the buyer's, the processor's)."""

    currency: str
    amount_minor: int
    rate: Decimal  # units of the entry's currency per unit of `currency`

    def __post_init__(self) -> None:
        check_currency(self.currency)
        _check_minor(self.amount_minor, "foreign amount")
        if not self.rate.is_finite() or self.rate <= 0:
            raise InvalidEntry(f"exchange rate must be positive, got {self.rate}")


@dataclass(frozen=True, slots=True)
class BaseRate:
    """The rate from an entry's currency to the workspace's base (functional) currency on its date."""

    currency: str
    rate: Decimal  # base units per unit of the entry's currency

    def __post_init__(self) -> None:
        check_currency(self.currency)
        if not self.rate.is_finite() or self.rate <= 0:
            raise InvalidEntry(f"exchange rate must be positive, got {self.rate}")


class SourceKind(StrEnum):
    """What kind of source document or event an entry was posted from."""

    ORDER = "order"
    REFUND = "refund"
    CHARGE = "charge"
    GATEWAY_REFUND = "gateway_refund"
    PROCESSOR_FEE = "processor_fee"
    CHARGEBACK = "chargeback"
    MARKETPLACE_FEE = "marketplace_fee"
    PAYOUT = "payout"
    BATCH = "batch"


@dataclass(frozen=True, slots=True)
class EntrySource:
    """What an entry was posted from; (integration, kind, external id) names the document, the version
    which state of it."""

    integration_id: str
    kind: str
    external_id: str
    version: str

    @property
    def document(self) -> tuple[str, str, str]:
        return self.integration_id, self.kind, self.external_id


@dataclass(frozen=True, slots=True)
class JournalLine:
    account: str
    debit_minor: int = 0
    credit_minor: int = 0
    memo: str = ""
    fx: ForeignAmount | None = None

    def __post_init__(self) -> None:
        _check_minor(self.debit_minor, "debit")
        _check_minor(self.credit_minor, "credit")
        if bool(self.debit_minor) == bool(self.credit_minor):
            raise InvalidEntry(f"line on {self.account}: exactly one of debit and credit must be non-zero")
        if not self.account:
            raise InvalidEntry("line without an account")

    @property
    def net_minor(self) -> int:
        """Debit positive, credit negative."""
        return self.debit_minor - self.credit_minor

    def reversed(self) -> JournalLine:
        return replace(self, debit_minor=self.credit_minor, credit_minor=self.debit_minor)


@dataclass(frozen=True, slots=True)
class JournalEntry:
    id: str
    date: date
    currency: str
    source: EntrySource
    lines: tuple[JournalLine, ...]
    memo: str = ""
    base: BaseRate | None = None  # None: the entry is in the base currency
    reverses: str | None = None  # the id of the entry this one cancels
    supersedes: tuple[str, ...] = ()  # the ids of the entries this one replaces (reversed alongside it)

    def __post_init__(self) -> None:
        check_currency(self.currency)
        if not self.lines:
            raise InvalidEntry(f"entry {self.id} has no lines")
        debits = sum(line.debit_minor for line in self.lines)
        credits = sum(line.credit_minor for line in self.lines)
        if debits != credits:
            raise InvalidEntry(
                f"entry {self.id} does not balance: debits {debits} != credits {credits}",
                {"debitsMinor": debits, "creditsMinor": credits},
            )

    @property
    def total_minor(self) -> int:
        return sum(line.debit_minor for line in self.lines)

    @classmethod
    def create(
        cls,
        source: EntrySource,
        on: date,
        currency: str,
        lines: Iterable[JournalLine],
        *,
        memo: str = "",
        base: BaseRate | None = None,
        reverses: str | None = None,
        supersedes: tuple[str, ...] = (),
    ) -> JournalEntry:
        """An entry with its id derived from `source`; an empty `source.version` becomes the content's
        fingerprint."""
        lines = tuple(lines)
        if not source.version:
            source = replace(source, version=fingerprint(on, currency, lines, base))
        return cls(entry_id(source, supersedes), on, currency, source, lines, memo, base, reverses, supersedes)


def entry_id(source: EntrySource, supersedes: tuple[str, ...] = ()) -> str:
    """The idempotency key: the same source (and, for a replacement, the same replaced entries) gives
    the same id, so a document changed and changed back does not collide with its first posting."""
    return derived_id("je", source.integration_id, source.kind, source.external_id, source.version, *supersedes)


def fingerprint(on: date, currency: str, lines: tuple[JournalLine, ...], base: BaseRate | None) -> str:
    """A digest of what an entry says (memos aside): equal for equal postings."""
    parts = [on.isoformat(), currency, f"{base.currency}:{base.rate}" if base else "-"]
    for line in lines:
        fx = f"{line.fx.currency}:{line.fx.amount_minor}:{line.fx.rate}" if line.fx else "-"
        parts.append(f"{line.account}:{line.debit_minor}:{line.credit_minor}:{fx}")
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:20]
