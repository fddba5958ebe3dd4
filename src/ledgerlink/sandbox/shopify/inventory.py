"""Inventory quantities and the two mutations that change them, with Shopify's checks.

`Variant.stock[location] = [on_hand, reserved]`; available = on_hand - reserved - committed (committed is
0 here). `inventorySetQuantities` requires `changeFromQuantity` on every quantity (null opts out of the
compare-and-swap check, as of 2026-04); both mutations are all-or-nothing and, from 2026-04, need an
`@idempotent(key:)` directive: a repeated key replays the first answer instead of changing stock twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from itertools import count
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError

from ledgerlink.sandbox.changes import Change as StoreChange
from ledgerlink.sandbox.dataset import Location, Variant
from ledgerlink.sandbox.shopify.formats import gid, iso, parse_gid
from ledgerlink.sandbox.shopify.refs import ItemRef

if TYPE_CHECKING:
    from ledgerlink.sandbox.shopify.state import ShopState

QUANTITY_NAMES = (
    "available",
    "on_hand",
    "committed",
    "reserved",
    "incoming",
    "damaged",
    "quality_control",
    "safety_stock",
)
CHANGEABLE = ("available", "on_hand")
REASONS = frozenset(
    {
        "correction",
        "cycle_count_available",
        "damaged",
        "movement_canceled",
        "movement_created",
        "movement_received",
        "movement_updated",
        "other",
        "promotion",
        "quality_control",
        "received",
        "reservation_created",
        "reservation_deleted",
        "reservation_updated",
        "restock",
        "safety_stock",
        "shrinkage",
    }
)
MAX_QUANTITY = 1_000_000_000


def quantities(variant: Variant, location_id: int) -> dict[str, int]:
    on_hand, reserved = variant.stock.get(location_id, [0, 0])
    named = dict.fromkeys(QUANTITY_NAMES, 0)
    named.update(on_hand=on_hand, reserved=reserved, available=on_hand - reserved)
    return named


class UserError(Exception):
    def __init__(self, code: str, field: list[str | int], message: str) -> None:
        super().__init__(message)
        self.payload = {"code": code, "field": [str(f) for f in field], "message": message}


@dataclass
class Change:
    """One item at one location moving to a new on_hand."""

    variant: Variant
    location: Location
    name: str
    before: int
    after: int
    ledger_uri: str | None = None


class InventoryLedger:
    def __init__(self, state: ShopState, require_idempotency: bool = True) -> None:
        self.state = state
        self.require_idempotency = require_idempotency
        self._updated: dict[tuple[int, int], datetime] = {}
        self._replies: dict[str, tuple[str, dict[str, Any]]] = {}
        self._group_ids = count(1)

    def updated_at(self, variant: Variant, location_id: int) -> datetime:
        product = self.state.products[variant.product_id]
        return self._updated.get((variant.inventory_item_id, location_id), product.updated_at)

    # --- mutations -------------------------------------------------------------------------------

    def set_quantities(self, data: dict[str, Any], key: str | None) -> dict[str, Any]:
        return self._once("inventorySetQuantities", data, key, lambda: self._set(data))

    def adjust_quantities(self, data: dict[str, Any], key: str | None) -> dict[str, Any]:
        return self._once("inventoryAdjustQuantities", data, key, lambda: self._adjust(data))

    def _set(self, data: dict[str, Any]) -> list[Change]:
        name = _check_common(data, "INVALID_NAME")
        changes, seen = [], set()
        for n, entry in enumerate(data["quantities"]):
            path: list[str | int] = ["input", "quantities", n]
            variant, location = self._resolve(entry, path)
            if (variant.id, location.id) in seen:
                raise UserError(
                    "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
                    path,
                    "The combination of inventoryItemId and locationId must be unique.",
                )
            seen.add((variant.id, location.id))
            if "changeFromQuantity" not in entry:
                raise UserError(
                    "COMPARE_QUANTITY_REQUIRED",
                    [*path, "changeFromQuantity"],
                    "changeFromQuantity is required; pass null to skip the compare-and-swap check.",
                )
            current = quantities(variant, location.id)[name]
            _check_stale(entry.get("changeFromQuantity"), current, path)
            _check_range(entry["quantity"], [*path, "quantity"])
            changes.append(Change(variant, location, name, current, entry["quantity"]))
        return changes

    def _adjust(self, data: dict[str, Any]) -> list[Change]:
        name = _check_common(data, "INVALID_QUANTITY_NAME")
        changes = []
        for n, entry in enumerate(data["changes"]):
            path: list[str | int] = ["input", "changes", n]
            variant, location = self._resolve(entry, path)
            current = quantities(variant, location.id)[name]
            _check_stale(entry.get("changeFromQuantity"), current, path)
            _check_range(current + entry["delta"], [*path, "delta"])
            changes.append(
                Change(variant, location, name, current, current + entry["delta"], entry.get("ledgerDocumentUri"))
            )
        return changes

    def _resolve(self, entry: dict[str, Any], path: list[str | int]) -> tuple[Variant, Location]:
        variant = self._lookup(entry["inventoryItemId"], "InventoryItem", self.state.inventory_items)
        if variant is None:
            raise UserError(
                "INVALID_INVENTORY_ITEM", [*path, "inventoryItemId"], "The specified inventory item could not be found."
            )
        location = self._lookup(entry["locationId"], "Location", self.state.locations)
        if location is None or location.id not in variant.stock:
            raise UserError("INVALID_LOCATION", [*path, "locationId"], "The specified location could not be found.")
        return variant, location

    @staticmethod
    def _lookup(value: str, kind: str, table: dict[int, Any]) -> Any:
        try:
            parsed = parse_gid(value)
        except GraphQLError:
            return None
        return table.get(parsed.ident) if parsed.kind == kind else None

    # --- applying and answering ------------------------------------------------------------------

    def _once(
        self, mutation: str, data: dict[str, Any], key: str | None, plan: Callable[[], list[Change]]
    ) -> dict[str, Any]:
        if key is None and self.require_idempotency:
            raise GraphQLError(
                f"The @idempotent directive is required for {mutation} as of API version 2026-04.",
                extensions={"code": "BAD_REQUEST"},
            )
        fingerprint = json.dumps([mutation, data], sort_keys=True, default=str)
        if key is not None and key in self._replies:
            seen, reply = self._replies[key]
            if seen == fingerprint:
                return reply
            return _failed(
                UserError(
                    "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
                    ["idempotent", "key"],
                    "The idempotency key was already used with different parameters.",
                )
            )
        try:
            reply = self._apply(data, plan())
        except UserError as error:
            reply = _failed(error)
        if key is not None:
            self._replies[key] = (fingerprint, reply)
        return reply

    def _apply(self, data: dict[str, Any], changes: list[Change]) -> dict[str, Any]:
        now = self.state.clock()
        rendered = []
        for change in changes:
            stock = change.variant.stock[change.location.id]
            delta = change.after - change.before
            stock[0] += delta
            self._updated[(change.variant.inventory_item_id, change.location.id)] = now
            self.state.products[change.variant.product_id].updated_at = now
            after = quantities(change.variant, change.location.id)
            rendered += [_change(change, name, delta, after[name]) for name in CHANGEABLE]
        for change in changes:  # announced once all of them are applied (the mutation is all-or-nothing)
            self.state.store.changes.publish(
                StoreChange(
                    "inventory",
                    "updated",
                    change.variant.id,
                    product_id=change.variant.product_id,
                    location_id=change.location.id,
                    delta=change.after - change.before,
                )
            )
        group = {
            "__typename": "InventoryAdjustmentGroup",
            "id": gid("InventoryAdjustmentGroup", next(self._group_ids)),
            "createdAt": iso(now),
            "reason": data["reason"],
            "referenceDocumentUri": data.get("referenceDocumentUri"),
            "changes": rendered,
        }
        return {"inventoryAdjustmentGroup": group, "userErrors": []}


def _change(change: Change, name: str, delta: int, after: int) -> dict[str, Any]:
    return {
        "name": name,
        "delta": delta,
        "quantityAfterChange": after,
        "ledgerDocumentUri": change.ledger_uri,
        "item": ItemRef(change.variant),
        "location": change.location,
    }


def _failed(error: UserError) -> dict[str, Any]:
    return {"inventoryAdjustmentGroup": None, "userErrors": [error.payload]}


def _check_common(data: dict[str, Any], name_code: str) -> str:
    if data["name"] not in CHANGEABLE:
        raise UserError(name_code, ["input", "name"], "The quantity name must be either 'available' or 'on_hand'.")
    if data["reason"] not in REASONS:
        raise UserError("INVALID_REASON", ["input", "reason"], "The specified reason is invalid.")
    return str(data["name"])


def _check_stale(expected: int | None, current: int, path: list[str | int]) -> None:
    if expected is not None and expected != current:
        raise UserError(
            "CHANGE_FROM_QUANTITY_STALE",
            [*path, "changeFromQuantity"],
            "The changeFromQuantity doesn't match the current quantity. Fetch it again and retry.",
        )


def _check_range(quantity: int, path: list[str | int]) -> None:
    if quantity > MAX_QUANTITY:
        raise UserError("INVALID_QUANTITY_TOO_HIGH", path, f"The quantity can't be higher than {MAX_QUANTITY:,}.")
    if quantity < -MAX_QUANTITY:
        raise UserError("INVALID_QUANTITY_TOO_LOW", path, f"The quantity can't be lower than {-MAX_QUANTITY:,}.")


def filter_changes(changes: list[dict[str, Any]], args: dict[str, Any]) -> list[dict[str, Any]]:
    """InventoryAdjustmentGroup.changes(inventoryItemIds, locationIds, quantityNames)."""
    names, items, locations = args.get("quantityNames"), args.get("inventoryItemIds"), args.get("locationIds")
    return [
        c
        for c in changes
        if (names is None or c["name"] in names)
        and (items is None or gid("InventoryItem", c["item"].variant.inventory_item_id) in items)
        and (locations is None or gid("Location", c["location"].id) in locations)
    ]
