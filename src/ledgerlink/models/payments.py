"""Money movements (payments) and refunds.

`payments` records every movement a processor or channel reports, told apart by `kind`: a charge
(the buyer pays), a refund (money goes back), a chargeback (a dispute pulls money back), a fee (the
processor's cut) and a payout (the balance leaves for the bank). `amount` is the size of the
movement in the direction `kind` names, so it is normally positive; a reversal of one (a returned
fee, a won chargeback) is negative.

`refunds` are the commercial record of giving money back on an order: one row per upstream refund
(found again through `external_refs` by the upstream refund id), so an order can have several
partial refunds, each with lines saying which order lines (and how many units) it covered. Refund
amounts are in the order's shop and presentment currencies.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ledgerlink.models.base import Base, IdMixin, TimestampMixin, WorkspaceScoped
from ledgerlink.models.columns import Attributes, Currency, Money, Rate, currency_check

PAYMENT_KINDS = ("charge", "refund", "chargeback", "fee", "payout")


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
    shipping_amount: Mapped[Money] = mapped_column(default=0)
    shipping_presentment_amount: Mapped[Money] = mapped_column(default=0)
    processed_at: Mapped[datetime | None]


class RefundLine(IdMixin, WorkspaceScoped, Base):
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
    amount: Mapped[Money]
    currency: Mapped[Currency]
    # What it came to in the account's balance currency, when that differs (e.g. Stripe's balance).
    settlement_amount: Mapped[Money | None]
    settlement_currency: Mapped[Currency | None]
    # Settlement-currency units per `currency` unit, as the source states it.
    exchange_rate: Mapped[Rate | None]
    processed_at: Mapped[datetime | None]
    description: Mapped[str | None] = mapped_column(Text)
    attributes: Mapped[Attributes]
