"""The Amazon sandbox as an upstream: Login with Amazon's refresh-token grant and its refusals, access
tokens checked on every request, getOrders' rules and NextToken paging (a key, so a changing order is
met again rather than another skipped), money that adds up in five currencies (zero-decimal JPY among
them, prices with and without tax), financial events with fees and refunds, FBA summaries, and a token
bucket per operation answering 429 with its plan in `x-amzn-RateLimit-Limit`.

Reached over ASGI as `ledgerlink sandbox` mounts it; `serving` puts it on a real socket for the
connector's tests (and is imported by them).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import AbstractContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from ledgerlink.sandbox.amazon import AmazonSandbox
from ledgerlink.sandbox.amazon.marketplaces import MARKETPLACES
from ledgerlink.sandbox.amazon.orders import AmazonOrder, amazon_order
from ledgerlink.sandbox.dataset import Store
from ledgerlink.sandbox.server import build_app
from tests.support.sandbox_server import serving_platform

MOUNT = "http://sandbox/amazon"
SEED, ORDERS, MALFORMED_EVERY = 7, 600, 97
ALL_MARKETPLACES = ",".join(m.id for m in MARKETPLACES)
EVERYTHING = {"MarketplaceIds": ALL_MARKETPLACES, "LastUpdatedAfter": "2020-01-01T00:00:00Z"}


def make_sandbox(orders: int = ORDERS) -> AmazonSandbox:
    """Usage plans off (tests that want them switch them on); malformed orders served broken."""
    sandbox = AmazonSandbox(Store(seed=SEED, orders_count=orders, malformed_every=MALFORMED_EVERY))
    sandbox.injector.faults.rate_limits = False
    return sandbox


def grant_form(sandbox: AmazonSandbox, **changes: str) -> dict[str, str]:
    return {
        "grant_type": "refresh_token",
        "refresh_token": sandbox.lwa.refresh_token,
        "client_id": sandbox.lwa.client_id,
        "client_secret": sandbox.lwa.client_secret,
        **changes,
    }


@asynccontextmanager
async def connect(sandbox: AmazonSandbox, token: bool = True) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app({"amazon": sandbox}))
    async with httpx.AsyncClient(transport=transport, base_url=MOUNT) as client:
        if token:
            granted = await client.post("/auth/o2/token", data=grant_form(sandbox))
            client.headers["x-amz-access-token"] = granted.json()["access_token"]
        yield client


def serving(sandbox: AmazonSandbox) -> AbstractContextManager[str]:
    """The sandbox server on a real loopback socket; yields the mount's URL."""
    return serving_platform("amazon", sandbox)


def every_order(sandbox: AmazonSandbox) -> list[AmazonOrder]:
    """The seller's Amazon orders, worked out here rather than through the API."""
    found = [amazon_order(sandbox.store, i) for i in range(sandbox.store.orders_count)]
    return [o for o in found if o is not None]


async def all_orders(api: httpx.AsyncClient, **params: Any) -> tuple[list[dict[str, Any]], int]:
    orders, token, pages = [], None, 0
    while True:
        reply = await api.get("/orders/v0/orders", params={**params, **({"NextToken": token} if token else {})})
        assert reply.status_code == 200, reply.text
        payload = reply.json()["payload"]
        orders += payload["Orders"]
        pages += 1
        if not (token := payload.get("NextToken")):
            return orders, pages


def minor(amount: str, decimals: int) -> int:
    return int(Decimal(amount).scaleb(decimals))


async def test_login_with_amazon_grants_and_refuses_as_lwa_does():
    sandbox = make_sandbox()
    async with connect(sandbox, token=False) as api:
        granted = await api.post("/auth/o2/token", data=grant_form(sandbox))
        assert granted.status_code == 200
        body = granted.json()
        assert (
            body["token_type"] == "bearer" and body["expires_in"] == 3600 and body["access_token"].startswith("Atza|")
        )
        as_json = await api.post("/auth/o2/token", json=grant_form(sandbox))
        assert as_json.status_code == 200
        wrong_client = await api.post("/auth/o2/token", data=grant_form(sandbox, client_secret="nope"))
        assert (wrong_client.status_code, wrong_client.json()["error"]) == (401, "invalid_client")
        wrong_grant = await api.post("/auth/o2/token", data=grant_form(sandbox, refresh_token="Atzr|other"))
        assert (wrong_grant.status_code, wrong_grant.json()["error"]) == (400, "invalid_grant")
        await api.post("/_sandbox/lwa", json={"revoked": True})
        revoked = await api.post("/auth/o2/token", data=grant_form(sandbox))
        assert (revoked.status_code, revoked.json()["error"]) == (400, "invalid_grant")
        counters = (await api.get("/_sandbox/lwa")).json()
        assert counters["grants"] == 2 and counters["refused"] == 3

        anonymous = await api.get("/orders/v0/orders", params=EVERYTHING)
        assert anonymous.status_code == 403 and anonymous.json()["errors"][0]["code"] == "Unauthorized"
        forged = await api.get("/orders/v0/orders", params=EVERYTHING, headers={"x-amz-access-token": "Atza|x"})
        assert "revoked, malformed or invalid" in forged.json()["errors"][0]["details"]
        sandbox.lwa.tokens[body["access_token"]] = time.time() - 1
        expired = await api.get(
            "/orders/v0/orders", params=EVERYTHING, headers={"x-amz-access-token": body["access_token"]}
        )
        assert expired.status_code == 403 and "expired" in expired.json()["errors"][0]["details"]


