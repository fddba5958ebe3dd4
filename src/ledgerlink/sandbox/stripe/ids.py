"""Stripe-looking identifiers and keys, the same for every run with the same seed.

Stripe ids are a prefix and an opaque base62 tail (`ch_3NxB…`); a tail drawn from a hash of the seed
and the object's place in the dataset keeps every id stable across runs, so tests may keep one.
"""

from __future__ import annotations

import hashlib

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _base62(data: bytes, length: int) -> str:
    number = int.from_bytes(data, "big")
    chars = []
    for _ in range(length):
        number, digit = divmod(number, 62)
        chars.append(_ALPHABET[digit])
    return "".join(chars)


def token(seed: int, *parts: object, length: int = 24) -> str:
    digest = hashlib.sha256(":".join(map(str, ("stripe", seed, *parts))).encode()).digest()
    return _base62(digest, length)


def object_id(prefix: str, seed: int, *parts: object) -> str:
    """`object_id("ch", 7, 12)` -> `ch_…` (24 base62 characters)."""
    return f"{prefix}_{token(seed, prefix, *parts)}"


def secret_key(seed: int) -> str:
    return f"sk_test_{token(seed, 'secret-key', length=40)}"


def webhook_secret(seed: int) -> str:
    return f"whsec_{token(seed, 'webhook-secret', length=32)}"
