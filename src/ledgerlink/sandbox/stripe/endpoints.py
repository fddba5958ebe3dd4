"""The read API the sandbox serves: Stripe's list and retrieve paths with the filters each one takes."""

from __future__ import annotations

from typing import Any

from ledgerlink.sandbox.stripe import params as p
from ledgerlink.sandbox.stripe.errors import missing
from ledgerlink.sandbox.stripe.facts import Event, Payout
from ledgerlink.sandbox.stripe.listing import ListEndpoint, equals
from ledgerlink.sandbox.stripe.render_balance import payout_status
from ledgerlink.sandbox.stripe.world import World


def _never(world: World, fact: Any, value: p.Value) -> bool:
    return False  # nothing in the sandbox belongs to a transfer group


def _currency(world: World, fact: Any, value: p.Value) -> bool:
    return isinstance(value, str) and fact.currency == value.lower()


def _in_payout(world: World, fact: Any, value: p.Value) -> bool:
    return world.payout_of.get(fact.id) == value


def _payout_exists(world: World, params: p.Params) -> None:
    payout = p.text(params, "payout")
    if payout is not None and world.payouts.get(payout) is None:
        raise missing("payout", payout, "payout")


def _payout_status(world: World, fact: Payout, value: p.Value) -> bool:
    return payout_status(fact, world.now) == value


def _arrival(world: World, fact: Payout, value: p.Value) -> bool:
    return p.time_range({"arrival_date": value}, "arrival_date")(fact.arrival_date)


def _type_matches(pattern: str, event_type: str) -> bool:
    """`charge.*` matches every `charge.…` type, as Stripe's event filter allows."""
    return event_type.startswith(pattern[:-1]) if pattern.endswith("*") else event_type == pattern


def _event_type(world: World, fact: Event, value: p.Value) -> bool:
    return isinstance(value, str) and _type_matches(value, fact.type)


def _event_types(world: World, fact: Event, value: p.Value) -> bool:
    return isinstance(value, list) and any(_type_matches(pattern, fact.type) for pattern in value)


def _always(world: World, fact: Any, value: p.Value) -> bool:
    return True


LISTS = (
    ListEndpoint(
        "/v1/charges",
        "ch",
        {"customer": equals("customer_id"), "payment_intent": equals("intent_id"), "transfer_group": _never},
    ),
    ListEndpoint("/v1/payment_intents", "pi", {"customer": equals("customer_id")}),
    ListEndpoint("/v1/refunds", "re", {"charge": equals("charge_id"), "payment_intent": equals("intent_id")}),
    ListEndpoint("/v1/disputes", "dp", {"charge": equals("charge_id"), "payment_intent": equals("intent_id")}),
    ListEndpoint(
        "/v1/balance_transactions",
        "txn",
        {"type": equals("type"), "currency": _currency, "source": equals("source_id"), "payout": _in_payout},
        check=_payout_exists,
    ),
    ListEndpoint(
        "/v1/payouts",
        "po",
        {"status": _payout_status, "destination": equals("destination_id"), "arrival_date": _arrival},
    ),
    ListEndpoint("/v1/events", "evt", {"type": _event_type, "types": _event_types, "delivery_success": _always}),
)
# Retrieve paths: /v1/charges/{id} and so on, by the kind's id prefix.
RETRIEVE = {endpoint.path: endpoint.prefix for endpoint in LISTS}
