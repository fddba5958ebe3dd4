"""Charges, PaymentIntents, refunds and disputes as Stripe's API (version 2023-08-16) returns them.

Each renderer takes the moment `at` to render the object as of (the account's present for the API,
an event's moment for its snapshot): refunds, disputes and cancellations after `at` have not happened.
Expandable fields hold ids; `expand` swaps in the objects. `charge.refunds` is not rendered since API
version 2022-11-15 unless expanded.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ledgerlink.sandbox.dataset import Address
from ledgerlink.sandbox.stripe.facts import Card, Charge, Dispute, Refund
from ledgerlink.sandbox.stripe.ids import token
from ledgerlink.sandbox.stripe.render_balance import balance_transaction
from ledgerlink.sandbox.stripe.world import World

JSON = dict[str, Any]
DECLINED = "Your card was declined."
EVIDENCE_FIELDS = (
    "access_activity_log", "billing_address", "cancellation_policy", "cancellation_policy_disclosure",
    "cancellation_rebuttal", "customer_communication", "customer_email_address", "customer_name",
    "customer_purchase_ip", "customer_signature", "duplicate_charge_documentation", "duplicate_charge_explanation",
    "duplicate_charge_id", "product_description", "receipt", "refund_policy", "refund_policy_disclosure",
    "refund_refusal_explanation", "service_date", "service_documentation", "shipping_address", "shipping_carrier",
    "shipping_date", "shipping_documentation", "shipping_tracking_number", "uncategorized_file", "uncategorized_text",
)  # fmt: skip
NETWORK_REASON = {"fraudulent": "10.4", "product_not_received": "13.1", "product_unacceptable": "13.3"}


def _address(address: Address) -> JSON:
    return {
        "city": address.city,
        "country": address.country_code,
        "line1": address.line1,
        "line2": address.line2 or None,
        "postal_code": address.postal_code,
        "state": address.region_code,
    }


def _card(card: Card) -> JSON:
    return {
        "brand": card.brand,
        "checks": {"address_line1_check": "pass", "address_postal_code_check": "pass", "cvc_check": "pass"},
        "country": card.country,
        "exp_month": card.exp_month,
        "exp_year": card.exp_year,
        "fingerprint": card.fingerprint,
        "funding": card.funding,
        "installments": None,
        "last4": card.last4,
        "mandate": None,
        "network": card.brand,
        "network_token": {"used": False},
        "three_d_secure": None,
        "wallet": None,
    }


def _outcome(charge: Charge) -> JSON:
    score = int(charge.card.fingerprint.encode()[0]) % 60
    if charge.outcome == "failed":
        return {
            "network_status": "declined_by_network",
            "reason": "generic_decline",
            "risk_level": "normal",
            "risk_score": score,
            "seller_message": "The bank did not return any further details with this decline.",
            "type": "issuer_declined",
        }
    return {
        "network_status": "approved_by_network",
        "reason": None,
        "risk_level": "normal",
        "risk_score": score,
        "seller_message": "Payment complete.",
        "type": "authorized",
    }


def _released(charge: Charge, at: int) -> bool:
    return charge.released_at is not None and at >= charge.released_at


def charge(world: World, fact: Charge, at: int) -> JSON:
    failed = fact.outcome == "failed"
    refunded = fact.amount if _released(fact, at) else world.refunded(fact.id, at)
    dispute = world.dispute_of.get(fact.id)
    name = f"{fact.billing.first_name} {fact.billing.last_name}"
    return {
        "id": fact.id,
        "object": "charge",
        "amount": str(Decimal(fact.amount).scaleb(-2)) if fact.malformed and world.serve_malformed else fact.amount,
        "amount_captured": fact.amount if fact.captured else 0,
        "amount_refunded": refunded,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": fact.balance_transaction_id,
        "billing_details": {"address": _address(fact.billing), "email": fact.email, "name": name, "phone": None},
        "calculated_statement_descriptor": None if failed else "LEDGERLINK SANDBOX",
        "captured": fact.captured,
        "created": fact.created,
        "currency": fact.currency,
        "customer": fact.customer_id,
        "description": fact.description,
        "disputed": dispute is not None and dispute.created <= at,
        "failure_balance_transaction": None,
        "failure_code": "card_declined" if failed else None,
        "failure_message": DECLINED if failed else None,
        "fraud_details": {},
        "invoice": None,
        "livemode": False,
        "metadata": dict(fact.metadata),
        "on_behalf_of": None,
        "outcome": _outcome(fact),
        "paid": not failed,
        "payment_intent": fact.intent_id,
        "payment_method": fact.payment_method_id,
        "payment_method_details": {"card": _card(fact.card), "type": "card"},
        "radar_options": {},
        "receipt_email": fact.email,
        "receipt_number": None,
        "receipt_url": None
        if failed
        else f"https://pay.stripe.com/receipts/payment/{token(world.seed, fact.id, length=40)}",
        "refunded": refunded > 0 and refunded >= fact.amount,
        "review": None,
        "shipping": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "failed" if failed else "succeeded",
        "transfer_data": None,
        "transfer_group": None,
    }


def _intent_status(fact: Charge, at: int) -> str:
    if fact.outcome == "failed":
        return "requires_payment_method"
    if fact.outcome == "released":
        return "canceled" if _released(fact, at) else "requires_capture"
    return "succeeded"


def payment_intent(world: World, fact: Charge, at: int) -> JSON:
    status = _intent_status(fact, at)
    declined = {"charge": fact.id, "code": "card_declined", "decline_code": "generic_decline", "message": DECLINED}
    return {
        "id": fact.intent_id,
        "object": "payment_intent",
        "amount": fact.amount,
        "amount_capturable": fact.amount if status == "requires_capture" else 0,
        "amount_details": {"tip": {}},
        "amount_received": fact.amount if fact.captured else 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": None,
        "canceled_at": fact.released_at if status == "canceled" else None,
        "cancellation_reason": "requested_by_customer" if status == "canceled" else None,
        "capture_method": "manual" if fact.outcome == "released" else "automatic",
        "client_secret": f"{fact.intent_id}_secret_{token(world.seed, fact.intent_id)}",
        "confirmation_method": "automatic",
        "created": fact.created,
        "currency": fact.currency,
        "customer": fact.customer_id,
        "description": fact.description,
        "invoice": None,
        "last_payment_error": {**declined, "type": "card_error"} if fact.outcome == "failed" else None,
        "latest_charge": fact.id,
        "livemode": False,
        "metadata": dict(fact.metadata),
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None if fact.outcome == "failed" else fact.payment_method_id,
        "payment_method_options": None,
        "payment_method_types": ["card"],
        "processing": None,
        "receipt_email": fact.email,
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": status,
        "transfer_data": None,
        "transfer_group": None,
    }


def refund(world: World, fact: Refund, at: int) -> JSON:
    return {
        "id": fact.id,
        "object": "refund",
        "amount": fact.amount,
        "balance_transaction": fact.balance_transaction_id,
        "charge": fact.charge_id,
        "created": fact.created,
        "currency": fact.currency,
        "metadata": dict(fact.metadata),
        "payment_intent": fact.intent_id,
        "reason": fact.reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }


def _dispute_status(fact: Dispute, at: int) -> str:
    if fact.closed_at is not None and at >= fact.closed_at:
        return fact.status
    return {"warning_closed": "warning_needs_response", "won": "under_review", "lost": "under_review"}.get(
        fact.status, fact.status
    )


def dispute(world: World, fact: Dispute, at: int) -> JSON:
    status = _dispute_status(fact, at)
    answered = status in ("under_review", "won", "lost")
    movements = (world.balance_transactions.get(m) for m in fact.balance_transaction_ids)
    return {
        "id": fact.id,
        "object": "dispute",
        "amount": fact.amount,
        "balance_transactions": [balance_transaction(world, m, at) for m in movements if m and m.created <= at],
        "charge": fact.charge_id,
        "created": fact.created,
        "currency": fact.currency,
        "evidence": dict.fromkeys(EVIDENCE_FIELDS),
        "evidence_details": {
            "due_by": fact.evidence_due_by,
            "has_evidence": answered,
            "past_due": False,
            "submission_count": 1 if answered else 0,
        },
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": fact.intent_id,
        "payment_method_details": {
            "card": {"brand": fact.brand, "network_reason_code": NETWORK_REASON.get(fact.reason)},
            "type": "card",
        },
        "reason": fact.reason,
        "status": status,
    }
