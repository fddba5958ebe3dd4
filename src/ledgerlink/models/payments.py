"""Money movements (payments), refunds, and what a processor's balance and payouts say about them.

`payments` records every movement a processor or channel reports, told apart by `kind`: a charge
(the buyer pays), a refund (money goes back), a chargeback (a dispute pulls money back), a fee (the
processor's cut) and a payout (the balance leaves for the bank). `amount` is the size of the
movement in the direction `kind` names, so it is normally positive; a reversal of one (a returned
fee, a won chargeback) is negative. `status` uses the kind's own words: pending | succeeded | failed |
cancelled for charges, refunds and fees; inquiry | needs_response | under_review | won | lost | closed
for chargebacks; pending | in_transit | paid | failed | cancelled for payouts (`upstream_status` keeps
the processor's word where it differs). `processed_at` is when the movement happened upstream.

A processor's refund is a `payments` row of kind refund, not a `refunds` row: `refunds` is the
commercial refund a shop reports on an order (with lines), the processor's refund is the money leg of
it (`refund_id` links them when known). The two never count twice.

Links are resolved from what the processor states and kept resolvable: `order_source`,
`order_external_id` and `order_number` are the order as the processor was told it (a shop plugin's
metadata), `order_id` the canonical order they name (NULL until an order of that channel in the same
workspace is synced, then filled by whichever sync comes second); `parent_external_id` names a refund's
or chargeback's charge, `parent_id` resolves it; `settlement_external_id` is the balance transaction
that moved the money, through which `payout_id` is found in `payout_items`.

The settlement columns are what the movement did to the processor's balance, in the balance's
currency (which may differ from `currency`; `exchange_rate` says by how much), signed as the balance
saw it (money in positive), with the processor's fee and the net. A chargeback's settlement is the sum
of its balance movements (the withdrawal and, if won, the reinstatement).

`balance_entries` are the processor's balance ledger, one row per balance transaction: charges' gross
and fee, refunds, dispute withdrawals and reinstatements, fees billed on their own, payouts. Fees are
reconciled from these. `payout_items` are the balance transactions a payout says it paid out, kept as
the payout states them (reconciliation compares them with what was recorded).

`payment_sync_runs` groups the runs one payment sync request started (the payments run leads and
its id is the request's `syncId`); `payment_sync_totals` holds each run's money totals per currency,
written with the page that counted them, for the counters seed 000 reports (`totalAmount`, `totalFees`,
`feesRecorded`).

`refunds` are the commercial record of giving money back on an order: one row per upstream refund
(found again through `external_refs` by the upstream refund id), so an order can have several
partial refunds, each with lines saying which order lines (and how many units) it covered. Refund
amounts are in the order's shop and presentment currencies.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ledgerlink.models.base import Base, IdMixin, TimestampMixin, WorkspaceOfParent, WorkspaceScoped
from ledgerlink.models.columns import Attributes, Currency, Money, Rate, currency_check

PAYMENT_KINDS = ("charge", "refund", "chargeback", "fee", "payout")
# canonical/payments.py's EntryKind: what a balance transaction moved money for.
BALANCE_ENTRY_KINDS = ("charge", "refund", "chargeback", "chargeback_reversal", "fee", "payout", "adjustment", "other")


class Refund(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    __tablename__ = "refunds"
    __table_args__ = (
        Index("ix_refunds_workspace_updated_at", "workspace_id", "updated_at"),
        Index("ix_refunds_workspace_processed_at", "workspace_id", "processed_at"),
    )

    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str | None] = mapped_column(String(255))
    note: Mapped[str | None] = mapped_column(Text)
    # The total given back, lines + shipping + adjustments, as the source states it.
    amount: Mapped[Money]
    presentment_amount: Mapped[Money]
    # The shipping given back, at the source's subtotal (tax included exactly when the order's prices
    # include it), and the tax on that shipping.
    shipping_amount: Mapped[Money] = mapped_column(default=0)
    shipping_presentment_amount: Mapped[Money] = mapped_column(default=0)
    shipping_tax_amount: Mapped[Money] = mapped_column(default=0)
    shipping_tax_presentment_amount: Mapped[Money] = mapped_column(default=0)
    processed_at: Mapped[datetime | None]


class RefundLine(IdMixin, WorkspaceOfParent, Base):
    __tablename__ = "refund_lines"
    __table_args__ = (CheckConstraint("quantity >= 0", name="quantity_not_negative"),)

    refund_id: Mapped[str] = mapped_column(ForeignKey("refunds.id", ondelete="CASCADE"), index=True)
    # No ON DELETE action: a refunded order line cannot be deleted on its own. Checked at commit, so
    # deleting the whole order (or workspace) can reach this row through refunds first.
    order_line_id: Mapped[str] = mapped_column(
        ForeignKey("order_lines.id", deferrable=True, initially="DEFERRED"), index=True
    )
    quantity: Mapped[int]
    # Refunded for these units, before tax, and the tax refunded with them.
    amount: Mapped[Money]
    presentment_amount: Mapped[Money]
    tax_amount: Mapped[Money] = mapped_column(default=0)
    tax_presentment_amount: Mapped[Money] = mapped_column(default=0)
    # no_restock | cancel | return
    restock_type: Mapped[str | None] = mapped_column(String(20))
    location_id: Mapped[str | None] = mapped_column(ForeignKey("locations.id", ondelete="SET NULL"), index=True)


class Payment(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint(f"kind IN ({', '.join(repr(k) for k in PAYMENT_KINDS)})", name="kind"),
        Index("ix_payments_workspace_updated_at", "workspace_id", "updated_at"),
        Index("ix_payments_workspace_processed_at", "workspace_id", "processed_at"),
        currency_check("currency"),
        currency_check("settlement_currency"),
        CheckConstraint("settlement_amount IS NULL OR settlement_currency IS NOT NULL", name="settlement"),
        CheckConstraint("exchange_rate > 0", name="exchange_rate_positive"),
        Index("ix_payments_integration_external_id", "integration_id", "external_id"),
        Index("ix_payments_integration_settlement", "integration_id", "settlement_external_id"),
        Index(
            "ix_payments_integration_parent_ref",
            "integration_id",
            "parent_external_id",
            postgresql_where=text("parent_external_id IS NOT NULL"),
        ),
        # Movements whose order is not known yet, found again when the order is synced.
        Index(
            "ix_payments_unlinked_order_ref",
            "workspace_id",
            "order_external_id",
            postgresql_where=text("order_id IS NULL AND order_external_id IS NOT NULL"),
        ),
        Index(
            "ix_payments_unlinked_order_number",
            "workspace_id",
            "order_number",
            postgresql_where=text("order_id IS NULL AND order_external_id IS NULL AND order_number IS NOT NULL"),
        ),
    )

    kind: Mapped[str] = mapped_column(String(20))
    # pending | succeeded | failed | cancelled
    status: Mapped[str] = mapped_column(String(20))
    # The processor or channel that reported it.
    integration_id: Mapped[str | None] = mapped_column(ForeignKey("integrations.id", ondelete="SET NULL"), index=True)
    order_id: Mapped[str | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    # For kind=refund: the commercial refund this movement pays out, when known.
    refund_id: Mapped[str | None] = mapped_column(ForeignKey("refunds.id", ondelete="SET NULL"), index=True)
    # The movement this one belongs to: a refund's, fee's or chargeback's original charge.
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("payments.id", ondelete="SET NULL"), index=True)
    # The payout (kind=payout) this movement was settled in.
    payout_id: Mapped[str | None] = mapped_column(ForeignKey("payments.id", ondelete="SET NULL"), index=True)
    gateway: Mapped[str | None] = mapped_column(String(60))
    # The processor's id for it (ch_…, re_…, dp_…, po_…); external_refs maps it too.
    external_id: Mapped[str | None] = mapped_column(String(255))
    # The processor's own status word, where it says more than `status` (a dispute's warning_needs_response).
    upstream_status: Mapped[str | None] = mapped_column(String(40))
    amount: Mapped[Money]
    currency: Mapped[Currency]
    # Charges: what was captured of `amount`, and how much of that has been refunded since.
    captured_amount: Mapped[Money | None]
    refunded_amount: Mapped[Money | None]
    # What it did to the processor's balance, in the balance's currency (signed: money in positive).
    settlement_amount: Mapped[Money | None]
    settlement_currency: Mapped[Currency | None]
    settlement_fee: Mapped[Money | None]  # what the processor kept (negative: gave back)
    settlement_net: Mapped[Money | None]  # settlement_amount less settlement_fee
    # Settlement-currency units per `currency` unit, as the source states it.
    exchange_rate: Mapped[Rate | None]
    # The balance transaction that moved it (a chargeback's withdrawal), and when its funds are available.
    settlement_external_id: Mapped[str | None] = mapped_column(String(255))
    settlement_status: Mapped[str | None] = mapped_column(String(20))  # pending | available
    available_at: Mapped[datetime | None]
    processed_at: Mapped[datetime | None]
    # Refunds and chargebacks: the charge as the processor names it (`parent_id` once resolved).
    parent_external_id: Mapped[str | None] = mapped_column(String(255))
    # The order as the processor was told it; `order_id` once a synced order matches.
    order_source: Mapped[str | None] = mapped_column(String(40))
    order_external_id: Mapped[str | None] = mapped_column(String(255))
    order_number: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(255))  # refunds and chargebacks
    evidence_due_at: Mapped[datetime | None]  # chargebacks: when the response is due
    arrival_at: Mapped[datetime | None]  # payouts: when the bank should have it
    description: Mapped[str | None] = mapped_column(Text)
    attributes: Mapped[Attributes]


class BalanceEntry(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    """One balance transaction of a processor account: every amount in the balance's currency, signed
    as the balance moved (money in positive), `net` = `amount` - `fee`."""

    __tablename__ = "balance_entries"
    __table_args__ = (
        UniqueConstraint("integration_id", "external_id"),
        CheckConstraint(f"kind IN ({', '.join(repr(k) for k in BALANCE_ENTRY_KINDS)})", name="kind"),
        CheckConstraint("net = amount - fee", name="net"),
        CheckConstraint("exchange_rate > 0", name="exchange_rate_positive"),
        currency_check("currency"),
        Index("ix_balance_entries_integration_source", "integration_id", "source_external_id"),
        Index("ix_balance_entries_workspace_occurred_at", "workspace_id", "occurred_at"),
    )

    integration_id: Mapped[str] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str] = mapped_column(String(255))  # the balance transaction (txn_…)
    kind: Mapped[str] = mapped_column(String(30))
    upstream_type: Mapped[str] = mapped_column(String(60))  # the processor's own type (charge, stripe_fee, …)
    category: Mapped[str | None] = mapped_column(String(60))  # its reporting category
    # The charge, refund, dispute or payout it moved money for, as the processor names it, and the
    # `payments` row that is (NULL until that is synced, or for fees billed on their own).
    source_external_id: Mapped[str | None] = mapped_column(String(255))
    payment_id: Mapped[str | None] = mapped_column(ForeignKey("payments.id", ondelete="SET NULL"), index=True)
    # The payout that paid it out (kind=payout row of `payments`), once that payout is synced.
    payout_id: Mapped[str | None] = mapped_column(ForeignKey("payments.id", ondelete="SET NULL"), index=True)
    amount: Mapped[Money]
    fee: Mapped[Money]
    net: Mapped[Money]
    currency: Mapped[Currency]
    # Balance units per unit of the movement's own currency, when the processor converted it.
    exchange_rate: Mapped[Rate | None]
    status: Mapped[str] = mapped_column(String(20))  # pending | available
    available_at: Mapped[datetime | None]
    occurred_at: Mapped[datetime]
    description: Mapped[str | None] = mapped_column(Text)
    # The fee's parts: [{kind, amount, currency, description}] (processor fee, tax, application fee).
    fee_lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)


class PayoutItem(IdMixin, WorkspaceScoped, Base):
    """A balance transaction a payout says it paid out (its own debit among them), as the payout states
    it: the payout's amount is the sum of the others' net."""

    __tablename__ = "payout_items"
    __table_args__ = (
        UniqueConstraint("payout_id", "external_id"),
        Index("ix_payout_items_integration_external_id", "integration_id", "external_id"),
        currency_check("currency"),
    )

    payout_id: Mapped[str] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"), index=True)
    integration_id: Mapped[str] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(255))  # the balance transaction
    kind: Mapped[str] = mapped_column(String(30))
    source_external_id: Mapped[str | None] = mapped_column(String(255))
    amount: Mapped[Money]
    fee: Mapped[Money]
    net: Mapped[Money]
    currency: Mapped[Currency]
    position: Mapped[int] = mapped_column(Integer)


class PaymentSyncRun(WorkspaceScoped, Base):
    """A run started by a payment sync request (`POST …/sync-payments`), and the request's lead run."""

    __tablename__ = "payment_sync_runs"

    sync_run_id: Mapped[str] = mapped_column(ForeignKey("sync_runs.id", ondelete="CASCADE"), primary_key=True)
    # The request's payments run: its id is the request's syncId.
    lead_run_id: Mapped[str] = mapped_column(String(40), index=True)
    stream: Mapped[str] = mapped_column(String(40))


class PaymentSyncTotal(WorkspaceScoped, Base):
    """Money a sync run counted, per measure and currency, committed with the pages that counted it.

    measure: `payments` (charges processed; `amount` = captured, in the charge's currency) or `fees`
    (processor fees recorded; `amount` in the balance's currency)."""

    __tablename__ = "payment_sync_totals"

    sync_run_id: Mapped[str] = mapped_column(ForeignKey("sync_runs.id", ondelete="CASCADE"), primary_key=True)
    measure: Mapped[str] = mapped_column(String(20), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    records: Mapped[int] = mapped_column(Integer, default=0)
    amount: Mapped[Money] = mapped_column(default=0)
