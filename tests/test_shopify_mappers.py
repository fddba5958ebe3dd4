"""The Shopify order mapper on its own: refunded shipping read from `refundShippingLines` in both
currencies; what an order's change is judged by leaves out its embedded customer; which refusals are a
stale cursor."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ledgerlink.canonical.external_refs import payload_hash
from ledgerlink.canonical.money import to_minor
from ledgerlink.connectors.shopify import mappers
from ledgerlink.connectors.shopify.connector import ShopifyConnector
from ledgerlink.connectors.shopify.credentials import ShopifyCredentials
from ledgerlink.connectors.shopify.paging import stale_cursor
from ledgerlink.sync.loader import map_records
from ledgerlink.sync.retry import RetryStream
from ledgerlink.upstream.errors import UpstreamRejected

amounts = st.decimals(min_value=0, max_value=10_000, places=2, allow_nan=False, allow_infinity=False)


def _bag(shop: Decimal, presentment: Decimal) -> dict[str, Any]:
    return {
        "shopMoney": {"amount": str(shop), "currencyCode": "USD"},
        "presentmentMoney": {"amount": str(presentment), "currencyCode": "JPY"},
    }


def _order(refund_shipping: list[tuple[Decimal, Decimal]]) -> dict[str, Any]:
    zero = _bag(Decimal(0), Decimal(0))
    total_shipping = sum((s for s, _ in refund_shipping), Decimal(0))
    return {
        "id": "gid://shopify/Order/100042",
        "legacyResourceId": "100042",
        "updatedAt": "2024-03-01T10:00:00Z",
        "currencyCode": "USD",
        "presentmentCurrencyCode": "JPY",
        "totalPriceSet": _bag(Decimal("100.00"), Decimal("15000")),
        "subtotalPriceSet": _bag(Decimal("100.00"), Decimal("15000")),
        "customer": {
            "id": "gid://shopify/Customer/7",
            "legacyResourceId": "7",
            "firstName": "Ada",
            "tags": ["vip"],
            "updatedAt": "2024-03-01T09:00:00Z",
            "defaultEmailAddress": {"emailAddress": "ada@example.com", "marketingState": "SUBSCRIBED"},
        },
        "lineItems": {"nodes": []},
        "shippingLines": {"nodes": []},
        "refunds": [
            {
                "id": "gid://shopify/Refund/3000420",
                "createdAt": "2024-03-02T10:00:00Z",
                "totalRefundedSet": _bag(total_shipping, Decimal(0)),
                "refundLineItems": {"nodes": []},
                "refundShippingLines": {
                    "nodes": [
                        {
                            "__typename": "RefundShippingLine",
                            "id": f"gid://shopify/RefundShippingLine/{n}",
                            "shippingLine": {"id": "gid://shopify/ShippingLine/100042"},
                            "subtotalAmountSet": _bag(shop, presentment),
                            "taxAmountSet": zero,
                        }
                        for n, (shop, presentment) in enumerate(refund_shipping)
                    ]
                },
            }
        ],
    }


@given(st.lists(st.tuples(amounts, st.integers(min_value=0, max_value=1_000_000).map(Decimal)), max_size=3))
def test_refunded_shipping_is_the_sum_of_the_refund_shipping_lines(lines: list[tuple[Decimal, Decimal]]) -> None:
    (refund,) = mappers.map_order(_order(lines)).refunds
    assert refund.shipping_amount == sum(to_minor(shop, "USD") for shop, _ in lines)
    assert refund.shipping_presentment_amount == sum(to_minor(pres, "JPY") for _, pres in lines)


def test_a_refund_without_shipping_lines_gave_no_shipping_back() -> None:
    order = _order([])
    del order["refunds"][0]["refundShippingLines"]
    (refund,) = mappers.map_order(order).refunds
    assert (refund.shipping_amount, refund.shipping_presentment_amount) == (0, 0)


customer_edits = st.fixed_dictionaries(
    {},
    optional={
        "firstName": st.text(max_size=10),
        "tags": st.lists(st.text(max_size=5), max_size=3),
        "updatedAt": st.sampled_from(["2024-04-01T00:00:00Z", "2025-01-01T12:00:00Z"]),
        "note": st.text(max_size=10),
    },
)


@given(customer_edits)
def test_an_order_is_judged_by_its_own_data_not_its_customers(edit: dict[str, Any]) -> None:
    order = _order([(Decimal("5.00"), Decimal("750"))])
    edited = copy.deepcopy(order)
    edited["customer"].update(edit)
    assert payload_hash(mappers.order_own_data(edited)) == payload_hash(mappers.order_own_data(order))
    # …while the mapped order still carries the customer as the source gave it.
    assert mappers.map_order(edited).customer == mappers.map_customer(edited["customer"])


def test_an_order_change_or_another_customer_is_a_change() -> None:
    order = _order([])
    base = payload_hash(mappers.order_own_data(order))
    for change in ({"note": "Gift wrap"}, {"customer": {**order["customer"], "id": "gid://shopify/Customer/8"}}):
        assert payload_hash(mappers.order_own_data({**order, **change})) != base
    assert mappers.order_own_data({**order, "customer": None})["customer"] is None


def _refused(messages: list[str]) -> UpstreamRejected:
    body = json.dumps({"errors": [{"message": m} for m in messages]})
    return UpstreamRejected("POST /graphql.json: HTTP 200", upstream_status=200, body=body)


def test_which_refusals_are_a_stale_cursor() -> None:
    assert stale_cursor(_refused(["Invalid cursor provided: 'eyJsYXN0X2lkIjoxfQ'"]))
    assert stale_cursor(_refused(["The cursor has expired. Fetch a new cursor and try again."]))
    assert not stale_cursor(_refused(["Field 'nope' doesn't exist on type 'Shop'"]))
    assert not stale_cursor(_refused(["Query cost is 1502, which exceeds the single query max cost limit (1000)."]))


def test_the_loader_does_not_count_an_order_updated_when_only_its_customer_changed() -> None:
    """Through the loader, as a sync page or webhook maps it: the same hash, so nothing is rewritten."""
    connector = ShopifyConnector(
        ShopifyCredentials(shopDomain="ledgerlink-test.myshopify.com", accessToken="shpat_0123456789")
    )
    order = _order([])
    renamed = copy.deepcopy(order)
    renamed["customer"]["firstName"] = "Grace"
    noted = {**order, "note": "Gift wrap"}
    for stream in (connector.streams["orders"], RetryStream(connector, connector.streams["orders"])):
        [before, after, changed], failed, _ = map_records(stream, [order, renamed, noted])
        assert not failed.errors
        assert before.payload_hash == after.payload_hash != changed.payload_hash
