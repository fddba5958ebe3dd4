"""getOrders: its filters checked as SP-API checks them, and orders listed oldest first by the date the
request filters on, paged by a NextToken that holds the last (date, AmazonOrderId) of the page.

A key, not an offset: an order that changes while a client pages moves to the end of a
LastUpdatedAfter listing and is met again there, and nothing else shifts (an offset would skip one).
Dataset orders are generated in date order, so a listing scans from the first index that can match;
the few changed orders (the store's overlay) are merged in by their new dates.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.datastructures import QueryParams

from ledgerlink.sandbox.amazon import ids, paging
from ledgerlink.sandbox.amazon.errors import invalid
from ledgerlink.sandbox.amazon.orders import AmazonOrder, amazon_order, is_amazon, iso
from ledgerlink.sandbox.dataset import Store

STATUSES = (
    "PendingAvailability", "Pending", "Unshipped", "PartiallyShipped", "Shipped", "InvoiceUnconfirmed",
    "Canceled", "Unfulfillable",
)  # fmt: skip
CHANNELS = ("AFN", "MFN")
FILTERS = ("CreatedAfter", "CreatedBefore", "LastUpdatedAfter", "LastUpdatedBefore", "OrderStatuses",
           "MarketplaceIds", "FulfillmentChannels", "AmazonOrderIds")  # fmt: skip
PAGING = ("NextToken", "MaxResultsPerPage")
# Parameters of the official operation this sandbox does not filter on: refused, never silently ignored.
UNSUPPORTED = ("PaymentMethods", "BuyerEmail", "SellerOrderId", "EasyShipShipmentStatuses", "ElectronicInvoiceStatuses",
               "ActualFulfillmentSupplySourceId", "IsISPU", "StoreChainStoreId", "EarliestDeliveryDateBefore",
               "EarliestDeliveryDateAfter", "LatestDeliveryDateBefore", "LatestDeliveryDateAfter")  # fmt: skip
LATENCY = timedelta(minutes=2)  # "…Before" must be at least this long before the request


def parse_time(value: str, name: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise invalid(f"Invalid {name}: {value!r} is not an ISO 8601 date-time.") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def csv(query: QueryParams, name: str, allowed: tuple[str, ...] | None = None, most: int = 50) -> list[str]:
    values = [v.strip() for raw in query.getlist(name) for v in raw.split(",") if v.strip()]
    if len(values) > most:
        raise invalid(f"{name} takes at most {most} values.")
    bad = [v for v in values if allowed is not None and v not in allowed]
    if bad:
        raise invalid(f"Invalid {name}: {', '.join(bad)}.", f"Possible values: {', '.join(allowed or ())}")
    return values


def page_size(query: QueryParams, name: str = "MaxResultsPerPage", default: int = 100, most: int = 100) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    if not raw.strip().isdigit() or not 1 <= int(raw) <= most:
        raise invalid(f"{name} must be a whole number from 1 to {most}.")
    return int(raw)


def check_known(query: QueryParams, known: tuple[str, ...], unsupported: tuple[str, ...] = ()) -> None:
    for name in query:
        if name in unsupported:
            raise invalid(f"The sandbox does not filter on {name}.")
        if name not in known:
            raise invalid(f"{name} is not a parameter of this operation.")


def before_bound(query: QueryParams, name: str, after: datetime | None, now: datetime) -> datetime | None:
    raw = query.get(name)
    if raw is None:
        return None
    bound = parse_time(raw, name)
    if after is not None and bound < after:
        raise invalid(f"{name} must be after the matching …After date.")
    if bound > now - LATENCY:
        raise invalid(f"{name} must be at least two minutes before the time of the request.")
    return bound


@dataclass(frozen=True)
class OrdersQuery:
    by_update: bool  # LastUpdatedAfter (else CreatedAfter)
    after: datetime | None
    before: datetime | None
    marketplaces: frozenset[str]
    statuses: frozenset[str]
    channels: frozenset[str]
    order_ids: frozenset[str]
    size: int
    print: str

    @classmethod
    def parse(cls, query: QueryParams, participating: set[str], now: datetime) -> OrdersQuery:
        check_known(query, FILTERS + PAGING, UNSUPPORTED)
        marketplaces = csv(query, "MarketplaceIds")
        if not marketplaces:
            raise invalid("MarketplaceIds is required.")
        unknown = [m for m in marketplaces if m not in participating]
        if unknown:
            raise invalid(f"Invalid MarketplaceIds: {', '.join(unknown)}.", "The seller does not sell there.")
        created, updated = query.get("CreatedAfter"), query.get("LastUpdatedAfter")
        order_ids = csv(query, "AmazonOrderIds")
        if created is None and updated is None and not order_ids:
            raise invalid("Either CreatedAfter or LastUpdatedAfter must be given.")
        if created is not None and ("LastUpdatedAfter" in query or "LastUpdatedBefore" in query):
            raise invalid("LastUpdatedAfter and LastUpdatedBefore cannot be set when CreatedAfter is set.")
        if updated is not None and "CreatedBefore" in query:
            raise invalid("CreatedAfter or CreatedBefore cannot be set when LastUpdatedAfter is set.")
        by_update = updated is not None
        after = parse_time(updated if by_update else created, "…After") if (updated or created) else None
        before = before_bound(query, "LastUpdatedBefore" if by_update else "CreatedBefore", after, now)
        return cls(
            by_update=by_update,
            after=after,
            before=before,
            marketplaces=frozenset(marketplaces),
            statuses=frozenset(csv(query, "OrderStatuses", STATUSES)),
            channels=frozenset(csv(query, "FulfillmentChannels", CHANNELS)),
            order_ids=frozenset(order_ids),
            size=page_size(query),
            print=paging.fingerprint(query.multi_items(), PAGING),
        )

    def date(self, order: AmazonOrder) -> datetime:
        return order.updated_at if self.by_update else order.purchased_at

    def key(self, order: AmazonOrder) -> tuple[datetime, str]:
        return self.date(order), order.id

    def matches(self, order: AmazonOrder) -> bool:
        date = self.date(order)
        return (
            (self.after is None or date >= self.after)
            and (self.before is None or date <= self.before)
            and order.marketplace.id in self.marketplaces
            and (not self.statuses or order.status in self.statuses)
            and (not self.channels or order.channel in self.channels)
            and (not self.order_ids or order.id in self.order_ids)
        )


def _first_index(store: Store, query: OrdersQuery, since: datetime | None) -> int:
    if since is None:
        return 0
    if query.by_update:
        return store.index_updated_since(since)
    return max(0, math.ceil((since - store.start) / store.step))


def matching(store: Store, query: OrdersQuery, since: datetime | None) -> Iterator[AmazonOrder]:
    """Matching orders with a date from `since` on, in key order."""
    changed = {o.id - 100_000 for o in store.changed_orders()} if query.by_update else set()
    moved = [a for i in changed if (a := amazon_order(store, i)) is not None and query.matches(a)]
    moved.sort(key=query.key)

    def generated() -> Iterator[AmazonOrder]:
        for index in range(_first_index(store, query, since), store.orders_count):
            if index in changed or not is_amazon(store.seed, index):
                continue  # a changed order is listed by its new date, from `moved`
            order = amazon_order(store, index)
            assert order is not None
            if query.before is not None and query.date(order) > query.before:
                return  # generated dates only grow with the index: nothing further can match
            if query.matches(order):
                yield order

    return heapq.merge(moved, generated(), key=query.key)


def page(store: Store, query: OrdersQuery, token: str | None) -> tuple[list[AmazonOrder], str | None]:
    after_key: tuple[datetime, str] | None = None
    if token is not None:
        position = paging.decode(token, query.print)
        try:
            at, last_id = position
            after_key = (datetime.fromisoformat(at), str(last_id))
        except (TypeError, ValueError):
            raise invalid("Invalid NextToken.", "The NextToken is malformed or has expired.") from None
    since = after_key[0] if after_key else query.after
    found: list[AmazonOrder] = []
    for order in matching(store, query, since):
        if after_key is not None and query.key(order) <= after_key:
            continue
        if len(found) == query.size:
            last = query.key(found[-1])
            return found, paging.encode([last[0].isoformat(), last[1]], query.print)
        found.append(order)
    return found, None


def bound_field(query: OrdersQuery, now: datetime) -> dict[str, Any]:
    """`LastUpdatedBefore` / `CreatedBefore` of the answer: up to when the listing is complete."""
    name = "LastUpdatedBefore" if query.by_update else "CreatedBefore"
    return {name: iso(query.before or now)}


def lookup(store: Store, order_id: str) -> AmazonOrder | None:
    """The order an AmazonOrderId names (its middle group encodes the dataset index)."""
    index = ids.order_index(store.seed, order_id)
    if index is None or not 0 <= index < store.orders_count:
        return None
    order = amazon_order(store, index)
    return order if order is not None and order.id == order_id else None
