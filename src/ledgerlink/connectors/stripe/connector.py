"""Stripe: charges (with their balance transaction's fee and net), refunds, disputes, balance
transactions and payouts (with what each one paid out), read from Stripe's list endpoints.

Requests are pinned to API version 2023-08-16 with `Stripe-Version`, the version of the OpenAPI
description they and the answers are checked against, so an account upgraded in Stripe's dashboard
does not change what the mappers read. Lists are newest first and paged by `starting_after`; a sync
window bounds the objects' creation time (`created[gte]`/`created[lte]`), the only time Stripe's lists
filter on. Changes to older objects (a refund on last month's charge) arrive as the refund itself, or
through webhooks and `fetch_record`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from ledgerlink.connectors.framework.connector import Connector, InventoryChange, InventoryResult
from ledgerlink.connectors.framework.cursor import CursorStream
from ledgerlink.connectors.framework.stream import RecordParts, Stream
from ledgerlink.connectors.framework.window import SyncWindow
from ledgerlink.connectors.stripe import mappers
from ledgerlink.connectors.stripe.credentials import StripeCredentials
from ledgerlink.connectors.stripe.policy import StripePolicy
from ledgerlink.ratelimit import Limit
from ledgerlink.upstream.client import UpstreamClient
from ledgerlink.upstream.errors import UpstreamRejected
from ledgerlink.upstream.policy import RetryPolicy

API_BASE = "https://api.stripe.com"
API_VERSION = "2023-08-16"
EXPAND_SETTLEMENT = {"expand[]": ["data.balance_transaction"]}


def _unix(moment: datetime) -> int:
    return int(moment.timestamp())


def _listing(name: str, resource_type: str, path: str, mapper: Any, **options: Any) -> CursorStream:
    """A Stripe list: newest first, `starting_after` paging, the window on `created`."""
    return CursorStream(
        name=name,
        resource_type=resource_type,
        path=path,
        records=RecordParts("id", "created", mappers.optional_unix_time, mapper),
        since_param="created[gte]",
        until_param="created[lte]",
        format_time=_unix,
        newest_first=True,  # so the cursor moves only when a run succeeds (engine)
        updated_at_is_version=False,  # `created` is all Stripe objects carry: no copy is "stale"
        **options,
    )


async def _with_contents(client: UpstreamClient, payout: dict[str, Any]) -> dict[str, Any]:
    """An automatic payout with the balance transactions it paid out (Stripe lists them for those only)."""
    if not payout.get("automatic"):
        return payout
    contents = _listing(
        "payout_contents",
        "balance_entry",
        "/balance_transactions",
        mappers.map_balance_transaction,
        static_params={"payout": payout["id"]},
    )
    return {**payout, "_balance_transactions": await contents.read_all(client, SyncWindow(page_size=100))}


async def _retrieve(client: UpstreamClient, path: str, object_id: str, params: dict[str, Any]) -> Any | None:
    """GET one object; None when Stripe has no such object."""
    try:
        return (await client.get(path.format(object_id), **params)).data
    except UpstreamRejected as exc:
        if exc.upstream_status == 404:
            return None
        raise


# stream -> (retrieve path, its expansions, enrichment)
RETRIEVE: dict[str, tuple[str, dict[str, Any], Any]] = {
    "payments": ("/charges/{}", {"expand[]": ["balance_transaction"]}, None),
    "refunds": ("/refunds/{}", {"expand[]": ["balance_transaction"]}, None),
    "disputes": ("/disputes/{}", {}, None),
    "balance_transactions": ("/balance_transactions/{}", {}, None),
    "payouts": ("/payouts/{}", {}, _with_contents),
}


class StripeConnector(Connector):
    provider = "stripe"
    stream_names = ("payments", "refunds", "disputes", "balance_transactions", "payouts")
    # Stripe's read limit is 100 a second in live mode and 25 in test mode; a background sync keeps to
    # the lower, leaving live traffic its headroom (`settings.rateLimit` raises it).
    default_limit: ClassVar[Limit | None] = Limit(rate=25, period=1, burst=25)

    def __init__(self, credentials: StripeCredentials, **kwargs: Any) -> None:  # type: ignore[override]
        super().__init__(credentials, **kwargs)
        self.creds = credentials

    @property
    def base_url(self) -> str:
        return str(self.creds.apiBaseUrl or API_BASE).rstrip("/") + "/v1"

    def client(self, retry: RetryPolicy | None = None) -> UpstreamClient:
        return UpstreamClient(
            base_url=self.base_url,
            headers={
                "Authorization": f"Bearer {self.creds.secretKey.get_secret_value()}",
                "Stripe-Version": API_VERSION,
                "User-Agent": "ledgerlink",
            },
            budget=self.budget,
            policy=StripePolicy(),
            retry=retry or RetryPolicy(),
            transport=self.transport,
        )

    @property
    def streams(self) -> Mapping[str, Stream]:
        return {
            "payments": _listing(
                "payments", "payment", "/charges", mappers.map_charge, static_params=EXPAND_SETTLEMENT
            ),
            "refunds": _listing(
                "refunds", "payment_refund", "/refunds", mappers.map_refund, static_params=EXPAND_SETTLEMENT
            ),
            "disputes": _listing("disputes", "chargeback", "/disputes", mappers.map_dispute),
            "balance_transactions": _listing(
                "balance_transactions", "balance_entry", "/balance_transactions", mappers.map_balance_transaction
            ),
            "payouts": _listing("payouts", "payout", "/payouts", mappers.map_payout, enrich=_with_contents),
        }

    async def check(self, client: UpstreamClient) -> dict[str, Any]:
        """The balance: readable by every secret key and by restricted keys allowed to read balances."""
        balance = (await client.get("/balance")).data or {}
        available = balance.get("available") or []
        return {
            "livemode": bool(balance.get("livemode")),
            "currencies": sorted({str(a.get("currency", "")).upper() for a in available if a.get("currency")}),
        }

    async def fetch_record(self, client: UpstreamClient, stream: str, external_id: str) -> Any | None:
        """One object in full. A PaymentIntent's id (its events name payments by it) stands for its latest charge."""
        if stream not in RETRIEVE:
            return None
        if stream == "payments" and external_id.startswith("pi_"):
            intent = await _retrieve(client, "/payment_intents/{}", external_id, {})
            charge = (intent or {}).get("latest_charge")
            if not isinstance(charge, str):
                return None
            external_id = charge
        path, expansions, enrich = RETRIEVE[stream]
        found = await _retrieve(client, path, external_id, expansions)
        return await enrich(client, found) if enrich and found is not None else found

    async def push_inventory(self, client: UpstreamClient, changes: list[InventoryChange]) -> list[InventoryResult]:
        return [
            InventoryResult(c.sku, c.location_external_id, False, error="Stripe holds no inventory") for c in changes
        ]
