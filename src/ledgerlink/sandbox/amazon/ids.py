"""Identifiers shaped as Amazon's: AmazonOrderId (3-7-7 digits), OrderItemId (14 digits), ASIN, FNSKU,
the seller id, LWA client ids and tokens. All derived from the seed, so a store is the same every run."""

from __future__ import annotations

import hashlib
import random
import re
import string

from ledgerlink.sandbox.amazon.marketplaces import Marketplace

ALNUM = string.ascii_uppercase + string.digits
_SPREAD = 7919  # a prime: index -> index * 7919 mod 10^7 is a bijection, so middle groups never repeat


def order_id(seed: int, index: int, marketplace: Marketplace) -> str:
    middle = (index * _SPREAD + seed) % 10**7
    last = random.Random(f"{seed}:amazon-order-id:{index}").randrange(10**7)
    return f"{marketplace.order_prefix}-{middle:07d}-{last:07d}"


def order_index(seed: int, amazon_order_id: str) -> int | None:
    """The dataset index an order id was made from (None if it is not shaped as ours)."""
    match = re.fullmatch(r"\d{3}-(\d{7})-\d{7}", amazon_order_id)
    if match is None:
        return None
    return (int(match.group(1)) - seed) * pow(_SPREAD, -1, 10**7) % 10**7


def order_item_id(line_id: int) -> str:
    return f"{(line_id * 104_729) % 10**14:014d}"


def _code(*parts: object, length: int) -> str:
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return "".join(ALNUM[b % len(ALNUM)] for b in digest[:length])


def asin(seed: int, product_id: int) -> str:
    return "B0" + _code(seed, "asin", product_id, length=8)


def fnsku(seed: int, variant_id: int) -> str:
    return "X00" + _code(seed, "fnsku", variant_id, length=7)


def seller_id(seed: int) -> str:
    return "A" + _code(seed, "seller", length=13)


def client_id(seed: int) -> str:
    return "amzn1.application-oa2-client." + hashlib.sha256(f"{seed}:client".encode()).hexdigest()[:32]


def secret(seed: int, kind: str, length: int = 64) -> str:
    return hashlib.sha256(f"{seed}:{kind}".encode()).hexdigest()[:length]


def promotion_id(seed: int, line_id: int) -> str:
    return "PLM-" + _code(seed, "promotion", line_id, length=10)
