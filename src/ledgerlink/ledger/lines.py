"""Collecting an entry's lines by signed amount, so rules state intent ("debit fees by the difference")
and a negative amount lands on the other side instead of becoming an invalid line."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal

from ledgerlink.ledger.entries import ForeignAmount, JournalLine


class Lines:
    def __init__(self) -> None:
        self._lines: list[JournalLine] = []
        self.imbalance = 0  # debits - credits so far

    def debit(self, account: str, amount: int, memo: str = "", fx: ForeignAmount | None = None) -> None:
        """A debit of `amount` (a credit when negative; nothing when zero)."""
        if not amount:
            return
        self.imbalance += amount
        if amount > 0:
            self._lines.append(JournalLine(account, debit_minor=amount, memo=memo, fx=fx))
        else:
            self._lines.append(JournalLine(account, credit_minor=-amount, memo=memo, fx=fx))

    def credit(self, account: str, amount: int, memo: str = "", fx: ForeignAmount | None = None) -> None:
        self.debit(account, -amount, memo, fx)

    def build(self) -> tuple[JournalLine, ...]:
        return tuple(self._lines)


def allocate(amount: int, weights: Sequence[int]) -> list[int]:
    """`amount` split in proportion to `weights`, summing exactly to `amount` (largest remainders get
    the leftover units); all of it on the first share when the weights are not all positive or zero, or
    sum to zero."""
    if not weights:
        return []
    total = sum(weights)
    if total <= 0 or min(weights) < 0:
        return [amount, *([0] * (len(weights) - 1))]
    exact = [Decimal(amount) * w / total for w in weights]
    shares = [int(x.to_integral_value(rounding=ROUND_FLOOR)) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (shares[i] - exact[i], i))
    for i in order[: amount - sum(shares)]:
        shares[i] += 1
    return shares


def share(amount: int, numerator: int, denominator: int) -> int:
    """round_half_even(amount * numerator / denominator); 0 when the denominator is 0."""
    if not denominator:
        return 0
    return int((Decimal(amount) * numerator / denominator).to_integral_value(rounding=ROUND_HALF_EVEN))