async def test_get_orders_pages_every_order_once_oldest_first():
    sandbox = make_sandbox()
    expected = every_order(sandbox)
    async with connect(sandbox) as api:
        orders, pages = await all_orders(api, **EVERYTHING, MaxResultsPerPage=25)
        first = await api.get("/orders/v0/orders", params={**EVERYTHING, "MaxResultsPerPage": 25})
    assert pages == -(-len(expected) // 25) and 0.2 < len(expected) / ORDERS < 0.4
    assert sorted(o["AmazonOrderId"] for o in orders) == sorted(o.id for o in expected)
    stamps = [(o["LastUpdateDate"], o["AmazonOrderId"]) for o in orders]
    assert stamps == sorted(stamps)
    assert all(o["AmazonOrderId"].count("-") == 2 and len(o["AmazonOrderId"]) == 19 for o in orders)
    assert "LastUpdatedBefore" in first.json()["payload"] and first.headers["x-amzn-RateLimit-Limit"] == "0.0167"
    assert first.headers["x-amzn-RequestId"]
    assert {o["MarketplaceId"] for o in orders} == {m.id for m in MARKETPLACES}


async def test_get_orders_filters_and_refuses_what_sp_api_refuses():
    sandbox = make_sandbox()
    expected = every_order(sandbox)
    us = MARKETPLACES[0].id
    async with connect(sandbox) as api:
        shipped, _ = await all_orders(
            api, MarketplaceIds=us, CreatedAfter="2024-01-01T00:00:00Z", OrderStatuses="Shipped"
        )
        assert {o["AmazonOrderId"] for o in shipped} == {
            o.id for o in expected if o.marketplace.id == us and o.status == "Shipped"
        }
        cut = expected[len(expected) // 2].updated_at
        later, _ = await all_orders(api, MarketplaceIds=ALL_MARKETPLACES, LastUpdatedAfter=cut.isoformat())
        assert {o["AmazonOrderId"] for o in later} == {o.id for o in expected if o.updated_at >= cut}
        soon = (datetime.now(UTC) - timedelta(seconds=30)).isoformat()
        for params, reason in [
            ({"LastUpdatedAfter": "2024-01-01T00:00:00Z"}, "MarketplaceIds is required"),
            ({"MarketplaceIds": us}, "Either CreatedAfter or LastUpdatedAfter"),
            ({"MarketplaceIds": us, "CreatedAfter": "2024-01-01", "LastUpdatedBefore": "2024-02-01"}, "cannot be set"),
            ({"MarketplaceIds": us, "LastUpdatedAfter": "2024-01-01", "LastUpdatedBefore": soon}, "two minutes"),
            ({**EVERYTHING, "MaxResultsPerPage": "101"}, "from 1 to 100"),
            ({**EVERYTHING, "OrderStatuses": "Delivered"}, "Invalid OrderStatuses"),
            ({**EVERYTHING, "MarketplaceIds": "A13V1IB3VIYZZH"}, "Invalid MarketplaceIds"),
            ({**EVERYTHING, "BuyerEmail": "x@example.com"}, "does not filter on BuyerEmail"),
        ]:
            refused = await api.get("/orders/v0/orders", params=params)
            assert refused.status_code == 400, params
            assert refused.json()["errors"][0]["code"] == "InvalidInput"
            assert reason in refused.json()["errors"][0]["message"], refused.text
        page = (await api.get("/orders/v0/orders", params={**EVERYTHING, "MaxResultsPerPage": 5})).json()["payload"]
        elsewhere = {"MarketplaceIds": us, "LastUpdatedAfter": "2020-01-01T00:00:00Z", "NextToken": page["NextToken"]}
        assert (await api.get("/orders/v0/orders", params=elsewhere)).status_code == 400


async def test_an_order_changed_while_paging_is_met_again_and_none_is_skipped():
    sandbox = make_sandbox()
    expected = every_order(sandbox)
    async with connect(sandbox) as api:
        params = {**EVERYTHING, "MaxResultsPerPage": 20}
        first = (await api.get("/orders/v0/orders", params=params)).json()["payload"]
        moved = first["Orders"][3]["AmazonOrderId"]
        touched = await api.post(f"/_sandbox/orders/{moved}/touch", json={"cancel": True})
        assert touched.json()["OrderStatus"] == "Canceled"
        seen = [o["AmazonOrderId"] for o in first["Orders"]]
        token = first["NextToken"]
        while token:
            page = (await api.get("/orders/v0/orders", params={**params, "NextToken": token})).json()["payload"]
            seen += [o["AmazonOrderId"] for o in page["Orders"]]
            token = page.get("NextToken")
    assert set(seen) == {o.id for o in expected}
    assert seen.count(moved) == 2 and seen[-1] == moved  # listed again, last, as now last updated


async def test_money_adds_up_in_each_marketplace_currency():
    sandbox = make_sandbox()
    checked = 0
    async with connect(sandbox) as api:
        for order in every_order(sandbox)[:80]:
            m = order.marketplace
            body = (await api.get(f"/orders/v0/orders/{order.id}")).json()["payload"]
            items = (await api.get(f"/orders/v0/orders/{order.id}/orderItems")).json()["payload"]["OrderItems"]
            if body["OrderStatus"] == "Pending":
                assert "OrderTotal" not in body and all("ItemPrice" not in i for i in items)
                continue
            total = minor(body["OrderTotal"]["Amount"], m.decimals)

            def part(item: dict[str, Any], name: str, m: Any = m) -> int:
                assert item[name]["CurrencyCode"] == m.currency
                return minor(item[name]["Amount"], m.decimals)

            net = sum(part(i, "ItemPrice") + part(i, "ShippingPrice") - part(i, "PromotionDiscount") for i in items)
            taxes = sum(part(i, "ItemTax") + part(i, "ShippingTax") - part(i, "PromotionDiscountTax") for i in items)
            assert total == (net if m.tax_included else net + taxes), order.id
            assert body["OrderTotal"]["CurrencyCode"] == m.currency
            if m.decimals == 0:
                assert "." not in body["OrderTotal"]["Amount"]
            checked += 1
        missing = await api.get("/orders/v0/orders/114-0000000-0000000")
        assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "NotFound"
    assert checked > 40


async def test_order_items_page_with_a_next_token():
    sandbox = make_sandbox()
    order = max(every_order(sandbox), key=lambda o: len(o.items))
    assert len(order.items) >= 3
    async with connect(sandbox) as api:
        await api.post("/_sandbox/settings", json={"order_items_page_size": 2})
        items, token, pages = [], None, 0
        while True:
            params = {"NextToken": token} if token else {}
            payload = (await api.get(f"/orders/v0/orders/{order.id}/orderItems", params=params)).json()["payload"]
            assert payload["AmazonOrderId"] == order.id
            items += payload["OrderItems"]
            pages += 1
            if not (token := payload.get("NextToken")):
                break
    assert [i["OrderItemId"] for i in items] == [i.order_item_id for i in order.items]
    assert pages == -(-len(order.items) // 2)


async def test_financial_events_carry_fees_and_refunds_within_180_days():
    sandbox = make_sandbox()
    async with connect(sandbox) as api:
        window = {"PostedAfter": "2024-01-01T00:00:00Z", "PostedBefore": "2024-06-01T00:00:00Z"}
        events: dict[str, list[Any]] = {}
        token, pages = None, 0
        while True:
            params = {**window, "MaxResultsPerPage": 30, **({"NextToken": token} if token else {})}
            payload = (await api.get("/finances/v0/financialEvents", params=params)).json()["payload"]
            for name, listed in payload["FinancialEvents"].items():
                events.setdefault(name, []).extend(listed)
            pages += 1
            if not (token := payload.get("NextToken")):
                break
        too_wide = {"PostedAfter": "2023-01-01T00:00:00Z", "PostedBefore": "2024-06-01T00:00:00Z"}
        empty = (await api.get("/finances/v0/financialEvents", params=too_wide)).json()["payload"]
        late = (datetime.now(UTC) - timedelta(seconds=10)).isoformat()
        refused = await api.get("/finances/v0/financialEvents", params={"PostedAfter": late})
    assert pages > 3 and len(events["ShipmentEventList"]) > 50 and events["RefundEventList"]
    assert all(not listed for listed in empty["FinancialEvents"].values()) and "NextToken" not in empty
    assert refused.status_code == 400
    afn = {o.id for o in every_order(sandbox) if o.channel == "AFN"}
    for event in events["ShipmentEventList"]:
        fee_types = {f["FeeType"] for item in event["ShipmentItemList"] for f in item["ItemFeeList"]}
        assert "Commission" in fee_types
        assert ("FBAPerUnitFulfillmentFee" in fee_types) == (event["AmazonOrderId"] in afn)
        assert all(f["FeeAmount"]["CurrencyAmount"] < 0 for i in event["ShipmentItemList"] for f in i["ItemFeeList"])
    for refund in events["RefundEventList"]:
        fees = {
            f["FeeType"]: f["FeeAmount"]["CurrencyAmount"]
            for f in refund["ShipmentItemAdjustmentList"][0]["ItemFeeAdjustmentList"]
        }
        assert fees["Commission"] > 0 > fees["RefundCommission"] and -fees["RefundCommission"] < fees["Commission"]
    assert all("PostedDate" not in e for e in events["ServiceFeeEventList"])  # as the official model has it


async def test_fba_summaries_page_and_filter():
    sandbox = make_sandbox()
    us = MARKETPLACES[0].id
    base = {"granularityType": "Marketplace", "granularityId": us, "marketplaceIds": us}
    async with connect(sandbox) as api:
        summaries, token = [], None
        while True:
            params = {**base, "details": "true", **({"nextToken": token} if token else {})}
            body = (await api.get("/fba/inventory/v1/summaries", params=params)).json()
            summaries += body["payload"]["inventorySummaries"]
            if not (token := (body.get("pagination") or {}).get("nextToken")):
                break
        plain = (await api.get("/fba/inventory/v1/summaries", params=base)).json()["payload"]["inventorySummaries"]
        one = await api.get("/fba/inventory/v1/summaries", params={**base, "sellerSkus": summaries[3]["sellerSku"]})
        too_old = await api.get("/fba/inventory/v1/summaries", params={**base, "startDateTime": "2020-01-01T00:00:00Z"})
        mismatch = await api.get("/fba/inventory/v1/summaries", params={**base, "granularityId": MARKETPLACES[1].id})
    assert len(summaries) == len(sandbox.store.variants) and len({s["sellerSku"] for s in summaries}) == len(summaries)
    for s in summaries:
        d = s["inventoryDetails"]
        parts = [d["fulfillableQuantity"], d["inboundWorkingQuantity"], d["inboundShippedQuantity"]]
        parts += [d["inboundReceivingQuantity"], d["reservedQuantity"]["totalReservedQuantity"]]
        parts += [
            d["researchingQuantity"]["totalResearchingQuantity"],
            d["unfulfillableQuantity"]["totalUnfulfillableQuantity"],
        ]
        assert s["totalQuantity"] == sum(parts)
    assert all("inventoryDetails" not in s for s in plain)
    assert [s["sellerSku"] for s in one.json()["payload"]["inventorySummaries"]] == [summaries[3]["sellerSku"]]
    assert too_old.status_code == 400 and mismatch.status_code == 400


async def test_each_operation_has_its_own_bucket_and_says_its_plan():
    sandbox = make_sandbox()
    sandbox.injector.faults.rate_limits = True
    async with connect(sandbox) as api:
        answers = [await api.get("/orders/v0/orders", params=EVERYTHING) for _ in range(21)]
        assert [a.status_code for a in answers] == [200] * 20 + [429]
        throttled = answers[-1]
        assert throttled.json()["errors"][0]["code"] == "QuotaExceeded"
        assert throttled.headers["x-amzn-RateLimit-Limit"] == "0.0167" and "retry-after" not in throttled.headers
        other = await api.get("/sellers/v1/marketplaceParticipations")  # another operation, another bucket
        assert other.status_code == 200 and other.headers["x-amzn-RateLimit-Limit"] == "0.016"
        report = (await api.post("/_sandbox/rate-limits", json={"getOrders": {"rate": 50, "burst": 2}})).json()
        assert report["plans"]["getOrders"] == {"rate": 50.0, "burst": 2} and report["throttled"]["getOrders"] == 1
        assert (await api.get("/orders/v0/orders", params=EVERYTHING)).headers["x-amzn-RateLimit-Limit"] == "50"
        bad = await api.post("/_sandbox/rate-limits", json={"getNothing": {"rate": 1}})
        assert bad.status_code == 400
        await api.post("/_sandbox/faults", json={"fail_next": 1, "throttle_next": 1})
        assert (await api.get("/sellers/v1/marketplaceParticipations")).status_code == 429
        failed = await api.get("/sellers/v1/marketplaceParticipations")
        assert failed.status_code == 503 and failed.json()["errors"][0]["code"] == "ServiceUnavailable"
