"""The account's disputes as the Disputes API (v1) serves them: `GET /v1/customer/disputes` and
`GET /v1/customer/disputes/{id}`.

Every chargeback in the account's history (T1201) is a dispute at its chargeback stage, about the
payment it pulled back: created when the money was withdrawn (a SELLER DEBIT, reason
DISPUTE_SETTLEMENT, and the T0106 chargeback fee as a CHARGEBACK_FEE debit), resolved in the
merchant's favour when it was won back (T1202, a CREDIT), else lost 30 days on when the account's
present has reached that, under review until then.

The list holds summaries, newest created first; `page_size` is 1 to 50 (10 by default), the next
page is named by an opaque `next_page_token` in the `next` link (the filters must be sent again);
`update_time_after`/`update_time_before` bound the update time, `start_time` the creation time, and
`disputed_transaction_id` picks a payment's disputes (not together with `start_time`). PayPal
refuses bounds older than 180 days; the sandbox's account lives in a fixed past, so it does not.
"""

from __future__ import annotations

import base64
import binascii
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from ledgerlink.sandbox.paypal import ids
from ledgerlink.sandbox.paypal.errors import PayPalError, invalid
from ledgerlink.sandbox.paypal.facts import CHARGEBACK, CHARGEBACK_FEE, CHARGEBACK_REVERSAL, Transaction
from ledgerlink.sandbox.paypal.render import money, stamp

