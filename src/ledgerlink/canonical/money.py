"""Money in integer minor units: ISO 4217 exponents, and exact conversion from the sources' decimals."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

# ISO 4217 minor-unit exponents that differ from 2.
_EXPONENTS = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}


class MoneyError(ValueError):
    """An amount that is not a finite decimal number, or has more precision than its currency."""


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


def parse_decimal(value: object) -> Decimal:
    """A decimal from what a source sends (str, int, Decimal; floats only via their repr)."""
    if isinstance(value, bool) or value is None:
        raise MoneyError(f"not an amount: {value!r}")
    try:
        result = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    except InvalidOperation:
        raise MoneyError(f"not an amount: {value!r}") from None
    if not result.is_finite():
        raise MoneyError(f"not an amount: {value!r}")
    return result


# How nearly every amount is sent: with its currency's own number of decimals. Matched in one call,
# and with few enough digits for int() (the rule below gives the same for them).
_NATIVE_NUMERAL = {
    places: re.compile(rf"-?[0-9]{{1,15}}\.[0-9]{{{places}}}" if places else "-?[0-9]{1,15}").fullmatch
    for places in range(5)
}


def native_numeral(places: int) -> Callable[[str], object]:
    """A match for the numerals with exactly `places` decimals and at most 15 digits before them:
    `int(text.replace(".", ""))` is their minor units (below 10**19)."""
    return _NATIVE_NUMERAL[places]


def plain_minor(text: str, places: int) -> int | None:
    """`"-12.5"` at 2 places -> -1250 without Decimal, for the plain numerals sources send by the
    million; None when the text is anything else (exponents, spaces, too many decimals)."""
    native = _NATIVE_NUMERAL.get(places)
    if native is not None and native(text):
        return int(text.replace(".", ""))
    whole, dot, fraction = text.partition(".")
    digits = whole[1:] if whole[:1] == "-" else whole
    missing = places - len(fraction)
    # isdigit() alone would pass other scripts' digits, which int() reads but a source never sends.
    if missing < 0 or not (digits.isdigit() and text.isascii() and (fraction.isdigit() or not dot)):
        return None
    minor = int(digits) * 10**places + (int(fraction) * 10**missing if fraction else 0)
    return -minor if digits is not whole else minor


def divide_half_even(dividend: int, divisor: int) -> int:
    """`dividend / divisor` rounded half to even, in integers: what dividing their Decimals and
    rounding with to_minor gives, while the quotient fits Decimal's 28 digits."""
    if divisor < 0:
        dividend, divisor = -dividend, -divisor
    quotient, remainder = divmod(dividend, divisor)
    twice = 2 * remainder
    if twice > divisor or (twice == divisor and quotient % 2):
        quotient += 1
    return quotient


def to_minor(value: object, currency: str, *, exact: bool = False) -> int:
    """`"12.50", "USD"` -> 1250. Extra precision (BigCommerce's 4 decimals) rounds half-even, unless `exact`."""
    return minor_units(value, exponent(currency), exact_in=currency if exact else None)


def minor_units(value: object, places: int, *, exact_in: str | None = None) -> int:
    """`to_minor` with the currency's exponent already looked up, for code converting many amounts of
    one currency. `exact_in` names the currency when extra precision is an error rather than rounded."""
    if type(value) is str:
        fast = plain_minor(value, places)
        if fast is not None:
            return fast
    elif type(value) is int:
        return value * 10**places
    amount = value if type(value) is Decimal and value.is_finite() else parse_decimal(value)
    scaled = amount.scaleb(places)
    whole = scaled.to_integral_value(rounding=ROUND_HALF_EVEN)
    if exact_in is not None and whole != scaled:
        raise MoneyError(f"{value!r} has more decimals than {exact_in} allows")
    return int(whole)


@functools.cache
def minor_units_of(places: int) -> Callable[[object], int]:
    """`minor_units` for the amounts of one currency, in one call for the usual numeral:
    `minor_units_of(2)("12.50")` is 1250. For code converting an order's worth of amounts."""
    native = _NATIVE_NUMERAL.get(places)

    def convert(value: object) -> int:
        if native is not None and type(value) is str and native(value):
            return int(value.replace(".", ""))
        return minor_units(value, places)

    return convert


def to_major(minor: int, currency: str) -> Decimal:
    """1250, "USD" -> Decimal("12.50")."""
    places = exponent(currency)
    return Decimal(minor).scaleb(-places).quantize(Decimal(1).scaleb(-places))
