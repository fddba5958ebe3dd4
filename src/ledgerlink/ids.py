"""Opaque, prefixed, time-ordered identifiers (`int_…`, `sync_…`, `evt_…`)."""

from __future__ import annotations

import re
import secrets
import time

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
        "evt",
        "wh",
        "whd",
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
    if prefix not in PREFIXES:
        raise ValueError(f"unknown id prefix {prefix!r}")
    value = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    chars = []
    for _ in range(_BODY_LEN):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return f"{prefix}_{''.join(reversed(chars))}"


def has_prefix(value: str, prefix: str) -> bool:
    match = _ID_RE.match(value)
    return bool(match) and match.group(1) == prefix
