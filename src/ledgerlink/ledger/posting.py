"""Posting rules for the sales side: an order is an invoice, a refund a credit note, both against
receivable. The money side (gateway_posting.py) meets them there: a payment moves receivable into
the gateway's clearing account, a gateway refund moves it back out.

    order:   Dr receivable (total)  Dr discounts  / Cr sales  Cr shipping revenue  Cr tax payable (per
             tax line as given)  [rounding line for what the source's figures leave over]
             [+ proforma fee estimates, proforma.py]
    refund:  Dr returns and allowances  Dr tax payable (back to the order's tax lines, refund_taxes.py)
             Dr shipping refunds (net of its tax)  [Dr/Cr returns: what the refund total does not
             itemise] / Cr receivable (refund total)

Pure functions: a document in, an entry (or None: nothing to post) out. Entries are in the order's
shop currency (the books' currency, canonical/currencies.py), the buyer's presentment amount kept on
the receivable line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from ledgerlink.canonical.records import Order, Refund
from ledgerlink.ledger.account_map import AccountMap
from ledgerlink.ledger.accounts import AccountRole
from ledgerlink.ledger.context import PostingContext, day
from ledgerlink.ledger.entries import ForeignAmount, JournalEntry, SourceKind
from ledgerlink.ledger.errors import PostingError
from ledgerlink.ledger.lines import Lines
from ledgerlink.ledger.order_parts import TaxPart, amounts_include_tax, order_parts
from ledgerlink.ledger.proforma import accrue_estimates, proforma_fees
from ledgerlink.ledger.refund_taxes import refund_taxes
from ledgerlink.ledger.revisions import repost


def post_order(order: Order, ctx: PostingContext) -> JournalEntry | None:
    """The order's invoice; None when invoices are not synced to accounting or the order is void."""
    if not ctx.settings.sync_sales_order_invoices_to_accounting:
        return None
    if order.status == "cancelled" or order.financial_status == "voided":
        return None
    parts = order_parts(order)
    if abs(parts.imbalance) > parts.tolerance:
        raise PostingError(
            f"order {order.external_id}: its tax lines and totals disagree by {parts.imbalance} minor units, "
            f"more than rounding ({parts.tolerance})",
            {"imbalanceMinor": parts.imbalance},
        )
    name = _order_name(order)
    lines = Lines()
    lines.debit(
        ctx.account(AccountRole.RECEIVABLE), parts.receivable, name, _presentment(order, order.total_presentment)
    )
    lines.debit(ctx.account(AccountRole.DISCOUNTS), parts.discounts, "discounts")
    lines.credit(ctx.account(AccountRole.SALES), parts.sales, "sales")
    lines.credit(ctx.account(AccountRole.SHIPPING_REVENUE), parts.shipping, "shipping")
    _tax_lines(lines, ctx.accounts, parts.taxes, reverse=False)
    lines.credit(ctx.account(AccountRole.ROUNDING), lines.imbalance, "rounding: source's tax lines vs its total")
    accrue_estimates(lines, ctx, proforma_fees(order, ctx.settings))
    posted = lines.build()
    if not posted:
        return None
    return ctx.entry(SourceKind.ORDER, order.external_id, _date(order), order.currency, posted, name)


def post_refund(order: Order, refund: Refund, ctx: PostingContext, *, settled: bool) -> JournalEntry | None:
    """The refund's credit note, once the refund has settled (None before, or when credits are not
    synced). Line and shipping amounts include tax exactly when the order's do; their tax goes back to
    the tax accounts the order credited it to."""
    if not settled or not ctx.settings.sync_sales_credit_to_accounting:
        return None
    if refund.processed_at is None:
        raise PostingError(f"refund {refund.external_id} has no processed date")
    includes_tax = amounts_include_tax(order)
    goods = sum(r.amount - r.tax_amount if includes_tax else r.amount for r in refund.lines)
    shipping = refund.shipping_amount - refund.shipping_tax_amount if includes_tax else refund.shipping_amount
    lines = Lines()
    lines.debit(ctx.account(AccountRole.RETURNS), goods, "returned goods")
    _tax_lines(lines, ctx.accounts, refund_taxes(order, refund), reverse=True)
    lines.debit(ctx.account(AccountRole.SHIPPING_REFUNDS), shipping, "shipping refunded")
    unitemised = refund.amount - lines.imbalance
    lines.debit(ctx.account(AccountRole.RETURNS), unitemised, "refund total not itemised (allowance or fee kept)")
    name = f"Refund {refund.external_id} of {_order_name(order)}"
    lines.credit(
        ctx.account(AccountRole.RECEIVABLE), refund.amount, name, _presentment(order, refund.presentment_amount)
    )
    posted = lines.build()
    if not posted:
        return None
    return ctx.entry(SourceKind.REFUND, refund.external_id, day(refund.processed_at), order.currency, posted, name)


def repost_order(history: Sequence[JournalEntry], order: Order, ctx: PostingContext) -> list[JournalEntry]:
    """A new version of an order that has posted `history`: reversals of its live entries and the new
    entry, or nothing when it posts as it stands (revisions.py)."""
    return repost(history, post_order(order, ctx))


def repost_refund(
    history: Sequence[JournalEntry], order: Order, refund: Refund, ctx: PostingContext, *, settled: bool
) -> list[JournalEntry]:
    return repost(history, post_refund(order, refund, ctx, settled=settled))


def _tax_lines(lines: Lines, accounts: AccountMap, taxes: Iterable[TaxPart], *, reverse: bool) -> None:
    for tax in taxes:
        code = accounts.tax_code(tax.title)
        rate = f" {(tax.rate * 100).normalize():f}%" if tax.rate is not None else ""
        memo = f"tax {code}: {tax.title}{rate}" if code else f"tax: {tax.title}{rate}"
        amount = -tax.amount if reverse else tax.amount
        lines.credit(accounts.tax_account(code), amount, memo)


def _presentment(order: Order, amount: int) -> ForeignAmount | None:
    """The buyer's-currency amount of a receivable line, when the buyer paid in another currency."""
    if order.presentment_currency == order.currency or order.exchange_rate is None or amount <= 0:
        return None
    return ForeignAmount(order.presentment_currency, amount, order.exchange_rate)


def _order_name(order: Order) -> str:
    return f"Order {order.number or order.external_id}"


def _date(order: Order) -> date:
    moment = order.placed_at or order.updated_at
    if moment is None:
        raise PostingError(f"order {order.external_id} has no date")
    return day(moment)
