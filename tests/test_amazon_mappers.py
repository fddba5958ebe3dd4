"""The Amazon mappers on generated SP-API records: any order Amazon may send maps with its totals
adding up in the marketplace currency's minor units (zero-decimal JPY, prices with tax in them or tax
on top); fee events map to fee entries whose lines add up to what they took, keyed by their content
alone; FBA summaries map to levels; and anything broken fails with a mapping error, never another
exception. Settlements (financial event groups) map to payouts whose items are their events, adding
up to the total but for what the group states beyond them, each keyed as the fee stream keys it. The
sandbox's own orders are held to the same sums.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from ledgerlink.canonical.money import to_major
from ledgerlink.connectors.amazon.fees import event_id, fee_events, map_fee_event
from ledgerlink.connectors.amazon.inventory import map_summary
from ledgerlink.connectors.amazon.order_mapper import STATUS, map_order
from ledgerlink.connectors.amazon.settlements import keyed_events, map_settlement
from ledgerlink.sandbox.amazon.orders import amazon_order, render_item, render_order
from ledgerlink.sandbox.dataset import Store
from ledgerlink.sync.loader import MAPPING_ERRORS

MAPPED = (*MAPPING_ERRORS, ValidationError)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# (marketplace, currency, decimals, prices include tax), stated apart from the code under test
MARKETS = (
    ("ATVPDKIKX0DER", "USD", 2, False),
    ("A2EUQ1WTGCTBG2", "CAD", 2, False),
    ("A1PA6795UKMFR9", "EUR", 2, True),
    ("A1VC38T7YXB528", "JPY", 0, True),
    ("A2VIGQ35RCS4UG", "AED", 2, True),
)
AMOUNT_FIELDS = ("ItemPrice", "ItemTax", "PromotionDiscount", "PromotionDiscountTax", "ShippingPrice", "ShippingTax",
                 "ShippingDiscount", "ShippingDiscountTax")  # fmt: skip


def text(minor: int, decimals: int) -> str:
    return f"{Decimal(minor).scaleb(-decimals):.{decimals}f}"


@st.composite
def items(draw: st.DrawFn, currency: str, decimals: int) -> dict[str, Any]:
    quantity = draw(st.integers(1, 6))
    price = draw(st.one_of(st.integers(0, 10**6).map(lambda u: u * quantity), st.integers(0, 10**7)))
    promotion = draw(st.integers(0, price))
    shipping = draw(st.integers(0, 5_000))
    minors = {
        "ItemPrice": price,
        "ItemTax": draw(st.integers(0, price)),
        "PromotionDiscount": promotion,
        "PromotionDiscountTax": draw(st.integers(0, promotion)),
        "ShippingPrice": shipping,
        "ShippingTax": draw(st.integers(0, shipping)),
        "ShippingDiscount": (off := draw(st.integers(0, shipping))),
        "ShippingDiscountTax": draw(st.integers(0, off)),
    }
    item: dict[str, Any] = {
        "ASIN": "B0" + draw(st.text("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=8, max_size=8)),
        "SellerSKU": draw(st.text("ABC-0123456789", min_size=1, max_size=12)),
        "OrderItemId": str(draw(st.integers(10**13, 10**14 - 1))),
        "Title": draw(st.text(min_size=0, max_size=30)),
        "QuantityOrdered": quantity,
        "QuantityShipped": draw(st.integers(0, quantity)),
        "PromotionIds": ["PLM-X"] if promotion else [],
        "_minor": minors,
    }
    for name, value in minors.items():
        item[name] = {"CurrencyCode": currency, "Amount": text(value, decimals)}
    return item


@st.composite
def orders(draw: st.DrawFn) -> tuple[dict[str, Any], tuple[str, str, int, bool]]:
    market = draw(st.sampled_from(MARKETS))
    marketplace, currency, decimals, included = market
    status = draw(st.sampled_from(sorted(STATUS)))
    order: dict[str, Any] = {
        "AmazonOrderId": f"{draw(st.integers(100, 999))}-{draw(st.integers(0, 10**7 - 1)):07d}-0000001",
        "PurchaseDate": "2024-03-01T10:00:00Z",
        "LastUpdateDate": "2024-03-02T11:30:00Z",
        "OrderStatus": status,
        "MarketplaceId": marketplace,
        "FulfillmentChannel": draw(st.sampled_from(["AFN", "MFN"])),
    }
    if status in ("Pending", "PendingAvailability"):
        order["_items"] = [
            {"ASIN": "B0PENDING1", "OrderItemId": "1", "QuantityOrdered": 1, "SellerSKU": "X"}
        ]  # no money yet
        return order, market
    order["_items"] = draw(st.lists(items(currency, decimals), min_size=1, max_size=5))
    if draw(st.booleans()):
        order["OrderTotal"] = {"CurrencyCode": currency, "Amount": text(expected_total(order, included), decimals)}
    return order, market


def _sum(order: dict[str, Any], *names: str) -> int:
    return sum(item["_minor"][name] for item in order["_items"] for name in names)


def expected_total(order: dict[str, Any], included: bool) -> int:
    net = _sum(order, "ItemPrice", "ShippingPrice") - _sum(order, "PromotionDiscount", "ShippingDiscount")
    tax = _sum(order, "ItemTax", "ShippingTax") - _sum(order, "PromotionDiscountTax", "ShippingDiscountTax")
    return net if included else net + tax


@FAST
@given(orders())
def test_any_order_maps_with_totals_that_add_up(case: tuple[dict[str, Any], tuple[str, str, int, bool]]) -> None:
    order, (_, currency, decimals, included) = case
    mapped = map_order(order)
    assert mapped.currency == mapped.presentment_currency == currency and mapped.taxes_included == included
    assert (mapped.status, mapped.financial_status, mapped.fulfillment_status) == STATUS[order["OrderStatus"]]
    assert mapped.external_id == mapped.number == order["AmazonOrderId"]
    if "_minor" not in order["_items"][0]:
        assert mapped.total == mapped.subtotal == mapped.tax == 0
        return
    assert mapped.subtotal == _sum(order, "ItemPrice")
    assert mapped.discount == _sum(order, "PromotionDiscount", "ShippingDiscount")
    assert mapped.shipping == _sum(order, "ShippingPrice")
    taxes = _sum(order, "ItemTax", "ShippingTax") - _sum(order, "PromotionDiscountTax", "ShippingDiscountTax")
    assert mapped.tax == taxes
    assert mapped.total == expected_total(order, included)
    assert mapped.total == mapped.subtotal - mapped.discount + mapped.shipping + (0 if included else mapped.tax)
    if "OrderTotal" in order:
        assert to_major(mapped.total, currency) == Decimal(order["OrderTotal"]["Amount"])
    for line, item in zip(mapped.lines, order["_items"], strict=True):
        price = item["_minor"]["ItemPrice"]
        assert line.unit_price * line.quantity == price or line.attributes["itemPrice"] == price
        assert abs(line.unit_price * line.quantity - price) <= line.quantity // 2 + 1
        assert line.discount == item["_minor"]["PromotionDiscount"]
        assert (
            sum(t.amount for t in line.tax_lines) == item["_minor"]["ItemTax"] - item["_minor"]["PromotionDiscountTax"]
        )
    line_tax = sum(t.amount for line in mapped.lines for t in line.tax_lines)
    shipping_tax = sum(t.amount for s in mapped.shipping_lines for t in s.tax_lines)
    assert line_tax + shipping_tax == mapped.tax
    assert sum(d.amount for d in mapped.discounts) == mapped.discount
    if decimals == 0:
        assert all(isinstance(v, int) for v in (mapped.total, mapped.subtotal))


def _break(order: dict[str, Any], how: str) -> None:
    item = order["_items"][0]
    if how == "comma":
        item["ItemPrice"]["Amount"] = item["ItemPrice"]["Amount"].replace(".", ",") + ",5"
    elif how == "precision":
        item["ItemTax"]["Amount"] += "1" if "." in item["ItemTax"]["Amount"] else ".001"
    elif how == "currency":
        item["ShippingPrice"]["CurrencyCode"] = "KWD"
    elif how == "quantity":
        item["QuantityOrdered"] = -1
    elif how == "status":
        order["OrderStatus"] = "Teleported"
    elif how == "id":
        del item["OrderItemId"]
    elif how == "date":
        order["LastUpdateDate"] = "yesterday"
    elif how == "amount":
        item["ItemPrice"]["Amount"] = None


@FAST
@given(orders(), st.sampled_from(["comma", "precision", "currency", "quantity", "status", "id", "date", "amount"]))
def test_a_broken_order_fails_with_a_mapping_error(case: Any, how: str) -> None:
    order, _ = case
    if "_minor" not in order["_items"][0] and how not in ("status", "date", "quantity", "id"):
        return  # a pending order has no amounts to break
    _break(order, how)
    with pytest.raises(MAPPED):
        map_order(order)


@st.composite
def fee_event(draw: st.DrawFn) -> tuple[dict[str, Any], str, int]:
    _, currency, decimals, _ = draw(st.sampled_from(MARKETS))
    minors = draw(st.lists(st.integers(-(10**6), 10**6), min_size=1, max_size=6))
    kinds = draw(st.lists(st.sampled_from(["Commission", "FBAPerUnitFulfillmentFee", "RefundCommission"]),
                          min_size=len(minors), max_size=len(minors)))  # fmt: skip

    def amount(minor: int) -> Any:
        value = Decimal(minor).scaleb(-decimals)
        return int(value) if decimals == 0 else float(value)  # a JSON number, as orjson hands it over

    fees = [
        {"FeeType": kind, "FeeAmount": {"CurrencyCode": currency, "CurrencyAmount": amount(minor)}}
        for kind, minor in zip(kinds, minors, strict=True)
    ]
    event = {
        "AmazonOrderId": "114-1234567-7654321",
        "PostedDate": "2024-03-02T10:00:00Z",
        "ShipmentItemList": [{"SellerSKU": "X", "OrderItemId": "1", "ItemFeeList": fees}],
    }
    return event, currency, sum(minors)


@FAST
@given(fee_event(), st.sampled_from(["ShipmentEventList", "RefundEventList"]))
def test_fee_events_map_to_fee_entries_that_add_up(case: Any, listed: str) -> None:
    event, currency, total = case
    body = orjson.loads(orjson.dumps({"payload": {"FinancialEvents": {listed: [event]}}}))
    (raw,) = fee_events(body)
    entry = map_fee_event(raw)
    assert entry.kind == "fee" and entry.source_external_id == event["AmazonOrderId"]
    assert entry.settlement.currency == currency
    assert entry.settlement.amount == entry.settlement.net == total and entry.settlement.fee == 0
    assert sum(f.amount for f in entry.settlement.fee_lines) == -total
    shuffled = dict(reversed(list(event.items())))
    assert event_id(listed.removesuffix("List"), shuffled) == entry.external_id  # key order does not matter
    other = orjson.loads(orjson.dumps(event))
    other["PostedDate"] = "2024-03-03T10:00:00Z"
    assert event_id(listed.removesuffix("List"), other) != entry.external_id


@st.composite
def settlement(draw: Any) -> tuple[dict[str, Any], dict[str, Any], int, int]:
    """A closed group of sales, refunds and (undated, maybe twice the same) service fees; its events
    (as listFinancialEventsByGroupId pages them), their sum and what the total states beyond it."""
    _, currency, decimals, _ = draw(st.sampled_from(MARKETS))

    def money(minor: int) -> dict[str, Any]:
        value = Decimal(minor).scaleb(-decimals)
        return {"CurrencyCode": currency, "CurrencyAmount": int(value) if decimals == 0 else float(value)}

    lists: dict[str, list[Any]] = {"ShipmentEventList": [], "RefundEventList": [], "ServiceFeeEventList": []}
    moved = 0
    for n in range(draw(st.integers(0, 5))):
        charges = draw(st.lists(st.integers(-(10**5), 10**6), min_size=1, max_size=3))
        fees = draw(st.lists(st.integers(-(10**4), 0), max_size=2))
        listed = draw(st.sampled_from(["ShipmentEventList", "RefundEventList"]))
        item_lists = ("ItemChargeList", "ItemFeeList")
        if listed == "RefundEventList":
            item_lists = ("ItemChargeAdjustmentList", "ItemFeeAdjustmentList")
        lists[listed].append(
            {
                "AmazonOrderId": f"114-{n:07d}-0000001",
                "PostedDate": f"2024-03-0{n + 1}T10:00:00Z",
                "ShipmentItemList": [
                    {
                        item_lists[0]: [{"ChargeType": "Principal", "ChargeAmount": money(c)} for c in charges],
                        item_lists[1]: [{"FeeType": "Commission", "FeeAmount": money(f)} for f in fees],
                    }
                ],
            }
        )
        moved += sum(charges) + sum(fees)
    for fee in draw(st.lists(st.sampled_from([-3999, -1245]), max_size=3)):
        billed = {"FeeType": "Subscription", "FeeAmount": money(fee)}
        lists["ServiceFeeEventList"].append({"FeeReason": "Fee", "FeeList": [billed]})
        moved += fee
    difference = draw(st.sampled_from([0, 0, -250, 1]))
    group = {
        "FinancialEventGroupId": "GROUP-1",
        "ProcessingStatus": "Closed",
        "FundTransferStatus": draw(st.sampled_from(["Succeeded", "Processing"])),
        "OriginalTotal": money(moved + difference),
        "FinancialEventGroupEnd": "2024-03-10T00:00:00Z",
        "FundTransferDate": "2024-03-11T00:00:00Z",
    }
    return group, orjson.loads(orjson.dumps(lists)), moved, difference


@FAST
@given(settlement())
def test_settlements_map_to_payouts_of_their_events(case: Any) -> None:
    group, lists, moved, difference = case
    half = {name: events[: len(events) // 2] for name, events in lists.items()}  # two pages of them
    rest = {name: events[len(events) // 2 :] for name, events in lists.items()}
    raw = {**group, "_events": keyed_events(group["FinancialEventGroupId"], [half, rest])}
    payout = map_settlement(raw)  # a negative total too: a settlement that debits the seller's bank
    assert payout.amount == moved + difference and payout.unreconciled() == difference
    assert payout.status == ("paid" if group["FundTransferStatus"] == "Succeeded" else "in_transit")
    assert payout.items is not None and len(payout.items) == sum(len(events) for events in lists.values())
    assert len({i.external_id for i in payout.items}) == len(payout.items)  # the same fee twice: two items
    assert all(i.net == i.amount - i.fee for i in payout.items)
    dated = {event_id(n.removesuffix("List"), e) for n, events in lists.items() for e in events if "PostedDate" in e}
    assert dated <= {i.external_id for i in payout.items}  # keyed as the fee stream keys them
    again = map_settlement({**group, "_events": keyed_events(group["FinancialEventGroupId"], [lists])})
    assert sorted(again.items or (), key=repr) == sorted(payout.items, key=repr)  # however they were paged
    if payout.items:  # an event in another currency than the settlement's fails it
        other = "SEK" if group["OriginalTotal"]["CurrencyCode"] != "SEK" else "NOK"
        elsewhere = {**group, "OriginalTotal": {**group["OriginalTotal"], "CurrencyCode": other}}
        with pytest.raises(MAPPED):
            map_settlement({**elsewhere, "_events": raw["_events"]})


def test_fee_events_without_fees_or_dates_are_passed_over_and_unknown_kinds_fail():
    body = {
        "payload": {
            "FinancialEvents": {
                "ShipmentEventList": [{"AmazonOrderId": "1", "PostedDate": "2024-01-01T00:00:00Z"}],
                "ServiceFeeEventList": [{"FeeReason": "Subscription", "FeeList": [{"FeeType": "Subscription"}]}],
                "AdjustmentEventList": [{"AdjustmentType": "ReserveDebit", "PostedDate": "2024-01-01T00:00:00Z"}],
            }
        }
    }
    (unknown,) = fee_events(body)
    with pytest.raises(ValueError, match="AdjustmentEventList"):
        map_fee_event(unknown)


@FAST
@given(st.integers(0, 10**5), st.integers(0, 10**4), st.integers(-5, -1))
def test_fba_summaries_map_to_levels(fulfillable: int, reserved: int, negative: int) -> None:
    summary = {
        "sellerSku": "MUG-001",
        "_location": "fba:ATVPDKIKX0DER",
        "lastUpdatedTime": "2024-01-02T00:00:00Z",
        "inventoryDetails": {
            "fulfillableQuantity": fulfillable,
            "reservedQuantity": {"totalReservedQuantity": reserved},
        },
    }
    level = map_summary(summary)
    assert (level.on_hand, level.reserved, level.on_hand - level.reserved) == (
        fulfillable + reserved,
        reserved,
        fulfillable,
    )
    assert level.external_id == "MUG-001@fba:ATVPDKIKX0DER"
    for broken in ({**summary, "inventoryDetails": None}, {**summary, "sellerSku": ""}):
        with pytest.raises(MAPPED):
            map_summary(broken)
    summary["inventoryDetails"]["fulfillableQuantity"] = negative
    with pytest.raises(MAPPED):
        map_summary(summary)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000))
def test_the_sandboxs_orders_add_up_once_mapped(seed: int) -> None:
    store = Store(seed=seed, orders_count=60, malformed_every=0)
    for index in random.Random(seed).sample(range(60), 12):
        order = amazon_order(store, index)
        if order is None:
            continue
        raw = orjson.loads(
            orjson.dumps({**render_order(order), "_items": [render_item(order, i) for i in order.items]})
        )
        mapped = map_order(raw)
        included = order.marketplace.tax_included
        assert mapped.total == mapped.subtotal - mapped.discount + mapped.shipping + (0 if included else mapped.tax)
        if order.priced:
            assert to_major(mapped.total, mapped.currency) == order.total
