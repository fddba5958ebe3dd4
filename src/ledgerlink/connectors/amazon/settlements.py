"""Amazon's settlements (Finances API v0 financial event groups) -> canonical payouts with their items,
the shape a Stripe payout has (canonical/payments.py), so they load, post and reconcile as payouts do.

A group is read once Amazon has closed it (ProcessingStatus `Closed`): an open group's total is only a
running balance. Its financial events (listFinancialEventsByGroupId, every page) become the payout's
items, one per event: its charges, promotions and withheld taxes as the gross (`amount`), what Amazon
kept in fees as `fee`, their sum as `net`, and the AmazonOrderId as source. The payout is the group's
OriginalTotal in its currency, dated when the funds were transferred, `paid` once FundTransferStatus
says the transfer succeeded. A BeginningBalance carried into the group is an item of its own, so the
items add up to the total. A group that charged the seller (fees over sales: a negative total) is a
payout that debits the bank.

Item keys: a dated event is keyed as the fee stream keys it (fees.event_id), so its recorded fees are
found by the same id; an undated event (a ServiceFeeEvent) by its group and content, so reading the
group again, or a window that overlaps, keys it the same. The fee stream records those service fees
from here too (`service_fees`): they exist nowhere else.

Groups are listed by when they opened. A group stays open for its settlement period (14 days, at
times longer), so a read from `since` asks for groups opened GROUP_LOOKBACK before it: those that have
closed since the last read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from ledgerlink.canonical import payments as pay
from ledgerlink.canonical.money import to_minor
from ledgerlink.connectors.amazon import fees
from ledgerlink.connectors.amazon.orders import EARLIEST
from ledgerlink.connectors.framework.parsing import required_time
from ledgerlink.connectors.framework.window import SyncWindow
from ledgerlink.upstream.client import UpstreamClient

GROUP_LOOKBACK = timedelta(days=30)
PATH = "/finances/v0/financialEventGroups"
# FundTransferStatus -> the payout's status (no other value is known to us: it fails to map)
TRANSFER: dict[str, pay.PayoutStatus] = {
    "Succeeded": "paid",
    "Processing": "in_transit",
    "Initiated": "in_transit",
    "Failed": "failed",
    "Unknown": "pending",
}
# The event lists a settlement is read from, and the kind of movement each is.
ITEM_KINDS: dict[str, pay.EntryKind] = {
    "ShipmentEventList": "charge",
    "RefundEventList": "refund",
    "GuaranteeClaimEventList": "chargeback",
    "ChargebackEventList": "chargeback",
    "ServiceFeeEventList": "fee",
}
# Where the money that is not a fee is, in those events: (list, its amount's key).
ORDER_CHARGES = (("OrderChargeList", "ChargeAmount"), ("OrderChargeAdjustmentList", "ChargeAmount"),
                 ("DirectPaymentList", "DirectPaymentAmount"))  # fmt: skip
ITEM_CHARGES = (("ItemChargeList", "ChargeAmount"), ("ItemChargeAdjustmentList", "ChargeAmount"),
                ("PromotionList", "PromotionAmount"), ("PromotionAdjustmentList", "PromotionAmount"))  # fmt: skip
SERVICE_FEES = "ServiceFeeEventList"


def group_slices(window: SyncWindow) -> list[SyncWindow]:
    since = window.since - GROUP_LOOKBACK if window.since is not None else EARLIEST
    return fees.finance_slices(window, max(since, EARLIEST))


def group_params(window: SyncWindow) -> dict[str, Any]:
    return fees.range_params(window, "FinancialEventGroupStartedAfter", "FinancialEventGroupStartedBefore")


def closed_groups(body: Any) -> list[Any]:
    groups = body["payload"].get("FinancialEventGroupList") or []
    return [g for g in groups if g.get("ProcessingStatus") == "Closed"]


def keyed_events(group_id: str, pages: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each event of the group tagged with its list (`_list`) and key (`_id`)."""
    seen: Counter[str] = Counter()
    keyed = []
    for lists in pages:
        for name, listed in lists.items():
            kind = name.removesuffix("List")
            for event in listed or ():
                if event.get("PostedDate"):
                    key = fees.event_id(kind, event)
                else:  # the same content twice in one group: the second is another fee
                    base = f"{kind}:{group_id}:{fees.content_digest(event)}"
                    seen[base] += 1
                    key = base if seen[base] == 1 else f"{base}:{seen[base]}"
                keyed.append({**event, "_list": name, "_id": key})
    return keyed


