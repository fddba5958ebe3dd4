"""BigCommerce webhooks ("hooks"): what a store keeps of each, the checks on create and update, and the
hook document (webhooks.v3.yml's `webhook_Full`, also what `/v2/hooks` answers, bare).

A scope is one of BigCommerce's event names or a `…/*` wildcard over a family (`store/order/*`).
`headers` is an optional object of strings sent with every delivery (how older hooks carry a
secret). The destination must be https on port 443; the sandbox also takes plain http to this
machine (destinations.destination_problem).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import count
from typing import Any

from ledgerlink.sandbox.bigcommerce.responses import ApiError
from ledgerlink.sandbox.destinations import destination_problem

SCOPES = frozenset(
    {
        "store/app/uninstalled",
        "store/information/updated",
        *(f"store/cart/{e}" for e in ("*", "abandoned", "converted", "couponApplied", "created", "deleted", "updated")),
        *(f"store/cart/lineItem/{e}" for e in ("*", "created", "deleted", "updated")),
        *(
            f"store/{family}/{e}"
            for family in ("category", "subscriber", "sku")
            for e in ("*", "created", "updated", "deleted")
        ),
        "store/channel/*",
        "store/channel/created",
        "store/channel/updated",
        *(f"store/customer/{e}" for e in ("*", "created", "updated", "deleted")),
        *(f"store/customer/address/{e}" for e in ("created", "updated", "deleted")),
        "store/customer/payment/instrument/default/updated",
        *(f"store/order/{e}" for e in ("*", "archived", "created", "statusUpdated", "updated")),
        "store/order/message/created",
        "store/order/refund/created",
        *(f"store/product/{e}" for e in ("*", "created", "updated", "deleted")),
        "store/product/inventory/updated",
        "store/product/inventory/order/updated",
        "store/shipment/*",
        *(f"store/shipment/{e}" for e in ("created", "updated", "deleted")),
        "store/sku/inventory/updated",
        "store/sku/inventory/order/updated",
    }
)
INVALID = "JSON data is missing or invalid"


def covers(scope: str, event: str) -> bool:
    """Whether a hook on `scope` receives `event` (a wildcard takes its whole family)."""
    return scope == event or (scope.endswith("/*") and event.startswith(scope[:-1]))


@dataclass
class Hook:
    id: int
    scope: str
    destination: str
    is_active: bool
    headers: dict[str, str] | None
    created_at: int
    updated_at: int


def hook_doc(hook: Hook, store_hash: str, client_id: str) -> dict[str, Any]:
    return {
        "id": hook.id,
        "client_id": client_id,
        "store_hash": store_hash,
        "scope": hook.scope,
        "destination": hook.destination,
        "headers": dict(hook.headers) if hook.headers is not None else None,
        "is_active": hook.is_active,
        "created_at": hook.created_at,
        "updated_at": hook.updated_at,
    }


def _now() -> int:
    return int(datetime.now(UTC).timestamp())


def _checked(body: Any, creating: bool) -> dict[str, Any]:
    """The fields of a create (scope and destination required) or update body, each checked."""
    if not isinstance(body, dict) or (not creating and not body):
        raise ApiError(400 if not isinstance(body, dict) else 422, "Input is invalid.", {"body": "a JSON object"})
    errors: dict[str, str] = {}
    for name in ("scope", "destination"):
        if creating and name not in body:
            errors[name] = "error.path.missing"
    if "scope" in body and (not isinstance(body["scope"], str) or body["scope"] not in SCOPES):
        errors["scope"] = "is not a valid webhook scope"
    if "destination" in body:
        destination = body["destination"]
        problem = destination_problem(destination, https_port_443=True) if isinstance(destination, str) else "a URL"
        if problem:
            errors["destination"] = problem
    if "is_active" in body and not isinstance(body["is_active"], bool):
        errors["is_active"] = "must be a boolean"
    headers = body.get("headers")
    if headers is not None and (not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values())):
        errors["headers"] = "must be an object of strings"
    if errors:
        raise ApiError(422, INVALID, errors)
    return {k: body[k] for k in ("scope", "destination", "is_active", "headers") if k in body}


@dataclass
class HookStore:
    hooks: dict[int, Hook] = field(default_factory=dict)
    _ids: count[int] = field(default_factory=lambda: count(20_172_984))

    def create(self, body: Any) -> Hook:
        fields = _checked(body, creating=True)
        now = _now()
        hook = Hook(
            next(self._ids),
            fields["scope"],
            fields["destination"],
            fields.get("is_active", True),
            fields.get("headers"),
            now,
            now,
        )
        self.hooks[hook.id] = hook
        return hook

    def update(self, hook: Hook, body: Any) -> Hook:
        for name, value in _checked(body, creating=False).items():
            setattr(hook, name, value)
        hook.updated_at = _now()
        return hook

    def deactivate(self, hook_id: int) -> None:
        """What BigCommerce does to a hook once a delivery's retries are used up."""
        hook = self.hooks.get(hook_id)
        if hook is not None:
            hook.is_active = False
            hook.updated_at = _now()

    def get(self, hook_id: int) -> Hook | None:
        return self.hooks.get(hook_id)

    def remove(self, hook_id: int) -> Hook | None:
        return self.hooks.pop(hook_id, None)

    def listening(self, event: str) -> list[Hook]:
        return [h for h in self.hooks.values() if h.is_active and covers(h.scope, event)]
