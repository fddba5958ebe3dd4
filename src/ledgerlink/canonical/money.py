"""Money in integer minor units: ISO 4217 exponents, and exact conversion from the sources' decimals."""

from __future__ import annotations

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


def _plain_minor(text: str, places: int) -> int | None:
    """`"-12.5"` at 2 places -> -1250 without Decimal, for the plain numerals sources send by the
    million; None when the text is anything else (exponents, spaces, too many decimals)."""
    digits = text[1:] if text[:1] == "-" else text
    whole, dot, fraction = digits.partition(".")
    if not (whole.isascii() and whole.isdigit()) or (dot and not (fraction.isascii() and fraction.isdigit())):
        return None
    if len(fraction) > places:
        return None
    minor = int(whole) * 10**places + (int(fraction) * 10 ** (places - len(fraction)) if fraction else 0)
    return -minor if digits is not text else minor


def to_minor(value: object, currency: str, *, exact: bool = False) -> int:
    """`"12.50", "USD"` -> 1250. Extra precision (BigCommerce's 4 decimals) rounds half-even, unless `exact`."""
    if type(value) is str:
        fast = _plain_minor(value, exponent(currency))
        if fast is not None:
            return fast
    elif type(value) is int:
        return value * 10 ** exponent(currency)
    amount = value if type(value) is Decimal and value.is_finite() else parse_decimal(value)
    scaled = amount.scaleb(exponent(currency))
    whole = scaled.to_integral_value(rounding=ROUND_HALF_EVEN)
    if exact and whole != scaled:
        raise MoneyError(f"{value!r} has more decimals than {currency} allows")
    return int(whole)


def to_major(minor: int, currency: str) -> Decimal:
    """1250, "USD" -> Decimal("12.50")."""
    places = exponent(currency)
    return Decimal(minor).scaleb(-places).quantize(Decimal(1).scaleb(-places))
