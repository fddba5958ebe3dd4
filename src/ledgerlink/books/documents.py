"""Stored orders (with their refunds) read back as the canonical records the posting rules take.

The rules need amounts, taxes, dates and statuses, not addresses or customers, so only those are read.
An order line's canonical `external_id` here is its stored id: refund lines point at order lines by
that id, which is all the rules match them on. Orders and refunds are named by their upstream ids
(external_refs), which become the journal's source external ids.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.canonical import records as rec
from ledgerlink.errors import DataMappingError
from ledgerlink.models import (
    ExternalRef,
    Order,
    OrderDiscount,
    OrderLine,
    OrderShippingLine,
    OrderTaxLine,
    Refund,
    RefundLine,
)

# A refund is settled (and so credited) once it has a processed date and the order's money was taken:
# a refund of an order still pending or only authorised is the release of a hold, and a voided order
# posts no invoice to credit. Orders whose source states no financial status count as paid.
UNSETTLED_ORDER_STATES = frozenset({"pending", "authorized", "voided"})


class StoredOrderInvalid(DataMappingError):
    """The stored rows of an order do not make a canonical order (a status the rules do not know…)."""


@dataclass(frozen=True, slots=True)
class StoredOrder:
    id: str
    workspace_id: str
    integration_id: str
    external_id: str
    record: rec.Order | None  # refunds included, each named by its upstream id; None: `problem`
    problem: str | None = None  # why the stored rows do not make a canonical order
    currency: str = ""


def refund_settled(order: rec.Order, refund: rec.Refund) -> bool:
    return refund.processed_at is not None and order.financial_status not in UNSETTLED_ORDER_STATES


async def load_orders(session: AsyncSession, order_ids: Sequence[str]) -> list[StoredOrder]:
    """The orders that still exist, came from an integration and have an upstream id, in the order given."""
    if not order_ids:
        return []
    ids = list(dict.fromkeys(order_ids))
    orders = {
        o.id: o
        for o in (
            await session.execute(select(Order).where(Order.id.in_(ids), Order.integration_id.is_not(None)))
        ).scalars()
    }
    if not orders:
        return []
    ids = [i for i in ids if i in orders]

    async def children(model: Any) -> dict[str, list[Any]]:
        grouped: dict[str, list[Any]] = defaultdict(list)
        query = select(model).where(model.order_id.in_(ids))
        if hasattr(model, "position"):
            query = query.order_by(model.order_id, model.position)
        for row in (await session.execute(query)).scalars():
            grouped[row.order_id].append(row)
        return grouped

    lines, taxes, shipping, discounts = (
        await children(OrderLine),
        await children(OrderTaxLine),
        await children(OrderShippingLine),
        await children(OrderDiscount),
    )
    refunds = await children(Refund)
    refund_ids = [r.id for rs in refunds.values() for r in rs]
    refund_lines: dict[str, list[RefundLine]] = defaultdict(list)
    if refund_ids:
        query = select(RefundLine).where(RefundLine.refund_id.in_(refund_ids)).order_by(RefundLine.id)
        for rl in (await session.execute(query)).scalars():
            refund_lines[rl.refund_id].append(rl)
    upstream = await _upstream_ids(session, [*ids, *refund_ids])

    stored = []
    for order_id in ids:
        order = orders[order_id]
        external_id = upstream.get(("order", order_id, order.integration_id or ""))
        if external_id is None:
            continue  # not from an upstream (nothing to name it by in the books)
        try:
            record = _order(
                order,
                external_id,
                lines[order_id],
                taxes[order_id],
                shipping[order_id],
                discounts[order_id],
                [
                    (upstream.get(("refund", r.id, order.integration_id or ""), r.id), r, refund_lines[r.id])
                    for r in sorted(refunds[order_id], key=lambda r: (r.processed_at is None, r.processed_at, r.id))
                ],
            )
        except ValidationError as error:
            problem = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
            stored.append(
                StoredOrder(
                    order.id, order.workspace_id, order.integration_id or "", external_id, None, problem, order.currency
                )
            )
            continue
        stored.append(
            StoredOrder(
                order.id, order.workspace_id, order.integration_id or "", external_id, record, None, order.currency
            )
        )
    return stored


async def _upstream_ids(session: AsyncSession, canonical_ids: list[str]) -> dict[tuple[str, str, str], str]:
    """(resource type, canonical id, integration) -> upstream id."""
    query = select(
        ExternalRef.resource_type, ExternalRef.canonical_id, ExternalRef.integration_id, ExternalRef.external_id
    )
    query = query.where(ExternalRef.canonical_id.in_(canonical_ids), ExternalRef.resource_type.in_(["order", "refund"]))
    return {(r.resource_type, r.canonical_id, r.integration_id): r.external_id for r in await session.execute(query)}


def _tax(t: OrderTaxLine) -> rec.TaxLine:
    return rec.TaxLine(
        title=t.title,
        rate=t.rate,
        amount=t.amount,
        presentment_amount=t.presentment_amount,
        price_includes_tax=t.price_includes_tax,
    )


def _order(
    o: Order,
    external_id: str,
    lines: list[OrderLine],
    taxes: list[OrderTaxLine],
    shipping: list[OrderShippingLine],
    discounts: list[OrderDiscount],
    refunds: list[tuple[str, Refund, list[RefundLine]]],
) -> rec.Order:
    by_line: dict[str, list[rec.TaxLine]] = defaultdict(list)
    by_shipping: dict[str, list[rec.TaxLine]] = defaultdict(list)
    order_level = []
    for t in taxes:
        if t.order_line_id:
            by_line[t.order_line_id].append(_tax(t))
        elif t.shipping_line_id:
            by_shipping[t.shipping_line_id].append(_tax(t))
        else:
            order_level.append(_tax(t))
    return rec.Order(
        external_id=external_id,
        number=o.number,
        status=o.status,
        financial_status=o.financial_status,
        fulfillment_status=o.fulfillment_status,
        currency=o.currency,
        presentment_currency=o.presentment_currency,
        exchange_rate=o.exchange_rate,
        taxes_included=o.taxes_included,
        subtotal=o.subtotal_amount,
        subtotal_presentment=o.subtotal_presentment_amount,
        discount=o.discount_amount,
        discount_presentment=o.discount_presentment_amount,
        shipping=o.shipping_amount,
        shipping_presentment=o.shipping_presentment_amount,
        tax=o.tax_amount,
        tax_presentment=o.tax_presentment_amount,
        total=o.total_amount,
        total_presentment=o.total_presentment_amount,
        placed_at=o.placed_at,
        updated_at=o.updated_at,
        closed_at=o.closed_at,
        cancelled_at=o.cancelled_at,
        lines=tuple(
            rec.OrderLine(
                external_id=line.id,
                sku=line.sku,
                title=line.title,
                quantity=line.quantity,
                unit_price=line.unit_price_amount,
                unit_price_presentment=line.unit_price_presentment_amount,
                discount=line.discount_amount,
                discount_presentment=line.discount_presentment_amount,
                taxable=line.taxable,
                requires_shipping=line.requires_shipping,
                tax_lines=tuple(by_line[line.id]),
            )
            for line in lines
        ),
        shipping_lines=tuple(
            rec.ShippingLine(
                title=s.title,
                code=s.code,
                carrier=s.carrier,
                amount=s.amount,
                presentment_amount=s.presentment_amount,
                discount=s.discount_amount,
                discount_presentment=s.discount_presentment_amount,
                tax_lines=tuple(by_shipping[s.id]),
            )
            for s in shipping
        ),
        tax_lines=tuple(order_level),
        discounts=tuple(
            rec.Discount(
                kind=d.kind,
                code=d.code,
                title=d.title,
                target=d.target,
                value_type=d.value_type,
                value=d.value,
                amount=d.amount,
                presentment_amount=d.presentment_amount,
            )
            for d in discounts
        ),
        refunds=tuple(
            rec.Refund(
                external_id=refund_external_id,
                processed_at=r.processed_at,
                amount=r.amount,
                presentment_amount=r.presentment_amount,
                shipping_amount=r.shipping_amount,
                shipping_presentment_amount=r.shipping_presentment_amount,
                shipping_tax_amount=r.shipping_tax_amount,
                shipping_tax_presentment_amount=r.shipping_tax_presentment_amount,
                lines=tuple(
                    rec.RefundLine(
                        line_external_id=rl.order_line_id,
                        quantity=rl.quantity,
                        amount=rl.amount,
                        presentment_amount=rl.presentment_amount,
                        tax_amount=rl.tax_amount,
                        tax_presentment_amount=rl.tax_presentment_amount,
                    )
                    for rl in refund_lines
                ),
            )
            for refund_external_id, r, refund_lines in refunds
        ),
    )
