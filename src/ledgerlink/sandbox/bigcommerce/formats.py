"""How BigCommerce writes values: money, dates, countries, currencies."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from email.utils import format_datetime

from ledgerlink.sandbox.dataset import CURRENCIES, money

ZERO = Decimal(0)
COUNTRY_NAMES = {
    "US": "United States",
    "DE": "Germany",
    "MY": "Malaysia",
    "GB": "United Kingdom",
    "CA": "Canada",
    "JP": "Japan",
    "BR": "Brazil",
    "PL": "Poland",
}
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "MYR": "RM", "KWD": "KD"}


def money4(value: Decimal) -> str:
    """v2 money: a string with four decimals, e.g. "12.0000"."""
    return str(money(value, 4))


def rate10(value: Decimal) -> str:
    """v2 exchange rates: a string with ten decimals."""
    return str(money(value, 10))


def rfc2822(value: datetime | None) -> str:
    """v2 dates, e.g. "Tue, 05 Mar 2019 21:40:11 +0000"; "" when absent, as BigCommerce writes it."""
    if value is None:
        return ""
    return format_datetime(value.astimezone(UTC).replace(microsecond=0))


def iso8601(value: datetime) -> str:
    """v3 dates, e.g. "2019-03-05T21:40:11+00:00"."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def country_name(code: str) -> str:
    return COUNTRY_NAMES.get(code, code)


def currency_id(code: str) -> int:
    """The store's id of a currency: its position among the dataset's currencies."""
    codes = [c for c, _, _ in CURRENCIES]
    return codes.index(code) + 1 if code in codes else 1
