"""Amazon's fees, from its financial events (Finances API v0) -> canonical balance entries of kind fee.

Each event that carries fees becomes one entry in the seller's Amazon balance, keyed by its content
(financial events have no ids, and never change once posted): a ShipmentEvent's Commission and
FBA fulfilment fees for an order, a RefundEvent's fee adjustments (the commission credited back, less
the RefundCommission Amazon keeps), a ServiceFeeEvent's subscription or storage fee. The entry's
settlement is what the fees did to the balance (negative: taken), its fee lines what Amazon kept of
each fee type (positive: kept, negative: given back), its source the AmazonOrderId. Events of kinds
this mapping does not know are kept as records that fail to map, so they show in the run's errors.

Events that state no PostedDate (ServiceFeeEvents: the monthly subscription, storage fees) are passed
over by the dated read: with no date and no id, one month's fee cannot be told from the next one's,
and keying them by the read's window would count them again in every overlapping read. They are read
from the settlement (financial event group) they were billed in instead, keyed by the group and dated
by its close (settlements.py): the stream reads the dated events, then the closed groups' service fees.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from ledgerlink.canonical import payments as pay
from ledgerlink.canonical.money import to_minor
from ledgerlink.connectors.amazon.orders import EARLIEST, LATENCY, sp_time
from ledgerlink.connectors.amazon.paging import time_slices
from ledgerlink.connectors.framework.parsing import required_time
from ledgerlink.connectors.framework.window import SyncWindow

log = logging.getLogger(__name__)

SLICE = timedelta(days=175)  # Finances answers nothing for a range over 180 days; a margin for the clock
SHIPMENT_LISTS = ("ShipmentEventList", "RefundEventList", "GuaranteeClaimEventList", "ChargebackEventList")
FEE_LISTS = ("ShipmentFeeList", "ShipmentFeeAdjustmentList", "OrderFeeList", "OrderFeeAdjustmentList")
ITEM_FEE_LISTS = ("ItemFeeList", "ItemFeeAdjustmentList")


def finance_slices(window: SyncWindow, since: datetime) -> list[SyncWindow]:
    """[since, the window's end) in the spans Finances answers for (180 days at most)."""
    now = datetime.now(UTC)
    until = window.until if window.until is not None and window.until <= now - LATENCY else None
    return time_slices(window, since, until, now - LATENCY, SLICE)


def fee_slices(window: SyncWindow) -> list[SyncWindow]:
    return finance_slices(window, window.since or EARLIEST)


def range_params(window: SyncWindow, after: str, before: str) -> dict[str, Any]:
    """A Finances read of the window: its bounds under the operation's names, at most 100 a page."""
    args: dict[str, Any] = {
        after: sp_time(window.since or EARLIEST),
        "MaxResultsPerPage": min(max(window.page_size, 1), 100),
    }
    if window.until is not None:
        args[before] = sp_time(window.until)
    return args


def fee_params(window: SyncWindow) -> dict[str, Any]:
    return range_params(window, "PostedAfter", "PostedBefore")


def fee_components(event: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every fee of an event (each a FeeComponent: FeeType, FeeAmount), wherever its kind lists them."""
    for name in FEE_LISTS:
        yield from event.get(name) or ()
    for item in [*(event.get("ShipmentItemList") or ()), *(event.get("ShipmentItemAdjustmentList") or ())]:
        for name in ITEM_FEE_LISTS:
            yield from item.get(name) or ()
    yield from event.get("FeeList") or ()


def content_digest(event: Mapping[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(event, option=orjson.OPT_SORT_KEYS)).hexdigest()[:20]


def event_id(kind: str, event: Mapping[str, Any]) -> str:
    return f"{kind}:{event.get('AmazonOrderId') or '-'}:{event.get('PostedDate') or '-'}:{content_digest(event)}"


def fee_events(body: Any) -> list[Any]:
    """A page's dated events that carry fees, each tagged with its list (`_list`) and key (`_id`);
    events of unknown kinds are kept too, to fail visibly."""
    events = body["payload"].get("FinancialEvents") or {}
    found, undated = [], 0
    for name, listed in events.items():
        for event in listed or ():
            known = name in SHIPMENT_LISTS or name == "ServiceFeeEventList"
            if known and not any(True for _ in fee_components(event)):
                continue  # no fee in it: nothing for the fee ledger
            if not event.get("PostedDate"):
                undated += 1  # see the module's note: no date, no stable key
                continue
            found.append({**event, "_list": name, "_id": event_id(name.removesuffix("List"), event)})
    if undated:
        log.info("financial events without a PostedDate left to their settlement", extra={"count": undated})
    return found


def map_fee_event(raw: Mapping[str, Any]) -> pay.BalanceEntry:
    kind = str(raw["_list"])
    if kind not in SHIPMENT_LISTS and kind != "ServiceFeeEventList":
        raise ValueError(f"{kind}: a kind of financial event this build does not map")
    by_type: dict[str, int] = {}
    currency: str | None = None
    for fee in fee_components(raw):
        amount = fee["FeeAmount"]
        code = str(amount["CurrencyCode"]).upper()
        if currency not in (None, code):
            raise ValueError(f"fees in {currency} and {code} in one event")
        currency = code
        moved = to_minor(amount["CurrencyAmount"], code, exact=True)
        by_type[str(fee["FeeType"])] = by_type.get(str(fee["FeeType"]), 0) + moved
    if currency is None:
        raise ValueError("an event without fees")
    moved_total = sum(by_type.values())  # negative: taken from the balance
    posted = raw.get("PostedDate") or raw.get("_posted")  # `_posted`: its settlement's close (undated)
    order = raw.get("AmazonOrderId") or None
    upstream = kind.removesuffix("List")
    return pay.BalanceEntry(
        external_id=str(raw["_id"]),
        kind="fee",
        upstream_type=upstream,
        category="marketplace_fee",
        occurred_at=required_time(posted),
        source_external_id=order,
        description=raw.get("FeeDescription") or f"Amazon {upstream} fees" + (f" for order {order}" if order else ""),
        settlement=pay.Settlement(
            external_id=str(raw["_id"]),
            amount=moved_total,
            fee=0,
            net=moved_total,
            currency=currency,
            fee_lines=tuple(
                pay.FeeLine(kind=fee_type, amount=-moved, currency=currency) for fee_type, moved in by_type.items()
            ),
        ),
    )
