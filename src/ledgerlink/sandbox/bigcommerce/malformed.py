"""How a `malformed` order comes out broken, the way real exports break: one defect per order, chosen
by its id so the same order is always broken the same way."""

from __future__ import annotations

from typing import Any

from ledgerlink.sandbox.dataset import Order

DEFECTS = ("blank_date_modified", "total_not_a_number", "null_quantity", "price_not_a_number")


def defect(order: Order) -> str:
    return DEFECTS[order.id % len(DEFECTS)]


def break_order(order: Order, doc: dict[str, Any]) -> dict[str, Any]:
    kind = defect(order)
    if kind == "blank_date_modified":
        return {**doc, "date_modified": ""}
    if kind == "total_not_a_number":
        return {**doc, "total_inc_tax": "N/A", "total_ex_tax": ""}
    return doc


def break_products(order: Order, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    kind = defect(order)
    if not rows or kind not in {"null_quantity", "price_not_a_number"}:
        return rows
    first = (
        {**rows[0], "quantity": None}
        if kind == "null_quantity"
        else {**rows[0], "price_inc_tax": "N/A", "total_inc_tax": "N/A", "base_price": "N/A"}
    )
    return [first, *rows[1:]]
