"""Stripe's amounts in canonical minor units.

Stripe states amounts in "the smallest currency unit", which is ISO 4217's minor unit for nearly every
currency (cents for USD, yen for the zero-decimal JPY, fils for the three-decimal KWD). Where Stripe's
unit differs from ISO's, the amount is rescaled: ISK is zero-decimal in ISO 4217 but Stripe keeps it
two-decimal for backwards compatibility (ISK 5 is `500`), and MGA is zero-decimal at Stripe but has
two minor digits in ISO 4217. An amount that cannot be rescaled exactly is a mapping error, not a
rounding: it means the upstream sent something Stripe itself would not.
"""

from __future__ import annotations

from ledgerlink.canonical.money import exponent

# Stripe's minor-unit exponent where it is not ISO 4217's.
STRIPE_EXPONENTS = {"ISK": 2, "MGA": 0}


def stripe_exponent(currency: str) -> int:
    code = currency.upper()
    return STRIPE_EXPONENTS.get(code, exponent(code))


def to_canonical(amount: object, currency: object) -> int:
    """`1250, "usd"` -> 1250; `500, "isk"` -> 5; `1000, "mga"` -> 100000. Raises ValueError/TypeError."""
    if not isinstance(currency, str):
        raise TypeError(f"currency is not a string: {currency!r}")
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise TypeError(f"amount is not an integer of minor units: {amount!r}")
    shift = exponent(currency) - stripe_exponent(currency)
    if shift >= 0:
        return amount * 10**shift
    whole, rest = divmod(amount, 10**-shift)
    if rest:
        raise ValueError(f"{amount} {currency.upper()} is not a whole amount in {currency.upper()}'s minor unit")
    return whole
