"""A Shopify refund that gives shipping back, over real sockets: the sandbox serves its
`refundShippingLines` (subtotal and tax, in both currencies) on the official schema, and a sync stores
the refunded shipping and its tax on the canonical refund, in the shop's and the buyer's currency, and
shows them in the order's API view. The mapper on its own sums every refunded shipping line's tax."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from ledgerlink.canonical.money import to_minor
from ledgerlink.connectors.shopify import mappers
from ledgerlink.models import Refund
from tests.conftest import make_tenant
from tests.sync_support import setup_store, sync
from tests.test_shopify_mappers import _bag as money_bag
from tests.test_shopify_mappers import _order as shopify_order
from tests.test_shopify_mappers import amounts as money_amounts
from tests.test_sync_shopify import PROVIDER, _fresh, _gql

pytestmark = pytest.mark.slow

BAG = "fragment B on MoneyBag { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }"
CANDIDATES = (
    "query($q: String) { orders(first: 40, query: $q, reverse: true) { nodes { id legacyResourceId taxesIncluded "
    "currencyCode "
    "presentmentCurrencyCode totalShippingPriceSet { ...B } lineItems(first: 1) { nodes { id } } "
    "shippingLines(first: 1) { nodes { id taxLines { priceSet { ...B } } } } refunds { id } } } }\n" + BAG
)
REFUND = (
    "query($id: ID!) { node(id: $id) { id ... on Refund { totalRefundedSet { ...B } refundShippingLines(first: 5) "
    "{ nodes { id shippingLine { id } subtotalAmountSet { ...B } taxAmountSet { ...B } } } } } }\n" + BAG
)


def _amount(bag: dict[str, Any], side: str = "shopMoney") -> Decimal:
    return Decimal(bag[side]["amount"])


def _order_to_refund(sandbox: Any, *, foreign: bool) -> dict[str, Any]:
    """A paid order with shipping and no refund yet, in another currency than the shop's or not: among the
    newest, since refunding one moves it out of the early windows other tests of the shared store sync."""
    for doc in _gql(sandbox, CANDIDATES, q="financial_status:paid")["orders"]["nodes"]:
        is_foreign = doc["currencyCode"] != doc["presentmentCurrencyCode"]
        taxed = bool(doc["shippingLines"]["nodes"] and doc["shippingLines"]["nodes"][0]["taxLines"])
        if not doc["refunds"] and _amount(doc["totalShippingPriceSet"]) > 0 and is_foreign == foreign and taxed:
            return dict(doc)
    raise AssertionError("the sandbox has no order to refund")


async def _stored_refund(runtime: Any, workspace_id: str, note: str) -> Refund:
    async with runtime.sessions() as session:
        found = (
            await session.execute(select(Refund).where(Refund.workspace_id == workspace_id, Refund.note == note))
        ).scalar_one()
    return found


@pytest.mark.parametrize("foreign", [False, True], ids=["shop currency", "presentment currency"])
async def test_refunded_shipping_is_served_and_synced(client, runtime, sandbox, foreign):
    _fresh(sandbox)
    tenant = await make_tenant(runtime)
    iid = await setup_store(client, tenant.headers, PROVIDER, sandbox.credentials(PROVIDER))
    order = _order_to_refund(sandbox, foreign=foreign)
    line_id = int(order["lineItems"]["nodes"][0]["id"].rpartition("/")[2])
    note = f"Returned, shipping too {uuid.uuid4().hex[:8]}"
    created = sandbox.control(
        PROVIDER,
        "POST",
        f"/_sandbox/orders/{order['legacyResourceId']}/refunds",
        json={"lines": [{"lineItemId": line_id, "quantity": 1}], "note": note},
    )

    refund = _gql(sandbox, REFUND, id=created["id"])["node"]
    (shipped,) = refund["refundShippingLines"]["nodes"]
    assert shipped["shippingLine"]["id"] == order["shippingLines"]["nodes"][0]["id"]
    shipping_tax = _amount(order["shippingLines"]["nodes"][0]["taxLines"][0]["priceSet"])
    charged = _amount(order["totalShippingPriceSet"]) + (0 if order["taxesIncluded"] else shipping_tax)
    # All the shipping went back: with its tax, and the tax is the order's shipping tax.
    assert _amount(shipped["taxAmountSet"]) == shipping_tax > 0
    given_back = _amount(shipped["subtotalAmountSet"]) + (0 if order["taxesIncluded"] else shipping_tax)
    assert given_back == charged
    assert _amount(refund["totalRefundedSet"]) > given_back  # a line went back too

    since = datetime.fromisoformat(created["orderUpdatedAt"]) - timedelta(minutes=1)
    run = await sync(client, runtime, tenant.headers, iid, "orders", dateRange={"from": since.isoformat()})
    assert run["state"] == "succeeded" and run["ordersCreated"] >= 1, run
    stored = await _stored_refund(runtime, tenant.workspace_id, note)
    shop, presentment = order["currencyCode"], order["presentmentCurrencyCode"]
    subtotal = shipped["subtotalAmountSet"]
    assert stored.shipping_amount == to_minor(subtotal["shopMoney"]["amount"], shop) > 0
    assert stored.shipping_presentment_amount == to_minor(subtotal["presentmentMoney"]["amount"], presentment) > 0
    assert stored.amount == to_minor(refund["totalRefundedSet"]["shopMoney"]["amount"], shop)
    tax = shipped["taxAmountSet"]
    assert stored.shipping_tax_amount == to_minor(tax["shopMoney"]["amount"], shop) > 0
    assert stored.shipping_tax_presentment_amount == to_minor(tax["presentmentMoney"]["amount"], presentment) > 0

    # The order's API view shows the refunded shipping and its tax, in both currencies.
    answer = await client.get(f"/v1/orders/{stored.order_id}", headers=tenant.headers)
    assert answer.status_code == 200, answer.text
    (shown,) = [r for r in answer.json()["data"]["refunds"] if r["id"] == stored.id]
    for key, bag, stored_pair in (
        ("shipping", subtotal, (stored.shipping_amount, stored.shipping_presentment_amount)),
        ("shippingTax", tax, (stored.shipping_tax_amount, stored.shipping_tax_presentment_amount)),
    ):
        for side, upstream, currency, minor in zip(
            ("shop", "presentment"), ("shopMoney", "presentmentMoney"), (shop, presentment), stored_pair, strict=True
        ):
            assert shown[key][side]["amountMinor"] == minor
            assert (Decimal(shown[key][side]["amount"]), shown[key][side]["currency"]) == (
                _amount(bag, upstream),
                currency,
            )


async def test_a_partial_shipping_refund_and_refusals(sandbox):
    """Part of the shipping alone; more than is left, or nothing at all, is refused."""
    _fresh(sandbox)
    order = _order_to_refund(sandbox, foreign=False)
    path = f"/_sandbox/orders/{order['legacyResourceId']}/refunds"
    created = sandbox.control(PROVIDER, "POST", path, json={"shipping": "1.00"})
    (shipped,) = _gql(sandbox, REFUND, id=created["id"])["node"]["refundShippingLines"]["nodes"]
    assert _amount(shipped["subtotalAmountSet"]) + _amount(shipped["taxAmountSet"]) * (
        0 if order["taxesIncluded"] else 1
    ) == Decimal("1.00")
    base = f"{sandbox.base_url}/{PROVIDER}{path}"
    too_much = httpx.post(base, json={"shipping": "1000.00"}, timeout=10)
    assert too_much.status_code == 400 and "left to refund" in too_much.json()["error"]
    nothing = httpx.post(base, json={"shipping": "0"}, timeout=10)
    assert nothing.status_code == 400 and "nothing to refund" in nothing.json()["error"]
    unknown = httpx.post(f"{sandbox.base_url}/{PROVIDER}/_sandbox/orders/1/refunds", json={}, timeout=10)
    assert unknown.status_code == 404


shipping_lines = st.lists(
    st.tuples(
        money_amounts, st.integers(0, 1_000_000).map(Decimal), money_amounts, st.integers(0, 100_000).map(Decimal)
    ),
    max_size=3,
)


@given(shipping_lines)
def test_the_mapper_sums_the_tax_of_every_refunded_shipping_line(
    lines: list[tuple[Decimal, Decimal, Decimal, Decimal]],
) -> None:
    order = shopify_order([(shop, presentment) for shop, presentment, _, _ in lines])
    nodes = order["refunds"][0]["refundShippingLines"]["nodes"]
    for node, (_, _, tax_shop, tax_presentment) in zip(nodes, lines, strict=True):
        node["taxAmountSet"] = money_bag(tax_shop, tax_presentment)
    (refund,) = mappers.map_order(order).refunds
    assert refund.shipping_tax_amount == sum(to_minor(tax, "USD") for _, _, tax, _ in lines)
    assert refund.shipping_tax_presentment_amount == sum(to_minor(tax, "JPY") for _, _, _, tax in lines)
    assert refund.shipping_amount == sum(to_minor(shop, "USD") for shop, _, _, _ in lines)


def test_a_refunded_shipping_line_without_a_tax_amount_gave_no_tax_back() -> None:
    order = shopify_order([(Decimal("5.00"), Decimal("750"))])
    del order["refunds"][0]["refundShippingLines"]["nodes"][0]["taxAmountSet"]
    (refund,) = mappers.map_order(order).refunds
    assert (refund.shipping_amount, refund.shipping_tax_amount, refund.shipping_tax_presentment_amount) == (500, 0, 0)
