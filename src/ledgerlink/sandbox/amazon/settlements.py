"""The seller's settlements (Finances API v0 financial event groups): what Amazon paid out, and which
financial events each payment was made of.

Made once from the financial events (finances.py): a group per currency and settlement period of two
days, holding the events posted in it. A group closes at the end of its period when its balance is
positive; a balance of nothing or less is carried on (the group stays open into the next period), so
every closed group is a disbursement, never a charge to the seller. The newest group of the home
currency is still open (Amazon has not settled it yet: its OriginalTotal is the balance so far), and
so is any group whose period has not ended by the sandbox's clock.

A closed group's funds were transferred a day after it closed (`Succeeded`), except the newest closed
group, whose transfer is still `Processing` until `/_sandbox/financial-event-groups/{id}/transfer`
says it went through. Every group's OriginalTotal is the sum of its events, except one seeded
mismatch: the first closed group of the home currency states SEEDED_DIFFERENCE more than its events
add up to, so that reconciliation has something to find. ConvertedTotal is the OriginalTotal (each
currency is paid into an account in that currency).
"""

from __future__ import annotations

import base64
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from ledgerlink.sandbox.amazon.finances import Event
from ledgerlink.sandbox.amazon.marketplaces import HOME, MARKETPLACES
from ledgerlink.sandbox.amazon.orders import iso
from ledgerlink.sandbox.dataset import money

PERIOD = timedelta(days=2)
TRANSFER_AFTER = timedelta(days=1)
SEEDED_DIFFERENCE = Decimal("-2.50")  # the seeded group states this much more than its events
DECIMALS = {m.currency: m.decimals for m in MARKETPLACES}


@dataclass
class Group:
    id: str
    currency: str
    start: datetime
    end: datetime | None  # None: still open
    events: tuple[Event, ...]
    difference: Decimal = Decimal(0)  # what OriginalTotal states beyond its events (the seeded mismatch)
    transfer: str | None = None  # FundTransferStatus of a closed group
    trace: str = field(default="")

    @property
    def events_total(self) -> Decimal:
        return sum((e.total for e in self.events), Decimal(0))

    @property
    def total(self) -> Decimal:
        return self.events_total + self.difference

    @property
    def closed(self) -> bool:
        return self.end is not None

    @property
    def transferred_at(self) -> datetime | None:
        return self.end + TRANSFER_AFTER if self.end is not None else None


def group_id(seed: int, currency: str, start: datetime) -> str:
    """Shaped as Amazon's: 43 URL-safe characters."""
    digest = hashlib.sha256(f"{seed}:group:{currency}:{start.isoformat()}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _periods(events: list[Event], anchor: datetime) -> dict[int, list[Event]]:
    by_period: dict[int, list[Event]] = defaultdict(list)
    for event in events:
        by_period[(event.posted - anchor) // PERIOD].append(event)
    return by_period


def _of_currency(seed: int, currency: str, events: list[Event], anchor: datetime, now: datetime) -> list[Group]:
    groups: list[Group] = []
    by_period = _periods(events, anchor)
    held: list[Event] = []
    start = anchor
    for period in range(max(by_period) + 1):
        held += by_period.get(period, [])
        end = anchor + PERIOD * (period + 1)
        if held and sum((e.total for e in held), Decimal(0)) > 0 and end <= now:
            groups.append(Group(group_id(seed, currency, start), currency, start, end, tuple(held)))
            held, start = [], end
    if held:
        groups.append(Group(group_id(seed, currency, start), currency, start, None, tuple(held)))
    elif currency == HOME.currency and len(groups) > 1:
        groups[-1].end = None  # the home currency's newest group is still open
    return groups


def build(events: list[Event], seed: int, now: datetime) -> list[Group]:
    """Every group, listed by start (then currency); the seeded mismatch and the pending transfer set."""
    if not events:
        return []
    first = min(e.posted for e in events)
    anchor = datetime(first.year, first.month, first.day, tzinfo=UTC)
    by_currency: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        by_currency[event.currency].append(event)
    groups = [g for c in sorted(by_currency) for g in _of_currency(seed, c, by_currency[c], anchor, now)]
    groups.sort(key=lambda g: (g.start, g.currency))
    closed = [g for g in groups if g.closed]
    for n, group in enumerate(closed):
        group.transfer = "Succeeded"
        group.trace = f"{seed:04d}{n:010d}"
    if closed:
        max(closed, key=lambda g: (g.end, g.currency)).transfer = "Processing"
    seeded = next((g for g in closed if g.currency == HOME.currency and g.transfer == "Succeeded"), None)
    if seeded is not None and seeded.total + SEEDED_DIFFERENCE > 0:
        seeded.difference = SEEDED_DIFFERENCE
    return groups


def _currency(currency: str, value: Decimal) -> dict[str, Any]:
    decimals = DECIMALS[currency]
    amount = money(value, decimals)
    return {"CurrencyCode": currency, "CurrencyAmount": int(amount) if decimals == 0 else float(amount)}


def render(group: Group) -> dict[str, Any]:
    """A `FinancialEventGroup`."""
    body: dict[str, Any] = {
        "FinancialEventGroupId": group.id,
        "ProcessingStatus": "Closed" if group.closed else "Open",
        "OriginalTotal": _currency(group.currency, group.total),
        "ConvertedTotal": _currency(group.currency, group.total),
        "BeginningBalance": _currency(group.currency, Decimal(0)),
        "FinancialEventGroupStart": iso(group.start),
    }
    if group.end is not None and group.transferred_at is not None:
        body |= {
            "FinancialEventGroupEnd": iso(group.end),
            "FundTransferStatus": group.transfer,
            "FundTransferDate": iso(group.transferred_at),
            "TraceId": group.trace,
            "AccountTail": "789",
        }
    return body
