"""Fast paths of hot helpers agree with their plain definitions."""

from __future__ import annotations

import os
import time
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerlink.canonical.money import exponent, to_minor
from ledgerlink.ids import _ALPHABET, _BODY_LEN, _PARTS_PER_DRAW, _render, derived_id, has_prefix, new_id

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


def _value(id_: str) -> int:
    """The 130-bit value an id renders (the inverse of _render)."""
    value = 0
    for digit in id_.partition("_")[2]:
        value = value << 5 | _ALPHABET.index(digit)
    return value


def test_new_ids_are_distinct_well_formed_and_ordered_by_their_millisecond() -> None:
    # Several draws of the buffered random parts, and a clock read around them.
    before = int(time.time() * 1000)
    made = [new_id("evt") for _ in range(3 * _PARTS_PER_DRAW + 7)]
    after = int(time.time() * 1000)
    assert all(has_prefix(id_, "evt") for id_ in made)
    assert len(set(made)) == len(made)
    values = [_value(id_) for id_ in made]
    assert len({v & (2**80 - 1) for v in values}) == len(values)  # no random part handed out twice
    millis = [v >> 80 for v in values]
    assert millis == sorted(millis) and before <= millis[0] and millis[-1] <= after


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_does_not_repeat_its_parents_random_parts() -> None:
    new_id("evt")  # the parent now holds random parts it has not handed out yet
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.write(write, new_id("evt").encode())
        os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    childs = os.read(read, 100).decode()
    os.close(read)
    parents = new_id("evt")
    assert _value(childs) & (2**80 - 1) != _value(parents) & (2**80 - 1)


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
