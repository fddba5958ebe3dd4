"""An order's two currencies: the shop's (the books) and the buyer's (presentment), and the rate between."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from ledgerlink.canonical.money import parse_decimal, to_minor

TOTALS = ("subtotal", "discount", "shipping", "tax", "total")


@dataclass(frozen=True)
class OrderCurrencies:
    shop: str
    presentment: str
    rate: Decimal  # presentment units per shop unit; 1 when both are the same

    def __post_init__(self) -> None:
        if self.rate <= 0:
            raise ValueError(f"exchange rate must be positive, got {self.rate}")

    def from_shop(self, amount: Decimal) -> tuple[int, int]:
        """(shop minor units, presentment minor units) of an amount stated in the shop currency."""
        return to_minor(amount, self.shop), to_minor(amount * self.rate, self.presentment)

    def from_presentment(self, amount: Decimal | str) -> tuple[int, int]:
        """(shop minor units, presentment minor units) of an amount stated in the presentment currency
        (a Decimal, or the source's numeral as is)."""
        presentment = to_minor(amount, self.presentment)
        if self.shop == self.presentment and self.rate == 1:
            return presentment, presentment
        return to_minor(parse_decimal(amount) / self.rate, self.shop), presentment

    @property
    def shop_per_presentment(self) -> Decimal | None:
        """The canonical Order.exchange_rate (None when the currencies are the same)."""
        return None if self.shop == self.presentment else 1 / self.rate


def order_totals(pairs: Mapping[str, tuple[int, int]]) -> dict[str, int]:
    """`{"total": (shop, presentment), …}` as canonical Order fields (`total`, `total_presentment`, …)."""
    fields: dict[str, int] = {}
    for name in TOTALS:
        shop, presentment = pairs[name]
        fields[name], fields[f"{name}_presentment"] = shop, presentment
    return fields
