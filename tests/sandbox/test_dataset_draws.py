"""The shortcuts that make generating and serving an order cheap change nothing that is served.

The digests below were taken from the sandbox before those shortcuts (generation through
random.Random's own methods, every amount quantized as it was formatted, orders built field by field):
a store's records and its WooCommerce JSON must stay byte for byte what they were.
"""

from __future__ import annotations

import hashlib
import random

import pytest

from ledgerlink.sandbox.dataset import Draws, Store
from ledgerlink.sandbox.woocommerce import WooCommerceSandbox
from ledgerlink.sandbox.woocommerce.amounts import order_amounts, refund_amounts
from ledgerlink.sandbox.woocommerce.wire import money_formatter, quantized_money_formatter, wp_json

SITE = "https://shop.example/woocommerce"


def test_draws_are_the_values_random_draws() -> None:
    for seed in range(200):
        draws, reference = Draws(f"{seed}:order:{seed}"), random.Random(f"{seed}:order:{seed}")
        for n in (1, 2, 3, 5, 7, 8, 40, 100, 101, 500, 999, 1024, 10**6):
            assert draws.below(n) == reference.randrange(n)
            assert draws.choice(range(n)) == reference.choice(range(n))
            assert draws.randint(-3, n) == reference.randint(-3, n)
            assert draws.random() == reference.random()


def _records_digest(seed: int, count: int) -> str:
    store = Store(seed=seed, orders_count=count)
    digest = hashlib.sha256(repr((store.products, store.customers)).encode())
    for index in range(count):
        digest.update(repr(store.order(index)).encode())
    return digest.hexdigest()


def test_generated_records_are_what_they_were() -> None:
    """Every provider's sandbox renders these records (Shopify and BigCommerce too)."""
    assert _records_digest(42, 2000) == "8eac425c3523538b3fea7d3c7ac0b8ed0cc38bb86cbee61dc8b0a4f1fb4f0114"
    assert _records_digest(5, 700) == "0d8b2560e99f4f2064cd751ced441857378e7f42bddaa7c333c487de9cdd68ba"


@pytest.mark.parametrize(
    ("seed", "count", "malformed_every", "dp", "expected"),
    [
        (42, 3000, 0, None, "adf16783f06728e2b5160bef01f7306ed6a6cb1de2e86c2b98a9597633578fbb"),
        (7, 1500, 13, None, "5d0fcaee79a6efe01892e193f513ee034180755bc13bdf2e807eccfd2dc1a5a2"),
        (11, 1000, 997, 3, "50f4b0bd66c1c39a1de0bb90c4befbb6e93a8a5d8f67a739b70be9a4f911be46"),
        (3, 1000, 997, 0, "10a91341d485342bcf3672570bbf20d28c4339bd1674693944e397761cac8f2d"),
    ],
)
def test_woocommerce_serves_every_order_and_refund_as_it_did(
    seed: int, count: int, malformed_every: int, dp: int | None, expected: str
) -> None:
    woo = WooCommerceSandbox(Store(seed=seed, orders_count=count, malformed_every=malformed_every))
    digest = hashlib.sha256()
    for index in range(count):
        order = woo.store.order(index)
        digest.update(wp_json(woo.renderer.order_json(order, SITE, dp)))
        for refund in order.refunds:
            digest.update(wp_json(woo.renderer.refund_json(order, refund, SITE, dp)))
    assert digest.hexdigest() == expected


def test_converted_amounts_print_as_the_quantizing_formatter_prints_them() -> None:
    """quantized_money_formatter trusts amounts.py to quantize every amount to the order's decimals."""
    store = Store(seed=9, orders_count=4000)
    for index in range(store.orders_count):
        order = store.order(index)
        decimals = order.presentment_decimals
        fast, exact = quantized_money_formatter(decimals), money_formatter(decimals)
        amounts = order_amounts(order)
        values = [amounts.shipping, amounts.shipping_tax, amounts.cart_tax, amounts.discount_total]
        values += [amounts.total, amounts.total_tax]
        values += [v for line in amounts.lines for v in (line.subtotal, line.total, line.tax)]
        values += [c.discount for c in amounts.coupons]
        for refund in order.refunds:
            parts = refund_amounts(order, refund)
            values += [-parts.amount, *(v for line in parts.lines for v in (-line.subtotal, -line.tax))]
        assert [fast(v) for v in values] == [exact(v) for v in values], index
