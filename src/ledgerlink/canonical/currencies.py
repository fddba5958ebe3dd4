"""An order's two currencies: the shop's (the books) and the buyer's (presentment), and the rate between."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from ledgerlink.canonical.money import divide_half_even, exponent, minor_units_of, native_numeral, parse_decimal

TOTALS = ("subtotal", "discount", "shipping", "tax", "total")

# Bounds within which integer arithmetic converts presentment minor units to the shop's as Decimal does
# (see OrderCurrencies.shop_minor_of): a rate of at most 9 digits, a quotient below 10**14 shop minor
# units, a dividend below 10**26.
_RATE_DIGITS = 10**9
_QUOTIENT = 10**14
_DIVIDEND = 10**26


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
    # The presentment currency's usual numerals, and the rate as (multiplier, divisor) of presentment
    # minor units giving shop minor units, with the bound of the dividends it takes as they are
    # (None: a rate too long for the integer way).
    _native: Callable[[str], object] = field(init=False, repr=False, compare=False)
    _shop_per_minor: tuple[int, int, int] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.rate <= 0:
            raise ValueError(f"exchange rate must be positive, got {self.rate}")
        places = exponent(self.shop), exponent(self.presentment)
        object.__setattr__(self, "_places", places)
        object.__setattr__(self, "_shop_minor", minor_units_of(places[0]))
        object.__setattr__(self, "_presentment_minor", minor_units_of(places[1]))
        object.__setattr__(self, "_one_currency", self.shop == self.presentment and self.rate == 1)
        object.__setattr__(self, "_native", native_numeral(places[1]))
        object.__setattr__(self, "_shop_per_minor", _minor_unit_rate(self.rate, places))

    def from_shop(self, amount: Decimal) -> tuple[int, int]:
        """(shop minor units, presentment minor units) of an amount stated in the shop currency."""
        return self._shop_minor(amount), self._presentment_minor(amount * self.rate)

    def from_presentment(self, amount: object) -> tuple[int, int]:
        """(shop minor units, presentment minor units) of an amount stated in the presentment currency
        (a Decimal, or the source's numeral or number as is: whatever parse_decimal reads)."""
        if type(amount) is str and self._native(amount):
            # How nearly every amount comes: in integers from the numeral to both minor units.
            presentment = int(amount.replace(".", ""))
            if self._one_currency:
                return presentment, presentment
            shop = self.shop_minor_of(presentment)
            if shop is not None:
                return shop, presentment
        return self._from_presentment_decimal(amount)

    def _from_presentment_decimal(self, amount: object) -> tuple[int, int]:
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

    def shop_minor_of(self, presentment: int, quantity: int = 1) -> int | None:
        """The shop minor units of `presentment / quantity` presentment minor units: what dividing
        their Decimals (by the quantity, then by the rate) and rounding with minor_units gives, in
        integers. None where only Decimal is sure to give it (a long rate, a huge amount or quantity).

        Decimal rounds each quotient to 28 digits, moving it by less than 1.01e-27 of itself; an exact
        quotient dividend/divisor that is not a half-integer lies at least 1/(2*divisor) from one,
        further than that for a dividend below 10**26, so both round to the same integer. A quotient
        that is a half-integer below 10**14 has few enough digits (with a rate of at most 9 digits)
        for each Decimal step to be exact."""
        per_minor = self._shop_per_minor
        if per_minor is None or not quantity:
            return None
        multiplier, divisor, limit = per_minor
        dividend = presentment * multiplier
        if quantity != 1:
            divisor *= abs(quantity)
            dividend = dividend if quantity > 0 else -dividend
            limit = _dividend_limit(divisor)
        return divide_half_even(dividend, divisor) if -limit < dividend < limit else None

    @functools.cached_property
    def shop_per_presentment(self) -> Decimal | None:
        """The canonical Order.exchange_rate (None when the currencies are the same); worked out once
        for the many orders that share a currency pair (and so one of these)."""
        return None if self.shop == self.presentment else 1 / self.rate


def _minor_unit_rate(rate: Decimal, places: tuple[int, int]) -> tuple[int, int, int] | None:
    """(multiplier, divisor) with shop minor units = presentment minor units * multiplier / divisor:
    10**shop places / (rate * 10**presentment places) as a fraction of integers; then the bound of
    the dividends (presentment minor units * multiplier) shop_minor_of converts in integers."""
    if type(rate) is not Decimal:
        return None
    _, digits, rate_exponent = rate.as_tuple()
    coefficient = int("".join(map(str, digits)))
    if not isinstance(rate_exponent, int) or coefficient >= _RATE_DIGITS:
        return None
    shift = places[0] - places[1] - rate_exponent
    multiplier, divisor = (10**shift, coefficient) if shift >= 0 else (1, coefficient * 10**-shift)
    return multiplier, divisor, _dividend_limit(divisor)


def _dividend_limit(divisor: int) -> int:
    """Below it, a dividend's quotient by `divisor` is below 10**14 and the dividend below 10**26."""
    return min(_DIVIDEND, divisor * _QUOTIENT)


def order_totals(pairs: Mapping[str, tuple[int, int]]) -> dict[str, int]:
    """`{"total": (shop, presentment), …}` as canonical Order fields (`total`, `total_presentment`, …)."""
    fields: dict[str, int] = {}
    for name, presentment_name in _TOTAL_FIELDS:
        fields[name], fields[presentment_name] = pairs[name]
    return fields


_TOTAL_FIELDS = tuple((name, f"{name}_presentment") for name in TOTALS)