async def with_events(client: UpstreamClient, group: dict[str, Any]) -> dict[str, Any]:
    """The group with every one of its financial events (`_events`), page after page."""
    group_id = group.get("FinancialEventGroupId")
    if not isinstance(group_id, str) or not group_id:
        return group  # the mapper says what is wrong with it
    pages: list[Mapping[str, Any]] = []
    token: str | None = None
    while True:
        params: dict[str, Any] = {"MaxResultsPerPage": 100, **({"NextToken": token} if token else {})}
        reply = await client.get(f"{PATH}/{quote(group_id, safe='')}/financialEvents", **params)
        payload = (reply.data or {}).get("payload") or {}
        pages.append(payload.get("FinancialEvents") or {})
        token = payload.get("NextToken")
        if not token:
            return {**group, "_events": keyed_events(group_id, pages)}


def service_fees(groups: list[Any]) -> list[Any]:
    """The fee stream's records from closed groups: their service fees, dated by the group's close."""
    return [
        {**event, "_posted": group.get("FinancialEventGroupEnd"), "_group": group["FinancialEventGroupId"]}
        for group in groups
        for event in group.get("_events") or ()
        if event["_list"] == SERVICE_FEES and any(True for _ in fees.fee_components(event))
    ]


def _amounts(event: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """("charge" | "fee", Currency) for every amount that moved the balance."""
    for name, key in ORDER_CHARGES:
        for charge in event.get(name) or ():
            yield "charge", charge[key]
    for item in [*(event.get("ShipmentItemList") or ()), *(event.get("ShipmentItemAdjustmentList") or ())]:
        for name, key in ITEM_CHARGES:
            for charge in item.get(name) or ():
                yield "charge", charge[key]
        for withheld in item.get("ItemTaxWithheldList") or ():
            for charge in withheld.get("TaxesWithheld") or ():
                yield "charge", charge["ChargeAmount"]
    for fee in fees.fee_components(event):
        yield "fee", fee["FeeAmount"]


def _item(event: Mapping[str, Any], currency: str) -> pay.PayoutItem:
    name = str(event["_list"])
    if name not in ITEM_KINDS:
        raise ValueError(f"{name}: a kind of financial event this build does not read into a settlement")
    moved = {"charge": 0, "fee": 0}
    for part, amount in _amounts(event):
        code = str(amount["CurrencyCode"]).upper()
        if code != currency:
            raise ValueError(f"an event {event['_id']} in {code} in a settlement in {currency}")
        moved[part] += to_minor(amount["CurrencyAmount"], code, exact=True)
    return pay.PayoutItem(
        external_id=str(event["_id"]),
        kind=ITEM_KINDS[name],
        source_external_id=event.get("AmazonOrderId") or None,
        amount=moved["charge"],
        fee=-moved["fee"],  # what Amazon kept: positive
        net=moved["charge"] + moved["fee"],
        currency=currency,
    )


def _minor(value: Mapping[str, Any], currency: str) -> int:
    code = str(value["CurrencyCode"]).upper()
    if code != currency:
        raise ValueError(f"an amount in {code} in a settlement in {currency}")
    return to_minor(value["CurrencyAmount"], code, exact=True)


def map_settlement(group: Mapping[str, Any]) -> pay.Payout:
    group_id = str(group["FinancialEventGroupId"])
    if group.get("ProcessingStatus") != "Closed":
        raise ValueError(f"settlement {group_id} is not closed: its total is a running balance")
    if "_events" not in group:
        raise ValueError(f"settlement {group_id} was read without its events")
    total = group["OriginalTotal"]
    currency = str(total["CurrencyCode"]).upper()
    amount = _minor(total, currency)
    items = [_item(event, currency) for event in group["_events"]]
    beginning = _minor(group["BeginningBalance"], currency) if group.get("BeginningBalance") else 0
    if beginning:
        items.append(
            pay.PayoutItem(
                external_id=f"{group_id}:BeginningBalance",
                kind="adjustment",
                amount=beginning,
                fee=0,
                net=beginning,
                currency=currency,
            )
        )
    transfer = group.get("FundTransferStatus")
    if transfer is not None and transfer not in TRANSFER:
        raise ValueError(f"settlement {group_id}: FundTransferStatus {transfer!r} is not one this build knows")
    return pay.Payout(
        external_id=group_id,
        status=TRANSFER[transfer] if transfer is not None else "pending",
        amount=amount,
        currency=currency,
        occurred_at=required_time(group.get("FundTransferDate") or group["FinancialEventGroupEnd"]),
        automatic=True,
        destination_external_id=group.get("AccountTail") or None,
        items=tuple(items),
    )
