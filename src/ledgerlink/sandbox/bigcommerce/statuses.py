"""BigCommerce's order statuses and how the dataset's order states map onto them."""

from __future__ import annotations

from ledgerlink.sandbox.dataset import Order

STATUS_NAMES = {
    0: "Incomplete",
    1: "Pending",
    2: "Shipped",
    3: "Partially Shipped",
    4: "Refunded",
    5: "Cancelled",
    6: "Declined",
    7: "Awaiting Payment",
    8: "Awaiting Pickup",
    9: "Awaiting Shipment",
    10: "Completed",
    11: "Awaiting Fulfillment",
    12: "Manual Verification Required",
    13: "Disputed",
    14: "Partially Refunded",
}
BY_FINANCIAL = {"refunded": 4, "partially_refunded": 14, "pending": 1}
BY_FULFILLMENT = {"unfulfilled": 11, "partial": 3, "fulfilled": 2}
PAYMENT_STATUS = {
    "paid": "captured",
    "pending": "pending",
    "refunded": "refunded",
    "partially_refunded": "partially refunded",
    "voided": "void",
    "partially_paid": "authorized",
}


def status_id(order: Order) -> int:
    """Cancelled wins, then the refund and payment states, then how much has shipped."""
    if order.cancelled_at is not None:
        return 5
    return BY_FINANCIAL.get(order.financial_status) or BY_FULFILLMENT[order.fulfillment_status]


def payment_status(order: Order) -> str:
    return PAYMENT_STATUS.get(order.financial_status, "")
