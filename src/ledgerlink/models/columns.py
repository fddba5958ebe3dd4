"""Column types shared by the canonical commerce tables: money, currency codes, exact rates.

Money is an integer count of the currency's minor units (cents for USD, yen for JPY, fils for KWD);
it is never a float. Rates (tax rates, exchange rates) are exact decimals, unconstrained so a value
keeps the precision the source gave it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from sqlalchemy import BigInteger, CheckConstraint, Numeric, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import mapped_column

Money = Annotated[int, mapped_column(BigInteger)]
"""An amount in minor units of a currency named by a sibling column (or the parent order's)."""

Currency = Annotated[str, mapped_column(String(3))]
"""An ISO 4217 alphabetic code, upper case (`USD`)."""

Rate = Annotated[Decimal, mapped_column(Numeric)]
"""An exact ratio: a tax rate as a fraction (0.0825 is 8.25 %) or an exchange rate."""

Attributes = Annotated[dict[str, Any], mapped_column(JSONB, default=dict)]
"""Genuinely open, source-specific data (options, properties, metafields); never the raw payload."""


def currency_check(column: str) -> CheckConstraint:
    """CHECK that `column` is NULL or three upper-case letters."""
    return CheckConstraint(f"{column} ~ '^[A-Z]{{3}}$'", name=f"{column}_iso4217")
