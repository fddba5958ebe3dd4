"""Amazon Selling Partner API: orders with their items, FBA inventory, and the fees in the seller's
financial events, read with a Login with Amazon access token and within each operation's usage plan.

Streams: `orders` (getOrders by LastUpdatedAfter, NextToken paging, each order completed with
getOrderItems), `locations` (a virtual FBA location per marketplace), `inventory` (FBA summaries per
marketplace), `fees` (listFinancialEvents in slices of under 180 days, then the service fees of closed
settlements -> balance entries of kind fee), `payouts` (closed financial event groups with their events
-> payouts with their items: settlements.py). Amazon keeps FBA stock itself: inventory is read, never
written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ledgerlink.connectors.amazon import fees, inventory, orders, settlements
from ledgerlink.connectors.amazon.credentials import AmazonCredentials
from ledgerlink.connectors.amazon.lwa import LwaAuth, LwaRefresher
from ledgerlink.connectors.amazon.operations import PUBLISHED, AmazonPolicy, OperationBudgets, Plan
from ledgerlink.connectors.amazon.order_mapper import map_order
from ledgerlink.connectors.amazon.paging import ChainedStream, NextTokenStream, PartedStream
from ledgerlink.connectors.framework.connector import Connector, InventoryChange, InventoryResult
from ledgerlink.connectors.framework.derived import FixedStream
from ledgerlink.connectors.framework.parsing import utc_time
from ledgerlink.connectors.framework.stream import RecordParts, Stream
from ledgerlink.errors import ConfigurationError
from ledgerlink.ratelimit import Limit
from ledgerlink.upstream.client import UpstreamClient
from ledgerlink.upstream.errors import UpstreamAuthFailed
from ledgerlink.upstream.policy import RetryPolicy
from ledgerlink.upstream.tokens import ReauthorisationNeeded

ENDPOINTS = {
    "na": "https://sellingpartnerapi-na.amazon.com",
    "eu": "https://sellingpartnerapi-eu.amazon.com",
    "fe": "https://sellingpartnerapi-fe.amazon.com",
}


def _settlement_stream(name: str, resource_type: str, records: RecordParts, **options: Any) -> PartedStream:
    """Closed financial event groups, each with its events, over the window in slices Finances takes."""
    return PartedStream(
        NextTokenStream(
            name=name,
            resource_type=resource_type,
            path=settlements.PATH,
            records=records,
            params=settlements.group_params,
            records_of=settlements.closed_groups,
            next_at="payload.NextToken",
            enrich=settlements.with_events,
            **options,
        ),
        settlements.group_slices,
    )


class AmazonConnector(Connector):
    provider = "amazon"
    stream_names = ("orders", "locations", "inventory", "fees", "payouts")
    # What the shared budget is made with when the integration's settings do not override it; each
    # operation then spends from its own plan (operations.py). A settings override replaces them all.
    default_limit: ClassVar[Limit | None] = Limit(rate=1, period=2, burst=30)
    # Amazon's published plans; an instance may be given others (a seller's raised usage plan, a test).
    plans: Mapping[str, Plan] = PUBLISHED

    def __init__(self, credentials: AmazonCredentials, **kwargs: Any) -> None:  # type: ignore[override]
        super().__init__(credentials, **kwargs)
        self.creds = credentials

    @property
    def base_url(self) -> str:
        return str(self.creds.apiBaseUrl or ENDPOINTS[self.creds.region]).rstrip("/")

    def client(self, retry: RetryPolicy | None = None) -> UpstreamClient:
        return UpstreamClient(
            base_url=self.base_url,
            headers={"User-Agent": "ledgerlink/1 (Language=Python)", "Accept": "application/json"},
            auth=LwaAuth(self.tokens, LwaRefresher(transport=self.transport)),
            budget=self.budget,
            budget_for=OperationBudgets(self.budget, self.plans, type(self).default_limit),
            policy=AmazonPolicy(),
            retry=retry or RetryPolicy(),
            transport=self.transport,
        )

    @property
    def streams(self) -> Mapping[str, Stream]:
        marketplaces = self.creds.marketplaces
        fee_records = RecordParts("_id", "PostedDate", utc_time, fees.map_fee_event)
        return {
            "orders": NextTokenStream(
                name="orders",
                resource_type="order",
                path="/orders/v0/orders",
                records=RecordParts("AmazonOrderId", "LastUpdateDate", utc_time, map_order),
                params=orders.order_params(marketplaces),
                records_of=orders.orders_of,
                next_at="payload.NextToken",
                enrich=orders.with_items,
            ),
            "locations": FixedStream(
                "locations",
                "location",
                tuple(inventory.fba_location(m) for m in marketplaces),
                RecordParts("id", None, utc_time, inventory.map_location),
            ),
            "inventory": PartedStream(
                NextTokenStream(
                    name="inventory",
                    resource_type="inventory_level",
                    path="/fba/inventory/v1/summaries",
                    records=RecordParts("_id", "lastUpdatedTime", utc_time, inventory.map_summary),
                    params=inventory.inventory_params,
                    records_of=inventory.summaries_of,
                    next_at="pagination.nextToken",
                    token_param="nextToken",
                ),
                inventory.by_marketplace(marketplaces),
            ),
            "fees": ChainedStream(
                (
                    PartedStream(
                        NextTokenStream(
                            name="fees",
                            resource_type="balance_entry",
                            path="/finances/v0/financialEvents",
                            records=fee_records,
                            params=fees.fee_params,
                            records_of=fees.fee_events,
                            next_at="payload.NextToken",
                        ),
                        fees.fee_slices,
                    ),
                    _settlement_stream("fees", "balance_entry", fee_records, expand=settlements.service_fees),
                )
            ),
            "payouts": _settlement_stream(
                "payouts",
                "payout",
                RecordParts("FinancialEventGroupId", "FinancialEventGroupStart", utc_time, settlements.map_settlement),
            ),
        }

    async def check(self, client: UpstreamClient) -> dict[str, Any]:
        """An access token from LWA, then the marketplaces the seller takes part in, which must include
        every marketplace the credentials name."""
        try:
            reply = await client.get("/sellers/v1/marketplaceParticipations")
        except ReauthorisationNeeded as exc:
            raise UpstreamAuthFailed(exc.message, upstream_status=exc.details.get("upstreamStatus")) from exc
        taking_part = {
            p["marketplace"]["id"]: p["marketplace"].get("defaultCurrencyCode")
            for p in (reply.data or {}).get("payload") or []
            if (p.get("participation") or {}).get("isParticipating")
        }
        missing = [m for m in self.creds.marketplaces if m not in taking_part]
        if missing:
            raise ConfigurationError(
                f"the seller does not sell on marketplace {', '.join(missing)}",
                {"marketplaces": missing, "participating": sorted(taking_part)},
            )
        return {
            "sellerId": self.creds.sellerId,
            "marketplaces": [{"id": m, "currency": taking_part[m]} for m in self.creds.marketplaces],
        }

    async def fetch_record(self, client: UpstreamClient, stream: str, external_id: str) -> Any | None:
        if stream != "orders":
            return None  # summaries, financial events and settlements are re-read by their streams
        return await orders.fetch_order(client, external_id)

    async def push_inventory(self, client: UpstreamClient, changes: list[InventoryChange]) -> list[InventoryResult]:
        return [
            InventoryResult(
                c.sku, c.location_external_id, False, error="Amazon holds FBA stock: it is read, never written"
            )
            for c in changes
        ]