LOST_AFTER = timedelta(days=30)
ANSWER_WITHIN = timedelta(days=10)
REASONS = ("UNAUTHORISED", "MERCHANDISE_OR_SERVICE_NOT_RECEIVED", "MERCHANDISE_OR_SERVICE_NOT_AS_DESCRIBED")
_TIME = re.compile(
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])[T,t]([0-1][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)"
    r"([.][0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
KNOWN = frozenset(
    {"start_time", "disputed_transaction_id", "page_size", "next_page_token", "dispute_state",
     "update_time_before", "update_time_after"}
)  # fmt: skip
JSON = dict[str, Any]


@dataclass(frozen=True)
class Dispute:
    id: str
    payment: Transaction
    chargeback: Transaction
    fee: Transaction | None
    reversal: Transaction | None
    reason: str
    resolved: datetime | None  # None: still under review

    @property
    def created(self) -> datetime:
        return self.chargeback.initiated

    @property
    def updated(self) -> datetime:
        return self.resolved or self.created

    @property
    def won(self) -> bool:
        return self.reversal is not None


def disputes(seed: int, transactions: list[Transaction], present: datetime) -> list[Dispute]:
    """One dispute per chargeback, newest created first (then by id), as the list serves them."""
    by_id = {t.id: t for t in transactions}
    follows: dict[tuple[int, str], Transaction] = {(t.order_index, t.event_code): t for t in transactions}
    made = []
    for txn in transactions:
        if txn.event_code != CHARGEBACK or txn.reference_id not in by_id:
            continue
        reversal = follows.get((txn.order_index, CHARGEBACK_REVERSAL))
        lost = txn.initiated + LOST_AFTER
        resolved = reversal.initiated if reversal else lost if lost <= present else None
        made.append(
            Dispute(
                id=ids.dispute_id(seed, txn.order_index),
                payment=by_id[txn.reference_id],
                chargeback=txn,
                fee=follows.get((txn.order_index, CHARGEBACK_FEE)),
                reversal=reversal,
                reason=random.Random(f"{seed}:paypal-dispute:{txn.order_index}").choice(REASONS),
                resolved=resolved,
            )
        )
    return sorted(made, key=lambda d: (d.created, d.id), reverse=True)


def _status(dispute: Dispute) -> JSON:
    if dispute.resolved is None:
        return {"status": "UNDER_REVIEW", "dispute_state": "UNDER_PAYPAL_REVIEW"}
    return {"status": "RESOLVED", "dispute_state": "RESOLVED"}


def summary(dispute: Dispute, url: str) -> JSON:
    return {
        "dispute_id": dispute.id,
        "create_time": stamp(dispute.created),
        "update_time": stamp(dispute.updated),
        "reason": dispute.reason,
        **_status(dispute),
        "dispute_amount": money(-dispute.chargeback.amount, dispute.chargeback.currency),
        "dispute_life_cycle_stage": "CHARGEBACK",
        "dispute_channel": "EXTERNAL",
        "links": [{"href": f"{url}/{dispute.id}", "rel": "self", "method": "GET"}],
    }


def _movement(txn: Transaction, kind: str, reason: str) -> JSON:
    return {
        "affected_party": "SELLER",
        "amount": money(abs(txn.amount), txn.currency),
        "initiated_time": stamp(txn.initiated),
        "type": kind,
        "reason": reason,
    }


def detail(dispute: Dispute, url: str) -> JSON:
    payment = dispute.payment
    disputed: JSON = {
        "seller_transaction_id": payment.id,
        "create_time": stamp(payment.initiated),
        "transaction_status": "COMPLETED",
        "gross_amount": money(payment.amount, payment.currency),
    }
    if payment.invoice_id:
        disputed["invoice_number"] = payment.invoice_id
    if payment.custom_field:
        disputed["custom"] = payment.custom_field
    moves = [_movement(dispute.chargeback, "DEBIT", "DISPUTE_SETTLEMENT")]
    if dispute.fee is not None:
        moves.append(_movement(dispute.fee, "DEBIT", "CHARGEBACK_FEE"))
    if dispute.reversal is not None:
        moves.append(_movement(dispute.reversal, "CREDIT", "DISPUTE_SETTLEMENT"))
    found = summary(dispute, url)
    del found["links"]
    found["disputed_transactions"] = [disputed]
    found["money_movements"] = moves
    if dispute.resolved is None:
        found["seller_response_due_date"] = stamp(dispute.created + ANSWER_WITHIN)
    else:
        outcome = "RESOLVED_SELLER_FAVOUR" if dispute.won else "RESOLVED_BUYER_FAVOUR"
        found["dispute_outcome"] = {"outcome_code": outcome}
        if not dispute.won:
            found["dispute_outcome"]["amount_refunded"] = found["dispute_amount"]
    found["links"] = [{"href": f"{url}", "rel": "self", "method": "GET"}]
    return found


def _time(params: Mapping[str, str], name: str) -> datetime | None:
    raw = params.get(name)
    if raw is None:
        return None
    if not _TIME.match(raw):
        raise invalid(name, raw, "INVALID_PARAMETER_SYNTAX", f"{name} must be an Internet date and time.")
    return datetime.fromisoformat(raw.upper().replace("Z", "+00:00").replace(",", "T")).astimezone(UTC)


def _page_size(params: Mapping[str, str]) -> int:
    raw = params.get("page_size", "10")
    if not re.fullmatch(r"[0-9]{1,3}", raw) or not 1 <= int(raw) <= 50:
        raise invalid("page_size", raw, "INVALID_PARAMETER_VALUE", "page_size must be an integer from 1 to 50.")
    return int(raw)


def _offset(params: Mapping[str, str]) -> int:
    raw = params.get("next_page_token")
    if raw is None:
        return 0
    try:
        text = base64.b64decode(raw, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        text = ""
    if not text.startswith("offset:") or not text[7:].isdigit():
        raise invalid("next_page_token", raw, "INVALID_PARAMETER_VALUE", "next_page_token is not valid.")
    return int(text[7:])


def _token(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def listing(found: list[Dispute], params: Mapping[str, str], url: str) -> JSON:
    """The list's page for `params` (the query, unknown parameters left out by the caller)."""
    after, before = _time(params, "update_time_after"), _time(params, "update_time_before")
    created_from = _time(params, "start_time")
    txn_id = params.get("disputed_transaction_id")
    if created_from is not None and txn_id is not None:
        raise invalid("start_time", params["start_time"], "INVALID_PARAMETER_VALUE", "Not both start_time and "
                      "disputed_transaction_id.")  # fmt: skip
    states = set(params["dispute_state"].split(",")) if params.get("dispute_state") else None
    size, offset = _page_size(params), _offset(params)
    chosen = [
        d
        for d in found
        if (after is None or d.updated >= after)
        and (before is None or d.updated <= before)
        and (created_from is None or d.created >= created_from)
        and (txn_id is None or d.payment.id == txn_id)
        and (states is None or _status(d)["dispute_state"] in states)
    ]
    page = chosen[offset : offset + size]
    body: JSON = {}
    if page:
        body["items"] = [summary(d, url) for d in page]
    query = {k: v for k, v in params.items() if k != "next_page_token"}
    links = [{"href": f"{url}?{urlencode(params)}" if params else url, "rel": "self", "method": "GET"}]
    if offset + size < len(chosen):
        following = urlencode({**query, "next_page_token": _token(offset + size)})
        links.append({"href": f"{url}?{following}", "rel": "next", "method": "GET"})
    body["links"] = links
    return body


def one(found: list[Dispute], dispute_id: str, url: str) -> JSON:
    for dispute in found:
        if dispute.id == dispute_id:
            return detail(dispute, url)
    raise PayPalError(404)
