"""Posting rules for the money side: processors and marketplaces post through their integration's
clearing account, which a payout (or settlement) empties into the bank.

    charge:           Dr clearing / Cr receivable (unapplied cash without an order)  + its fee
    fee (any):        Dr processor or marketplace fees / Cr clearing  (with a proforma estimate:
                      Dr accrued fees (estimate) + Dr fees (difference) / Cr clearing, proforma.py)
    gateway refund:   Dr receivable (unapplied cash without an order) / Cr clearing  + its fee
    chargeback:       Dr chargebacks / Cr clearing, + its fee  (reinstated: the mirror image)
    marketplace fee:  Dr marketplace fees / Cr clearing (the marketplace's)
    payout:           Dr bank / Cr clearing  (negative: the mirror image)

Nothing posts before the event has settled: a pending refund or payout may still fail.
"""

from __future__ import annotations

from ledgerlink.ledger.accounts import AccountRole
from ledgerlink.ledger.context import PostingContext, day
from ledgerlink.ledger.entries import JournalEntry, SourceKind
from ledgerlink.ledger.inputs import (
    Chargeback,
    GatewayCharge,
    GatewayEvent,
    GatewayRefund,
    MarketplaceFee,
    Payout,
    ProcessorFee,
)
from ledgerlink.ledger.lines import Lines
from ledgerlink.ledger.proforma import fee_lines


def post_charge(charge: GatewayCharge, ctx: PostingContext, *, estimated_fee_minor: int = 0) -> JournalEntry | None:
    lines = Lines()
    memo = _about("payment", charge)
    lines.debit(ctx.account(AccountRole.CLEARING), charge.amount_minor, memo)
    lines.credit(_customer(ctx, charge), charge.amount_minor, memo)
    fee_lines(lines, ctx, AccountRole.PROCESSOR_FEES, charge.fee_minor, estimated_fee_minor, "processor fee")
    return _entry(ctx, SourceKind.CHARGE, charge, lines, memo)


def post_gateway_refund(refund: GatewayRefund, ctx: PostingContext) -> JournalEntry | None:
    lines = Lines()
    memo = _about("refund paid out", refund)
    lines.debit(_customer(ctx, refund), refund.amount_minor, memo)
    lines.credit(ctx.account(AccountRole.CLEARING), refund.amount_minor, memo)
    fee_lines(lines, ctx, AccountRole.PROCESSOR_FEES, refund.fee_minor, 0, "refund fee")
    return _entry(ctx, SourceKind.GATEWAY_REFUND, refund, lines, memo)


def post_processor_fee(fee: ProcessorFee, ctx: PostingContext, *, estimated_fee_minor: int = 0) -> JournalEntry | None:
    lines = Lines()
    memo = _about("processor fee", fee)
    fee_lines(lines, ctx, AccountRole.PROCESSOR_FEES, fee.amount_minor, estimated_fee_minor, memo)
    return _entry(ctx, SourceKind.PROCESSOR_FEE, fee, lines, memo)


def post_marketplace_fee(
    fee: MarketplaceFee, ctx: PostingContext, *, estimated_fee_minor: int = 0
) -> JournalEntry | None:
    lines = Lines()
    memo = _about("marketplace fee", fee)
    fee_lines(lines, ctx, AccountRole.MARKETPLACE_FEES, fee.amount_minor, estimated_fee_minor, memo)
    return _entry(ctx, SourceKind.MARKETPLACE_FEE, fee, lines, memo)


def post_chargeback(chargeback: Chargeback, ctx: PostingContext) -> JournalEntry | None:
    sign = -1 if chargeback.reinstated else 1
    lines = Lines()
    memo = _about("dispute reinstated" if chargeback.reinstated else "dispute", chargeback)
    lines.debit(ctx.account(AccountRole.CHARGEBACKS), sign * chargeback.amount_minor, memo)
    lines.credit(ctx.account(AccountRole.CLEARING), sign * chargeback.amount_minor, memo)
    fee_lines(lines, ctx, AccountRole.PROCESSOR_FEES, sign * chargeback.fee_minor, 0, "dispute fee")
    return _entry(ctx, SourceKind.CHARGEBACK, chargeback, lines, memo)


def post_payout(payout: Payout, ctx: PostingContext) -> JournalEntry | None:
    lines = Lines()
    memo = _about("payout", payout)
    lines.debit(ctx.account(AccountRole.BANK), payout.amount_minor, memo)
    lines.credit(ctx.account(AccountRole.CLEARING), payout.amount_minor, memo)
    return _entry(ctx, SourceKind.PAYOUT, payout, lines, memo)


def post_event(event: GatewayEvent, ctx: PostingContext) -> JournalEntry | None:
    """Any gateway event by its type (without proforma estimates: use the specific rule for those)."""
    match event:
        case GatewayCharge():
            return post_charge(event, ctx)
        case GatewayRefund():
            return post_gateway_refund(event, ctx)
        case ProcessorFee():
            return post_processor_fee(event, ctx)
        case MarketplaceFee():
            return post_marketplace_fee(event, ctx)
        case Chargeback():
            return post_chargeback(event, ctx)
        case Payout():
            return post_payout(event, ctx)
    raise TypeError(f"no posting rule for {type(event).__name__}")


def _customer(ctx: PostingContext, event: GatewayEvent) -> str:
    """Receivable when the money is for a known order, else unapplied cash until it is matched."""
    return ctx.account(AccountRole.RECEIVABLE if event.order_external_id else AccountRole.UNAPPLIED_CASH)


def _about(what: str, event: GatewayEvent) -> str:
    order = f" for order {event.order_external_id}" if event.order_external_id else ""
    return f"{what} {event.external_id}{order}"


def _entry(ctx: PostingContext, kind: SourceKind, event: GatewayEvent, lines: Lines, memo: str) -> JournalEntry | None:
    posted = lines.build()
    if not event.settled or not posted:
        return None
    return ctx.entry(kind, event.external_id, day(event.occurred_at), event.currency, posted, memo)
