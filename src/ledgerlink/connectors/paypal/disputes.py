"""PayPal disputes from the Disputes API (`/v1/customer/disputes`), as canonical chargebacks.

Transaction Search lists a chargeback's money (T1201, won back as T1202) but nothing of the case:
its reason, where it stands, when the merchant must answer, how it ended, and not the dispute id
`CUSTOMER.DISPUTE.*` webhooks name. The Disputes API has all of it, so the `disputes` stream reads
it: the list gives summaries (newest created first, at most 50 a page, the next page by the
`next_page_token` of its `next` link), and each dispute's detail gives the disputed transaction (the
payment the chargeback is linked to) and the money movements. Details are read concurrently, a page
at a time. The sync window bounds the disputes' update time (`update_time_after`/`…_before`): PayPal
lists the last 180 days by default and refuses older bounds (its 400 says so), which is what a first
sync without a window reads.

A dispute's settlements are its movements of the merchant's balance: the disputed amount withdrawn
(a SELLER DEBIT of reason DISPUTE_SETTLEMENT) and, when won, reinstated (a CREDIT). Its fees
(CHARGEBACK_FEE and the like) are left out: Transaction Search lists each as a fee of its own
(T0106), which the balance ledger records and counts; counting them here too would count them twice.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ledgerlink.canonical import payments as pay
from ledgerlink.connectors.framework.parsing import required_time, utc_time
from ledgerlink.connectors.framework.stream import Page
from ledgerlink.connectors.framework.window import SyncWindow
from ledgerlink.connectors.paypal.mappers import minor
from ledgerlink.upstream.client import UpstreamClient
from ledgerlink.upstream.errors import UpstreamMalformed, UpstreamRejected

LIST = "/v1/customer/disputes"
DETAIL = "/v1/customer/disputes/{}"
MAX_PAGE = 50
DISPUTE_ID = re.compile(r"[A-Za-z0-9-]{1,255}")  # the description's pattern
DETAIL_CONCURRENCY = 8
SETTLEMENT = "DISPUTE_SETTLEMENT"
OUTCOMES: dict[str, pay.ChargebackStatus] = {
    "RESOLVED_SELLER_FAVOUR": "won",
    "DENIED": "won",  # the buyer's claim denied
    "RESOLVED_BUYER_FAVOUR": "lost",
    "ACCEPTED": "lost",  # the merchant accepted the claim
    "RESOLVED_WITH_PAYOUT": "closed",  # PayPal paid the buyer itself
    "CANCELED_BY_BUYER": "closed",
    "NONE": "closed",
}
NEEDS_RESPONSE = frozenset({"OPEN", "WAITING_FOR_SELLER_RESPONSE"})


def paypal_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _status(dispute: Mapping[str, Any]) -> pay.ChargebackStatus:
    status = dispute.get("status")
    if status == "RESOLVED":
        outcome = (dispute.get("dispute_outcome") or {}).get("outcome_code") or "NONE"
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown dispute outcome {outcome!r:.40}")
        return OUTCOMES[outcome]
    if dispute.get("dispute_life_cycle_stage") == "INQUIRY":
        return "inquiry"
    return "needs_response" if status in NEEDS_RESPONSE else "under_review"


def _payment(dispute: Mapping[str, Any]) -> str:
    for txn in dispute.get("disputed_transactions") or ():
        if isinstance(txn, Mapping) and txn.get("seller_transaction_id"):
            return str(txn["seller_transaction_id"])
    raise ValueError("a dispute without the payment it disputes (disputed_transactions[].seller_transaction_id)")


def _settlements(dispute_id: str, dispute: Mapping[str, Any]) -> tuple[pay.Settlement, ...]:
    """The disputed money leaving the merchant's balance and coming back, in PayPal's order."""
    found = []
    for number, move in enumerate(dispute.get("money_movements") or (), start=1):
        if move.get("affected_party") != "SELLER" or move.get("reason") != SETTLEMENT:
            continue
        amount, currency = minor(move["amount"])
        signed = -abs(amount) if move["type"] == "DEBIT" else abs(amount)
        found.append(
            pay.Settlement(
                external_id=f"{dispute_id}-{number}",
                amount=signed,
                fee=0,
                net=signed,
                currency=currency,
                available_at=utc_time(move.get("initiated_time")),
            )
        )
    return tuple(found)


def map_dispute(dispute: Mapping[str, Any]) -> pay.Chargeback:
    dispute_id = str(dispute["dispute_id"])
    amount, currency = minor(dispute["dispute_amount"])
    stage = dispute.get("dispute_life_cycle_stage")
    return pay.Chargeback(
        external_id=dispute_id,
        payment_external_id=_payment(dispute),
        status=_status(dispute),
        upstream_status=f"{dispute.get('status')}/{stage}" if stage else str(dispute.get("status")),
        amount=abs(amount),
        currency=currency,
        reason=str(dispute["reason"]) if dispute.get("reason") else None,
        occurred_at=required_time(dispute["create_time"]),
        evidence_due_at=utc_time(dispute.get("seller_response_due_date")),
        settlements=_settlements(dispute_id, dispute),
    )


def next_page_token(links: Any) -> str | None:
    """The `next_page_token` of the answer's `next` link; None on the last page."""
    for link in links if isinstance(links, list) else ():
        if isinstance(link, Mapping) and link.get("rel") == "next" and isinstance(link.get("href"), str):
            found = parse_qs(urlsplit(link["href"]).query).get("next_page_token")
            if not found:
                raise UpstreamMalformed(f"GET {LIST}: a next link without next_page_token", upstream_status=200)
            return found[0]
    return None


