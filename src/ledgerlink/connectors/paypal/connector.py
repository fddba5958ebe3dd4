"""PayPal: every balance movement of the account (payments, refunds, chargebacks, fees, withdrawals)
from the Transaction Search (reporting) API, and the disputes behind chargebacks from the Disputes
API, as canonical payment records.

The search lists every kind of movement together; the streams are the payment streams the hub
stores (`payments`, `refunds`, `disputes`, `balance_transactions`, as Stripe's): all but disputes
are the same walk over 31-day windows (search.py) keeping its kind by event code (mappers.py);
disputes are read from the Disputes API (disputes.py), which knows the case (and the dispute id
webhooks name) where reporting has only the money. The app's client
credentials buy the bearer token every request carries (auth.py). PayPal's answers
need nothing beyond the default table: 429 waits (`Retry-After` when sent, else backoff), 5xx and
timeouts retry, 401/403 are AUTH_FAILED (after one retry with a refreshed token).

The reporting API lists a transaction up to three hours after it happened, so a record asked for
by id (`fetch_record`, for a webhook about a capture or refund) may not be there yet: it is then
None, and the next incremental sync (which reads from three hours before its cursor) finds it.

Inbound webhooks are checked offline on receipt (webhooks.py) and confirmed with PayPal's
verify-webhook-signature API before processing acts on them (`confirm_webhook`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import orjson

from ledgerlink.connectors.framework.connector import Connector, InventoryChange, InventoryResult
from ledgerlink.connectors.framework.parsing import utc_time
from ledgerlink.connectors.framework.stream import RecordParts, Stream
from ledgerlink.connectors.framework.webhooks import header
from ledgerlink.connectors.paypal import mappers
from ledgerlink.connectors.paypal.auth import BearerAuth, TokenRequest, api_base
from ledgerlink.connectors.paypal.credentials import PayPalCredentials
from ledgerlink.connectors.paypal.disputes import DisputeStream, read_dispute
from ledgerlink.connectors.paypal.search import SECOND, SPAN, SearchStream, paypal_time
from ledgerlink.errors import ConfigurationError
from ledgerlink.ratelimit import Limit
from ledgerlink.upstream.client import UpstreamClient
from ledgerlink.upstream.errors import UpstreamAuthFailed
from ledgerlink.upstream.policy import ResponsePolicy, RetryPolicy
from ledgerlink.upstream.tokens import ReauthorisationNeeded

SEARCH = "/v1/reporting/transactions"
VERIFY = "/v1/notifications/verify-webhook-signature"
FETCH_WINDOWS = 3  # how far back a record asked for by id is looked for: three 31-day windows
TRANSMISSION_HEADERS = {
    "auth_algo": "PAYPAL-AUTH-ALGO",
    "cert_url": "PAYPAL-CERT-URL",
    "transmission_id": "PAYPAL-TRANSMISSION-ID",
    "transmission_sig": "PAYPAL-TRANSMISSION-SIG",
    "transmission_time": "PAYPAL-TRANSMISSION-TIME",
}


def _kind(*kinds: str | None) -> Callable[[Any], bool]:
    return lambda detail: mappers.kind_of(detail) in kinds


# stream -> (resource type, mapper, which transactions, search filters). A record whose kind cannot be
# told goes to payments, where it fails as an item error instead of vanishing.
STREAMS: dict[str, tuple[str, Callable[[Any], Any], Callable[[Any], bool] | None, dict[str, str]]] = {
    "payments": ("payment", mappers.map_payment, _kind("payment", None), {}),
    "refunds": ("payment_refund", mappers.map_refund, _kind("refund"), {}),
    "balance_transactions": ("balance_entry", mappers.map_balance_entry, None, {}),
}


def _now() -> datetime:
    return datetime.now(UTC)


class PayPalConnector(Connector):
    provider = "paypal"
    stream_names = ("payments", "refunds", "disputes", "balance_transactions")
    # PayPal publishes no figure for its REST APIs; a background sync keeps to a modest pace
    # (`settings.rateLimit` changes it) and waits out any 429 it meets.
    default_limit: ClassVar[Limit | None] = Limit(rate=10, period=1, burst=10)

    def __init__(self, credentials: PayPalCredentials, **kwargs: Any) -> None:  # type: ignore[override]
        super().__init__(credentials, **kwargs)
        self.creds = credentials
        self.clock: Callable[[], datetime] = _now  # "now" for searches that end now (tests move it)

    @property
    def base_url(self) -> str:
        return api_base(self.creds.plain())

    def client(self, retry: RetryPolicy | None = None) -> UpstreamClient:
        client = UpstreamClient(
            base_url=self.base_url,
            headers={"Accept": "application/json", "User-Agent": "ledgerlink"},
            budget=self.budget,
            policy=ResponsePolicy(),
            retry=retry or RetryPolicy(),
            transport=self.transport,
        )
        client.auth = BearerAuth(self, TokenRequest(client))  # its token requests go through the client's HTTP
        return client

    @property
    def streams(self) -> Mapping[str, Stream]:
        searched: dict[str, Stream] = {
            name: SearchStream(
                name=name,
                resource_type=resource_type,
                path=SEARCH,
                records=RecordParts(
                    "transaction_info.transaction_id", "transaction_info.transaction_updated_date", utc_time, mapper
                ),
                keep=keep,
                static_params=params,
                clock=self.clock,
            )
            for name, (resource_type, mapper, keep, params) in STREAMS.items()
        }
        every = {**searched, "disputes": DisputeStream()}
        return {name: every[name] for name in self.stream_names}

    async def check(self, client: UpstreamClient) -> dict[str, Any]:
        """A token, then the last day's transactions (one): proves the app may search transactions."""
        now = self.clock()
        try:
            reply = await client.get(
                SEARCH,
                start_date=paypal_time(now - timedelta(days=1)),
                end_date=paypal_time(now),
                fields="transaction_info",
                page_size=1,
            )
        except ReauthorisationNeeded as exc:
            raise UpstreamAuthFailed(exc.message, upstream_status=401) from exc
        except UpstreamAuthFailed as exc:
            if exc.upstream_status == 403:
                raise UpstreamAuthFailed(
                    "PayPal refused the transaction search: the REST app needs the Transaction Search permission",
                    upstream_status=403,
                ) from exc
            raise
        body = reply.data if isinstance(reply.data, dict) else {}
        return {
            "environment": self.creds.environment,
            "transactionsLastDay": body.get("total_items"),
            "lastRefreshed": body.get("last_refreshed_datetime"),
        }

    async def fetch_record(self, client: UpstreamClient, stream: str, external_id: str) -> Any | None:
        """A dispute by its id; else one transaction of the stream's kind by its id, from the last three
        31-day windows (newest first). None when not (yet) listed, or of another kind."""
        if stream == "disputes":
            return await read_dispute(client, external_id)
        found = self.streams.get(stream)
        if not isinstance(found, SearchStream):
            return None
        end = self.clock().replace(microsecond=0)
        for _ in range(FETCH_WINDOWS):
            start = end - SPAN + SECOND
            reply = await client.get(
                SEARCH,
                transaction_id=external_id,
                start_date=paypal_time(start),
                end_date=paypal_time(end),
                fields="transaction_info,payer_info,cart_info",
            )
            for detail in (reply.data or {}).get("transaction_details") or []:
                if (detail.get("transaction_info") or {}).get("transaction_id") == external_id:
                    return detail if found.keep is None or found.keep(detail) else None
            end = start - SECOND
        return None

    async def verify_webhook(self, client: UpstreamClient, headers: Mapping[str, str], body: bytes) -> bool:
        """PayPal's own verdict on a delivery (`POST /v1/notifications/verify-webhook-signature`): the
        full check the offline one (webhooks.py) cannot make without PayPal's certificate."""
        if not self.creds.webhookId:
            raise ConfigurationError("set webhookId to verify PayPal webhooks", {"provider": "paypal"})
        request: dict[str, Any] = {name: header(headers, wanted) or "" for name, wanted in TRANSMISSION_HEADERS.items()}
        request["webhook_id"] = self.creds.webhookId
        request["webhook_event"] = orjson.loads(body)
        reply = await client.request("POST", VERIFY, json=request)
        return isinstance(reply.data, dict) and reply.data.get("verification_status") == "SUCCESS"

    async def confirm_webhook(self, client: UpstreamClient, headers: Mapping[str, str], body: bytes) -> bool:
        return await self.verify_webhook(client, headers, body)

    async def push_inventory(self, client: UpstreamClient, changes: list[InventoryChange]) -> list[InventoryResult]:
        return [
            InventoryResult(c.sku, c.location_external_id, False, error="PayPal holds no inventory") for c in changes
        ]
