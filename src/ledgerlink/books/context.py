"""The PostingContext of an integration: the workspace's chart, the integration's `mapping` (seed 000:
defaultTaxCode, defaultPaymentAccount, shippingAccount, discountAccount) and settings (seed 003: the
nominal code ids, the accounting flags, the proforma percentages, the batch periods), as stored.

Base currency: the hub keeps no workspace base currency or rate table yet, so each document is booked
in its own (shop) currency and its entries carry no rate to a base (`base` None); the buyer's
currency and rate stay on the receivable line. Trial balances are therefore per currency.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.books import chart
from ledgerlink.ledger.account_map import AccountMap
from ledgerlink.ledger.context import PostingContext
from ledgerlink.ledger.settings import LedgerSettings
from ledgerlink.models import Integration

PLACEHOLDER_BASE = "XXX"  # ISO 4217's "no currency": replaced by each document's currency (in_currency)


async def posting_context(session: AsyncSession, integration: Integration) -> PostingContext:
    """Raises LedgerConfigError when the mapping or settings name accounts the chart lacks (or
    inactive ones), or send one role to two accounts."""
    rows = await chart.accounts(session, integration.workspace_id)
    accounts = AccountMap.build(
        chart.as_chart(rows),
        provider=integration.provider,
        mapping=integration.mapping or {},
        integration_settings=integration.settings or {},
        resolve=chart.resolver(rows),
    )
    settings = LedgerSettings.from_integration_settings(integration.settings or {})
    return PostingContext(integration.id, accounts, PLACEHOLDER_BASE, settings)


def in_currency(ctx: PostingContext, currency: str) -> PostingContext:
    """The context for a document booked in `currency` (see the module's note on base currency)."""
    return ctx if ctx.base_currency == currency else replace(ctx, base_currency=currency)
