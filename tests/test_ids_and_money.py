"""Fast paths of hot helpers agree with their plain definitions."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from hypothesis import given
from hypothesis import strategies as st

from ledgerlink.canonical.money import exponent, to_minor
from ledgerlink.ids import _ALPHABET, _BODY_LEN, _render, derived_id

CURRENCIES = st.sampled_from(["USD", "JPY", "KWD", "CLF", "EUR"])


def _slow_render(prefix: str, value: int) -> str:
    chars = []
    for _ in range(_BODY_LEN):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return f"{prefix}_{''.join(reversed(chars))}"


@given(st.integers(min_value=0, max_value=2**128 - 1))
def test_render_matches_digit_by_digit_base32(value: int) -> None:
    assert _render("ord", value) == _slow_render("ord", value)


def test_derived_ids_are_stable_across_releases() -> None:
    # Stored rows carry these ids: a change of rendering would orphan everything pointing at them.
    assert derived_id("oli", "ord_x", "17") == "oli_1zj1n5kmnm5h4vf25vpw24hh81"


@given(
    st.integers(0, 6).flatmap(
        lambda places: st.decimals(
            allow_nan=False, allow_infinity=False, places=places, min_value=-(10**9), max_value=10**9
        )
    )
    | st.integers(-(10**9), 10**9),
    CURRENCIES,
)
def test_fast_minor_units_equal_the_decimal_rule(value: Decimal | int, currency: str) -> None:
    expected = int(Decimal(value).scaleb(exponent(currency)).to_integral_value(rounding=ROUND_HALF_EVEN))
    assert to_minor(str(value), currency) == expected
    assert to_minor(value, currency) == expected


@given(st.from_regex(r"-?[0-9]{1,9}(\.[0-9]{0,5})?", fullmatch=True), CURRENCIES)
def test_plain_numerals(text: str, currency: str) -> None:
    expected = int(Decimal(text).scaleb(exponent(currency)).to_integral_value(rounding=ROUND_HALF_EVEN))
    assert to_minor(text, currency) == expected
