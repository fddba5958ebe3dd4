"""Amounts for the API: integer minor units beside decimal strings at the currency's exponent
(1250 USD -> "12.50", 1250 JPY -> "1250", 1250 KWD -> "1.250"), in the issue's field names."""

from __future__ import annotations

from typing import Any

from ledgerlink.canonical.money import to_major
from ledgerlink.ledger.entries import JournalEntry, JournalLine
from ledgerlink.ledger.trial_balance import TrialBalance


def decimal_string(minor: int, currency: str) -> str:
    return str(to_major(minor, currency))


def line_view(line: JournalLine, currency: str) -> dict[str, Any]:
    view: dict[str, Any] = {
        "account": line.account,
        "debitMinor": line.debit_minor,
        "creditMinor": line.credit_minor,
        "debit": decimal_string(line.debit_minor, currency),
        "credit": decimal_string(line.credit_minor, currency),
        "memo": line.memo,
    }
    if line.fx:
        view["fx"] = {
            "currency": line.fx.currency,
            "amountMinor": line.fx.amount_minor,
            "amount": decimal_string(line.fx.amount_minor, line.fx.currency),
            "rate": str(line.fx.rate),
        }
    return view


def entry_view(entry: JournalEntry) -> dict[str, Any]:
    source = entry.source
    return {
        "id": entry.id,
        "date": entry.date.isoformat(),
        "currency": entry.currency,
        "source": {
            "integration": source.integration_id,
            "event": str(source.kind),
            "externalId": source.external_id,
            "version": source.version,
        },
        "memo": entry.memo,
        "baseCurrency": entry.base.currency if entry.base else entry.currency,
        "rateToBase": str(entry.base.rate) if entry.base else "1",
        "reverses": entry.reverses,
        "supersedes": list(entry.supersedes),
        "lines": [line_view(line, entry.currency) for line in entry.lines],
    }


def trial_balance_view(balance: TrialBalance) -> dict[str, Any]:
    currency = balance.currency
    return {
        "currency": currency,
        "totalDebitsMinor": balance.total_debits_minor,
        "totalCreditsMinor": balance.total_credits_minor,
        "totalDebits": decimal_string(balance.total_debits_minor, currency),
        "totalCredits": decimal_string(balance.total_credits_minor, currency),
        "balanced": balance.balanced,
        "rows": [
            {
                "account": row.account,
                "name": row.name,
                "type": row.type,
                "debitMinor": row.debit_minor,
                "creditMinor": row.credit_minor,
                "balanceMinor": row.balance_minor,
                "debit": decimal_string(row.debit_minor, currency),
                "credit": decimal_string(row.credit_minor, currency),
                "balance": decimal_string(row.balance_minor, currency),
            }
            for row in balance.rows
        ],
    }
