"""Every object kind the sandbox serves: how to find one by id, how to render it, what it may expand.

Stripe ids say their kind in their prefix (`ch_`, `txn_`…), which is how an expandable field that
may hold several kinds (a balance transaction's `source`) is resolved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ledgerlink.sandbox.stripe import render_balance, render_payments
from ledgerlink.sandbox.stripe.errors import invalid
from ledgerlink.sandbox.stripe.facts import Event
from ledgerlink.sandbox.stripe.world import World

API_VERSION = "2023-08-16"
JSON = dict[str, Any]
MAX_EXPAND_DEPTH = 4


@dataclass(frozen=True)
class Kind:
    name: str  # Stripe's `object` value
    prefix: str
    find: Callable[[World, str], Any]
    render: Callable[[World, Any, int], JSON]
    expandable: frozenset[str] = frozenset()


def _event(world: World, fact: Event, at: int) -> JSON:
    subject = render(world, fact.object_id, fact.created)
    data: JSON = {"object": subject}
    if fact.previous_attributes is not None:
        data["previous_attributes"] = fact.previous_attributes
    request = None if fact.automatic else {"id": f"req_{fact.id[4:18]}", "idempotency_key": fact.id[4:]}
    return {
        "id": fact.id,
        "object": "event",
        "api_version": API_VERSION,
        "created": fact.created,
        "data": data,
        "livemode": False,
        "pending_webhooks": 0,
        "request": request,
        "type": fact.type,
    }


KINDS = {
    kind.prefix: kind
    for kind in (
        Kind(
            "charge",
            "ch",
            lambda w, i: w.charges.get(i),
            render_payments.charge,
            frozenset({"balance_transaction", "payment_intent", "refunds"}),
        ),
        Kind(
            "payment_intent",
            "pi",
            lambda w, i: w.intents.get(i),
            render_payments.payment_intent,
            frozenset({"latest_charge"}),
        ),
        Kind(
            "refund",
            "re",
            lambda w, i: w.refunds.get(i),
            render_payments.refund,
            frozenset({"balance_transaction", "charge", "payment_intent"}),
        ),
        Kind(
            "dispute",
            "dp",
            lambda w, i: w.disputes.get(i),
            render_payments.dispute,
            frozenset({"charge", "payment_intent"}),
        ),
        Kind(
            "balance_transaction",
            "txn",
            lambda w, i: w.balance_transactions.get(i),
            render_balance.balance_transaction,
            frozenset({"source"}),
        ),
        Kind("payout", "po", lambda w, i: w.payouts.get(i), render_balance.payout, frozenset({"balance_transaction"})),
        Kind("event", "evt", lambda w, i: w.events.get(i), _event),
    )
}
BY_NAME = {kind.name: kind for kind in KINDS.values()}


def kind_of(object_id: str) -> Kind | None:
    return KINDS.get(object_id.partition("_")[0])


def render(world: World, object_id: str, at: int) -> JSON | None:
    kind = kind_of(object_id)
    fact = kind.find(world, object_id) if kind else None
    return kind.render(world, fact, at) if kind and fact is not None else None


def _refund_list(world: World, charge_id: str, at: int) -> JSON:
    refunds = [r for r in world.refunds_of.get(charge_id, ()) if r.created <= at]
    data = [render_payments.refund(world, r, at) for r in sorted(refunds, key=lambda r: r.created, reverse=True)]
    return {"object": "list", "data": data, "has_more": False, "url": f"/v1/charges/{charge_id}/refunds"}


def expand(world: World, obj: JSON, path: list[str], at: int, shown: str) -> None:
    """Swap the ids along `path` for their objects, in place (`["data", "balance_transaction"]`)."""
    if len(path) > MAX_EXPAND_DEPTH:
        raise invalid(f"You cannot expand more than {MAX_EXPAND_DEPTH} levels of a property.", "expand")
    head, rest = path[0], path[1:]
    if obj.get("object") == "list" and head == "data":
        for item in obj["data"]:
            expand(world, item, rest, at, shown)
        return
    kind = BY_NAME.get(str(obj.get("object")))
    if kind is None or head not in kind.expandable:
        raise invalid(f"This property cannot be expanded ({shown}).", "expand")
    if kind.name == "charge" and head == "refunds":
        obj["refunds"] = _refund_list(world, obj["id"], at)
    elif isinstance(obj.get(head), str):
        obj[head] = render(world, obj[head], at)
    if rest and isinstance(obj.get(head), dict):
        expand(world, obj[head], rest, at, shown)


def expand_all(world: World, obj: JSON, paths: list[str], at: int) -> JSON:
    for path in paths:
        expand(world, obj, path.split("."), at, path)
    return obj
