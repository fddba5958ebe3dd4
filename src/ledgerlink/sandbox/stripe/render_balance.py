"""Balance transactions, payouts and the balance as Stripe's API (version 2023-08-16) returns them,
as of the moment `at` (funds not yet available are `pending`, payouts not yet arrived `in_transit`)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ledgerlink.sandbox.stripe.facts import BalanceTransaction, Payout
from ledgerlink.sandbox.stripe.world import World

JSON = dict[str, Any]


def balance_transaction(world: World, fact: BalanceTransaction, at: int) -> JSON:
    return {
        "id": fact.id,
        "object": "balance_transaction",
        "amount": fact.amount,
        "available_on": fact.available_on,
        "created": fact.created,
        "currency": fact.currency,
        "description": fact.description,
        "exchange_rate": fact.exchange_rate,
        "fee": fact.fee,
        "fee_details": [
            {
                "amount": d.amount,
                "application": None,
                "currency": d.currency,
                "description": d.description,
                "type": d.type,
            }
            for d in fact.fee_details
        ],
        "net": fact.net,
        "reporting_category": fact.reporting_category,
        "source": fact.source_id,
        "status": "available" if fact.available_on <= at else "pending",
        "type": fact.type,
    }


def payout_status(fact: Payout, at: int) -> str:
    if fact.arrival_date <= at:
        return "paid"
    return "pending" if at <= fact.created else "in_transit"


def payout(world: World, fact: Payout, at: int) -> JSON:
    status = payout_status(fact, at)
    return {
        "id": fact.id,
        "object": "payout",
        "amount": fact.amount,
        "arrival_date": fact.arrival_date,
        "automatic": True,
        "balance_transaction": fact.balance_transaction_id,
        "created": fact.created,
        "currency": fact.currency,
        "description": "STRIPE PAYOUT",
        "destination": fact.destination_id,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "livemode": False,
        "metadata": {},
        "method": "standard",
        "original_payout": None,
        "reconciliation_status": "completed" if status == "paid" else "in_progress",
        "reversed_by": None,
        "source_type": "card",
        "statement_descriptor": None,
        "status": status,
        "type": "bank_account",
    }


def balance(entries: list[BalanceTransaction], at: int) -> JSON:
    """What is available and what is still pending, per currency, from every transaction up to `at`."""
    sums: dict[str, dict[str, int]] = {"available": defaultdict(int), "pending": defaultdict(int)}
    for entry in entries:
        if entry.created <= at:
            sums["available" if entry.available_on <= at else "pending"][entry.currency] += entry.net
    currencies = sorted({c for part in sums.values() for c in part})

    def amounts(part: str) -> list[JSON]:
        return [{"amount": sums[part][c], "currency": c, "source_types": {"card": sums[part][c]}} for c in currencies]

    return {"object": "balance", "available": amounts("available"), "livemode": False, "pending": amounts("pending")}
