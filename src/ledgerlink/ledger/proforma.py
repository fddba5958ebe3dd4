"""Proforma fees (seed 003's `proforma_*_cost_percentage`): an estimate of the payment and marketplace
costs booked with the order, so margins are right before the real fees arrive; the real fee then
clears the estimate and posts only the difference to expense (the true-up).

    on the order:     Dr fees (estimate)        / Cr accrued fees (estimate)
    real fee arrives: Dr accrued fees (estimate) + Dr fees (actual - estimate) / Cr clearing (actual)

The estimate is a percentage of the order total, rounded half-even to the currency's minor unit. Which
real fee consumes an order's estimate (the first charge's fee, say) is the caller's to decide: pass
the estimate to exactly one fee posting.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from ledgerlink.canonical.records import Order
from ledgerlink.ledger.accounts import AccountRole
from ledgerlink.ledger.context import PostingContext
from ledgerlink.ledger.lines import Lines
from ledgerlink.ledger.settings import LedgerSettings

FEE_ROLES = {  # expense role -> the accrual its estimates sit in
    AccountRole.PROCESSOR_FEES: AccountRole.ACCRUED_PROCESSOR_FEES,
    AccountRole.MARKETPLACE_FEES: AccountRole.ACCRUED_MARKETPLACE_FEES,
}


@dataclass(frozen=True, slots=True)
class ProformaFees:
    payment_minor: int = 0
    marketplace_minor: int = 0


def proforma_fees(order: Order, settings: LedgerSettings) -> ProformaFees:
    return ProformaFees(
        _percent_of(order.total, settings.proforma_payment_cost_percentage),
        _percent_of(order.total, settings.proforma_marketplace_cost_percentage),
    )


def _percent_of(amount: int, percentage: Decimal | None) -> int:
    if not percentage:
        return 0
    return int((Decimal(amount) * percentage / 100).to_integral_value(rounding=ROUND_HALF_EVEN))


def accrue_estimates(lines: Lines, ctx: PostingContext, estimate: ProformaFees) -> None:
    """The order's share of the estimate lines."""
    for role, amount, what in (
        (AccountRole.PROCESSOR_FEES, estimate.payment_minor, "payment"),
        (AccountRole.MARKETPLACE_FEES, estimate.marketplace_minor, "marketplace"),
    ):
        lines.debit(ctx.account(role), amount, f"proforma {what} cost")
        lines.credit(ctx.account(FEE_ROLES[role]), amount, f"proforma {what} cost")


def fee_lines(lines: Lines, ctx: PostingContext, role: AccountRole, actual: int, estimated: int, memo: str) -> None:
    """A real fee out of the clearing account: to expense, or, with an estimate booked, against the
    accrual with the difference to expense."""
    if estimated:
        lines.debit(ctx.account(FEE_ROLES[role]), estimated, f"{memo}: proforma estimate cleared")
        lines.debit(ctx.account(role), actual - estimated, f"{memo}: true-up, actual less estimate")
    else:
        lines.debit(ctx.account(role), actual, memo)
    lines.credit(ctx.account(AccountRole.CLEARING), actual, memo)
