"""`POST /_sandbox/orders/{id}/touch`: change an order as a merchant would, from JSON."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from ledgerlink.sandbox.dataset import LineItem, Order

FINANCIAL = {"pending", "paid", "partially_paid", "partially_refunded", "refunded", "voided"}
FULFILLMENT = {"unfulfilled", "partial", "fulfilled"}
TEXT_FIELDS = {"note", "email", "cancel_reason"}


def _datetime(value: Any, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{name} must be an ISO 8601 date-time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _shipped(lines: tuple[LineItem, ...], status: str) -> tuple[LineItem, ...]:
    """Line quantities shipped to match a fulfillment status (partial: all but the first line)."""

    def shipped(n: int, line: LineItem) -> int:
        return line.quantity if status == "fulfilled" or (status == "partial" and n) else 0

    return tuple(replace(line, fulfilled_quantity=shipped(n, line)) for n, line in enumerate(lines))


def _change(order: Order, key: str, value: Any) -> dict[str, Any]:
    if key == "financial_status" and value in FINANCIAL:
        return {key: value}
    if key == "fulfillment_status" and value in FULFILLMENT:
        return {key: value, "lines": _shipped(order.lines, value)}
    if key in TEXT_FIELDS and (isinstance(value, str) or (value is None and key == "cancel_reason")):
        return {key: value}
    if key == "tags" and isinstance(value, list) and all(isinstance(t, str) for t in value):
        return {key: tuple(value)}
    if key == "cancelled_at":
        return {key: _datetime(value, key)}
    raise ValueError(f"cannot set {key} to {value!r}")


def touch_changes(order: Order, body: Any) -> tuple[dict[str, Any], datetime | None]:
    """The dataset changes a touch body asks for, and when it happens (`at`, default now)."""
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object of changes")
    changes: dict[str, Any] = {}
    for key, value in body.items():
        if key != "at":
            changes.update(_change(order, key, value))
    return changes, _datetime(body.get("at"), "at")
