"""An order's two currencies: the shop's (the books) and the buyer's (presentment), and the rate between."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from ledgerlink.canonical.money import exponent, minor_units_of, parse_decimal

TOTALS = ("subtotal", "discount", "shipping", "tax", "total")


@dataclass(frozen=True)
class OrderCurrencies:
    shop: str
    presentment: str
    rate: Decimal  # presentment units per shop unit; 1 when both are the same
    # Worked out once per order rather than for each of its amounts.
    _places: tuple[int, int] = field(init=False, repr=False, compare=False)  # (shop, presentment) exponents
    _shop_minor: Callable[[object], int] = field(init=False, repr=False, compare=False)
    _presentment_minor: Callable[[object], int] = field(init=False, repr=False, compare=False)
    _one_currency: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.rate <= 0:
            raise ValueError(f"exchange rate must be positive, got {self.rate}")
        places = exponent(self.shop), exponent(self.presentment)
        object.__setattr__(self, "_places", places)
        object.__setattr__(self, "_shop_minor", minor_units_of(places[0]))
        object.__setattr__(self, "_presentment_minor", minor_units_of(places[1]))
        object.__setattr__(self, "_one_currency", self.shop == self.presentment and self.rate == 1)

    def from_shop(self, amount: Decimal) -> tuple[int, int]:
        """(shop minor units, presentment minor units) of an amount stated in the shop currency."""
        return self._shop_minor(amount), self._presentment_minor(amount * self.rate)

    def from_presentment(self, amount: object) -> tuple[int, int]:
        """(shop minor units, presentment minor units) of an amount stated in the presentment currency
        (a Decimal, or the source's numeral or number as is: whatever parse_decimal reads)."""
        presentment = self._presentment_minor(amount)
        if self._one_currency:
            return presentment, presentment
        # What minor_units accepted needs no second check: a Decimal is used as it is, a numeral read
        # straight into one (Decimal() strips the same spaces parse_decimal does).
        if type(amount) is Decimal:
            stated = amount
        else:
            stated = Decimal(amount) if type(amount) is str else parse_decimal(amount)
        return self._shop_minor(stated / self.rate), presentment

    @property
    def shop_per_presentment(self) -> Decimal | None:
        """The canonical Order.exchange_rate (None when the currencies are the same)."""
        return None if self.shop == self.presentment else 1 / self.rate


def order_totals(pairs: Mapping[str, tuple[int, int]]) -> dict[str, int]:
    """`{"total": (shop, presentment), …}` as canonical Order fields (`total`, `total_presentment`, …)."""
    fields: dict[str, int] = {}
    for name, presentment_name in _TOTAL_FIELDS:
        fields[name], fields[presentment_name] = pairs[name]
    return fields


_TOTAL_FIELDS = tuple((name, f"{name}_presentment") for name in TOTALS)
