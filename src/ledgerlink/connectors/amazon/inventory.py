"""FBA inventory (FBA Inventory API v1) -> canonical inventory levels, one per seller SKU at a virtual
location per marketplace (`fba:{marketplaceId}`): Amazon's fulfilment network is one place to the hub.

On hand is what Amazon can ship or has set aside for orders (fulfillable + reserved), reserved the
latter, so available is the fulfillable count. Units inbound, being researched or unfulfillable are
nobody's to sell and are left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from ledgerlink.canonical import records as rec
from ledgerlink.connectors.amazon.orders import sp_time
from ledgerlink.connectors.framework.parsing import utc_time
from ledgerlink.connectors.framework.window import SyncWindow

HISTORY = timedelta(days=540)  # startDateTime may reach back 18 months; a margin for the clock
MARKETPLACE = "_marketplace"  # the window filter naming the part of a read


def location_id(marketplace: str) -> str:
    return f"fba:{marketplace}"


def by_marketplace(marketplaces: list[str]) -> Any:
    def parts(window: SyncWindow) -> list[SyncWindow]:
        return [replace(window, filters={**window.filters, MARKETPLACE: m}) for m in marketplaces]

    return parts


def inventory_params(window: SyncWindow) -> dict[str, Any]:
    marketplace = window.filters[MARKETPLACE]
    args: dict[str, Any] = {
        "details": "true",
        "granularityType": "Marketplace",
        "granularityId": marketplace,
        "marketplaceIds": marketplace,
    }
    if window.since is not None and window.since > datetime.now(UTC) - HISTORY:
        args["startDateTime"] = sp_time(window.since)  # only what changed since (older: everything)
    return args


def summaries_of(body: Any) -> list[Any]:
    payload = body["payload"]
    marketplace = payload["granularity"]["granularityId"]
    return [
        {**s, "_location": location_id(marketplace), "_id": f"{s.get('sellerSku')}@{location_id(marketplace)}"}
        for s in payload["inventorySummaries"]
    ]


def _count(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{what} {value!r} is not a count")
    return value


def map_summary(summary: Mapping[str, Any]) -> rec.InventoryLevel:
    sku = summary.get("sellerSku")
    if not sku:
        raise ValueError("a summary without its seller SKU")
    details = summary.get("inventoryDetails")
    if not isinstance(details, Mapping):
        raise ValueError("a summary without inventoryDetails (asked for with details=true)")
    fulfillable = _count(details.get("fulfillableQuantity", 0), "fulfillableQuantity")
    reserved = _count((details.get("reservedQuantity") or {}).get("totalReservedQuantity", 0), "reserved")
    return rec.InventoryLevel(
        sku=str(sku),
        location_external_id=str(summary["_location"]),
        on_hand=fulfillable + reserved,
        reserved=reserved,
        updated_at=utc_time(summary.get("lastUpdatedTime")),
    )


def fba_location(marketplace: str) -> dict[str, Any]:
    return {"id": location_id(marketplace), "name": f"Amazon FBA ({marketplace})"}


def map_location(raw: Mapping[str, Any]) -> rec.Location:
    return rec.Location(external_id=str(raw["id"]), name=str(raw["name"]), kind="fulfillment_service")