async def read_dispute(client: UpstreamClient, dispute_id: str) -> dict[str, Any] | None:
    """One dispute in full; None when PayPal has no such dispute (nor could have: not an id)."""
    if not DISPUTE_ID.fullmatch(dispute_id):
        return None
    try:
        reply = await client.get(DETAIL.format(dispute_id))
    except UpstreamRejected as exc:
        if exc.upstream_status == 404:
            return None
        raise
    if not isinstance(reply.data, dict) or not reply.data.get("dispute_id"):
        raise UpstreamMalformed(f"GET {DETAIL.format(dispute_id)}: not a dispute", upstream_status=200)
    return reply.data


@dataclass(frozen=True)
class DisputeStream:
    name: str = "disputes"
    resource_type: str = "chargeback"
    cursor_on_success_only: bool = True  # listed newest first

    def external_id(self, raw: Any) -> str:
        return str(raw["dispute_id"])

    def updated_at(self, raw: Any) -> datetime | None:
        try:
            return utc_time(raw.get("update_time"))
        except ValueError:
            return None

    def map(self, raw: Any) -> pay.Chargeback:
        return map_dispute(raw)

    async def read_page(self, client: UpstreamClient, window: SyncWindow, token: dict[str, Any] | None) -> Page:
        token = token or {
            "after": paypal_time(window.since) if window.since else None,
            "before": paypal_time(window.until) if window.until else None,
            "page": None,
        }
        params = {
            "update_time_after": token["after"],
            "update_time_before": token["before"],
            "page_size": min(window.page_size, MAX_PAGE),
            "next_page_token": token["page"],
        }
        reply = await client.get(LIST, **{k: v for k, v in params.items() if v is not None})
        body = reply.data if isinstance(reply.data, dict) else None
        items = (body or {}).get("items") or []  # left out when there is none (the description allows no [])
        if body is None or not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise UpstreamMalformed(f"GET {LIST}: not a list of disputes", upstream_status=200)
        gate = asyncio.Semaphore(DETAIL_CONCURRENCY)

        async def detail(item: dict[str, Any]) -> dict[str, Any] | None:
            if not isinstance(item.get("dispute_id"), str) or not item["dispute_id"]:
                raise UpstreamMalformed(f"GET {LIST}: a dispute without its dispute_id", upstream_status=200)
            async with gate:
                return await read_dispute(client, item["dispute_id"])

        details = await asyncio.gather(*(detail(item) for item in items))
        following = next_page_token(body.get("links"))
        return Page([d for d in details if d is not None], {**token, "page": following} if following else None)
