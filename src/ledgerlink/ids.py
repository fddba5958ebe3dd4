"""Opaque, prefixed, time-ordered identifiers (`int_…`, `sync_…`, `evt_…`)."""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections import deque

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
_BODY_LEN = 26

PREFIXES = frozenset(
    {
        "ws",
        "key",
        "oac",
        "tok",
        "int",
        "sync",
        "sie",
        "evt",
        "wh",
        "whd",
        "whr",
        "wf",
        "job",
        "prd",
        "var",
        "cus",
        "ord",
        "oli",
        "pay",
        "loc",
        "inv",
        "ref",
        "acct",
        "je",
        "ibx",
        "req",
        "adr",
        "tax",
        "dsc",
        "shl",
        "rfd",
        "rfl",
    }
)

_ID_RE = re.compile(rf"^([a-z]+)_([{_ALPHABET}]{{{_BODY_LEN}}})$")


def new_id(prefix: str) -> str:
    """48 bits of milliseconds then 80 random bits: sortable by creation, unguessable."""
    return _render(prefix, (int(time.time() * 1000) << 80) | _random_80())


# The random parts of new ids, drawn from the OS's CSPRNG a block at a time: secrets.randbits costs
# one os.urandom call per id, and a sync page makes thousands of ids. Each value is handed out once
# (popleft is atomic, so threads never get the same one), and a forked child starts with none of its
# parent's, which would otherwise hand out the very values the parent does.
_RANDOM_PARTS: deque[int] = deque()
_RANDOM_BYTES = 10  # 80 bits
_PARTS_PER_DRAW = 256
os.register_at_fork(after_in_child=_RANDOM_PARTS.clear)


def _random_80() -> int:
    while True:
        try:
            return _RANDOM_PARTS.popleft()
        except IndexError:
            block = os.urandom(_RANDOM_BYTES * _PARTS_PER_DRAW)
            _RANDOM_PARTS.extend(
                map(int.from_bytes, [block[i : i + _RANDOM_BYTES] for i in range(0, len(block), _RANDOM_BYTES)])
            )


def derived_id(prefix: str, *parts: str) -> str:
    """The same id for the same parts: for child records rebuilt on every change of their parent
    (an order's lines), so what points at them (refund lines, postings) keeps pointing."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return _render(prefix, int.from_bytes(digest[:16]) >> 2)


# Two digits per 10 bits: 13 table lookups render the 26 digits of an id.
_PAIRS = tuple(_ALPHABET[i >> 5] + _ALPHABET[i & 31] for i in range(1024))
_LOW_60 = (1 << 60) - 1


def _render(prefix: str, value: int) -> str:
    """The value's 130 bits as 26 base32 digits, most significant first."""
    if prefix not in PREFIXES:
        raise ValueError(f"unknown id prefix {prefix!r}")
    p = _PAIRS
    # Written out rather than looped (a loop costs twice as much, and ~10 ids are made per order
    # synced); the two 60-bit halves below the top pair are quicker to shift than the whole value.
    high, low = (value >> 60) & _LOW_60, value & _LOW_60
    return (
        f"{prefix}_{p[value >> 120 & 1023]}"
        f"{p[high >> 50]}{p[high >> 40 & 1023]}{p[high >> 30 & 1023]}"
        f"{p[high >> 20 & 1023]}{p[high >> 10 & 1023]}{p[high & 1023]}"
        f"{p[low >> 50]}{p[low >> 40 & 1023]}{p[low >> 30 & 1023]}"
        f"{p[low >> 20 & 1023]}{p[low >> 10 & 1023]}{p[low & 1023]}"
    )


def has_prefix(value: str, prefix: str) -> bool:
    match = _ID_RE.match(value)
    return bool(match) and match.group(1) == prefix
