"""A Shopify refund that gives shipping back, over real sockets: the sandbox serves its
`refundShippingLines` (subtotal and tax, in both currencies) on the official schema, and a sync stores
the refunded shipping on the canonical refund, in the shop's and the buyer's currency."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from ledgerlink.canonical.money import to_minor
from ledgerlink.models import Refund
from tests.conftest import make_tenant
from tests.sync_support import setup_store, sync
from tests.test_sync_shopify import PROVIDER, _fresh, _gql

pytestmark = pytest.mark.slow

BAG = "fragment B on MoneyBag { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }"
CANDIDATES = (
    "query($q: String) { orders(first: 40, query: $q) { nodes { id legacyResourceId taxesIncluded currencyCode "
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
    """A paid order with shipping and no refund yet, in another currency than the shop's or not."""
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
