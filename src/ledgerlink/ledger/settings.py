"""An integration's accounting settings (seed 003's `integration_settings`) as the posting rules use them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from ledgerlink.canonical.money import MoneyError, parse_decimal
from ledgerlink.ledger.errors import LedgerConfigError


class BatchPeriod(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


@dataclass(frozen=True, slots=True)
class LedgerSettings:
    sync_sales_order_invoices_to_accounting: bool = True
    sync_sales_credit_to_accounting: bool = True
    proforma_marketplace_cost_percentage: Decimal | None = None  # 15 means 15 % of the order total
    proforma_payment_cost_percentage: Decimal | None = None
    batch_period_sales_order_fulfillments: BatchPeriod | None = None
    batch_period_customer_returns: BatchPeriod | None = None

    @classmethod
    def from_integration_settings(cls, settings: Mapping[str, Any]) -> LedgerSettings:
        """Seed 003's snake_case keys; absent keys take seed 003's defaults (sync on, no proforma, no batching)."""
        return cls(
            sync_sales_order_invoices_to_accounting=_flag(settings, "sync_sales_order_invoices_to_accounting"),
            sync_sales_credit_to_accounting=_flag(settings, "sync_sales_credit_to_accounting"),
            proforma_marketplace_cost_percentage=_percentage(settings, "proforma_marketplace_cost_percentage"),
            proforma_payment_cost_percentage=_percentage(settings, "proforma_payment_cost_percentage"),
            batch_period_sales_order_fulfillments=_period(settings, "batch_period_sales_order_fulfillments"),
            batch_period_customer_returns=_period(settings, "batch_period_customer_returns"),
        )


def _flag(settings: Mapping[str, Any], key: str) -> bool:
    value = settings.get(key, True)
    if not isinstance(value, bool):
        raise LedgerConfigError(f"{key} must be true or false", {"field": key})
    return value


def _percentage(settings: Mapping[str, Any], key: str) -> Decimal | None:
    value = settings.get(key)
    if value is None:
        return None
    try:
        pct = parse_decimal(value)
    except MoneyError:
        raise LedgerConfigError(f"{key} must be a number", {"field": key}) from None
    if not 0 <= pct <= 100:
        raise LedgerConfigError(f"{key} must be between 0 and 100", {"field": key})
    return pct


def _period(settings: Mapping[str, Any], key: str) -> BatchPeriod | None:
    value = settings.get(key)
    if value in (None, ""):
        return None
    try:
        return BatchPeriod(str(value).strip().lower())
    except ValueError:
        allowed = ", ".join(p.value for p in BatchPeriod)
        raise LedgerConfigError(f"{key} must be one of {allowed}", {"field": key}) from None
