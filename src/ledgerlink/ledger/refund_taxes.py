"""Where a refund's tax goes back to: the tax lines the order credited, so each tax account gets back
what the order put there and, over any number of partial refunds, never more.

A returned line's tax is spread over the tax lines of the order line it returns, refunded shipping's
tax over the tax lines of the order's shipping lines; either falls back to the order's taxes as a whole
when the source gave none there (order-level tax lines only). Each spread is in proportion to what is
left of each tax line after the order's earlier refunds (those listed before this one on the order, or
all of them when it is not listed), so the shares of many partial refunds add up to at most what the
order posted, and to exactly that once all its tax has gone back. Only tax beyond what the order charged
(a source giving back more than it took) goes past a tax line, and then as the source states it.
"""

from __future__ import annotations

from ledgerlink.canonical.records import Order, Refund
from ledgerlink.ledger.lines import allocate
from ledgerlink.ledger.order_parts import TaxPart, grouped, order_parts, tax_parts

ORDER_POOL = "order"
SHIPPING_POOL = "shipping"


def refund_taxes(order: Order, refund: Refund) -> tuple[TaxPart, ...]:
    """The refund's tax (its lines' and its shipping's) as parts of the order's tax lines, one per
    (title, rate)."""
    pools = _Pools(order)
    for earlier in order.refunds:
        if earlier.external_id == refund.external_id:
            break
        pools.take(earlier)
    return grouped(pools.take(refund))


class _Pools:
    """What is left of each tax line the order posted, by where a refund's tax can come from: one pool
    per order line with tax lines, one for the shipping lines' tax lines, one for the order as a whole."""

    def __init__(self, order: Order) -> None:
        self.parts: dict[str, list[TaxPart]] = {
            ORDER_POOL: list(order_parts(order).taxes or (TaxPart("Tax", None, 0),))
        }
        for line in order.lines:
            if line.tax_lines:
                self.parts[f"line:{line.external_id}"] = tax_parts(line.tax_lines)
        shipping = [t for s in order.shipping_lines for t in s.tax_lines]
        if shipping:
            self.parts[SHIPPING_POOL] = tax_parts(shipping)
        self.left = {pool: [p.amount for p in parts] for pool, parts in self.parts.items()}

    def take(self, refund: Refund) -> list[TaxPart]:
        taken = []
        for returned in refund.lines:
            pool = f"line:{returned.line_external_id}"
            taken += self._draw(pool if pool in self.parts else ORDER_POOL, returned.tax_amount)
        shipping_pool = SHIPPING_POOL if SHIPPING_POOL in self.parts else ORDER_POOL
        taken += self._draw(shipping_pool, refund.shipping_tax_amount)
        return taken

    def _draw(self, pool: str, amount: int) -> list[TaxPart]:
        if not amount:
            return []
        left = self.left[pool]
        shares = allocate(amount, [max(n, 0) for n in left])
        self.left[pool] = [n - s for n, s in zip(left, shares, strict=True)]
        return [TaxPart(p.title, p.rate, s) for p, s in zip(self.parts[pool], shares, strict=True) if s]
