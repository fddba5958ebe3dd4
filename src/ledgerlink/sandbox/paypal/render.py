"""Transactions as the Transaction Search API (v1) lists them: a `transaction_detail` per
transaction, holding the sections `fields` asks for.

Times are written `2024-01-01T00:07:45Z`: PayPal itself sends `+0000`, which its own description's
pattern refuses, so the sandbox keeps to the description (the connector reads both). Sections a
transaction has nothing for are empty objects, as PayPal sends them with `fields=all`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ledgerlink.sandbox.paypal.facts import Payer, Transaction, places
from ledgerlink.sandbox.paypal.history import spec_text

JSON = dict[str, Any]
SECTIONS = (
    "transaction_info", "payer_info", "shipping_info", "cart_info", "store_info", "auction_info", "incentive_info",
)  # fmt: skip


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def value(minor: int, currency: str) -> str:
    digits = places(currency)
    sign, whole = ("-" if minor < 0 else ""), abs(minor)
    if not digits:
        return f"{sign}{whole}"
    return f"{sign}{whole // 10**digits}.{whole % 10**digits:0{digits}d}"


def money(minor: int, currency: str) -> JSON:
    return {"currency_code": currency, "value": value(minor, currency)}


def transaction_info(txn: Transaction, malformed: bool) -> JSON:
    info: JSON = {"transaction_id": txn.id}
    if txn.payer is not None and txn.reference_id is None:
        info["paypal_account_id"] = txn.payer.account_id
    if txn.reference_id is not None:
        info["paypal_reference_id"] = txn.reference_id
        info["paypal_reference_id_type"] = "TXN"
    info |= {
        "transaction_event_code": txn.event_code,
        "transaction_initiation_date": stamp(txn.initiated),
        "transaction_updated_date": stamp(txn.updated),
        "transaction_amount": money(txn.amount, txn.currency),
    }
    if malformed:  # a broken record: the amount without its currency
        info["transaction_amount"] = {"value": value(txn.amount, txn.currency)}
    if txn.fee is not None:
        info["fee_amount"] = money(txn.fee, txn.currency)
    info["transaction_status"] = txn.status
    if txn.subject:
        info["transaction_subject"] = txn.subject
    if txn.invoice_id:
        info["invoice_id"] = txn.invoice_id
    if txn.custom_field:
        info["custom_field"] = txn.custom_field
    info["protection_eligibility"] = "01" if txn.event_code == "T0006" else "02"
    return info


def _address(payer: Payer) -> JSON:
    address = payer.address
    out: JSON = {"line1": address.line1, "city": address.city, "country_code": address.country_code}
    if address.region_code:
        out["state"] = address.region_code
    if address.postal_code:
        out["postal_code"] = address.postal_code
    return out


def payer_info(txn: Transaction) -> JSON:
    payer = txn.payer
    if payer is None:
        return {}
    return {
        "account_id": payer.account_id,
        "email_address": payer.email,
        "address_status": "Y",
        "payer_status": "Y",
        "payer_name": {
            "given_name": payer.given_name,
            "surname": payer.surname,
            "alternate_full_name": f"{payer.given_name} {payer.surname}",
        },
        "country_code": payer.address.country_code,
    }


def shipping_info(txn: Transaction) -> JSON:
    if txn.payer is None or txn.event_code != "T0006":
        return {}
    return {"name": spec_text(f"{txn.payer.given_name}, {txn.payer.surname}"), "address": _address(txn.payer)}


def cart_info(txn: Transaction) -> JSON:
    if not txn.items:
        return {}
    return {
        "item_details": [
            {
                "item_code": spec_text(item.code),
                "item_name": item.name,
                "item_quantity": str(item.quantity),
                "item_unit_price": money(item.unit_price, txn.currency),
                "item_amount": money(item.unit_price * item.quantity, txn.currency),
            }
            for item in txn.items
        ],
        "tax_inclusive": txn.tax_inclusive,
    }


def detail(txn: Transaction, sections: tuple[str, ...], malformed: bool) -> JSON:
    out: JSON = {}
    for section in sections:
        if section == "transaction_info":
            out[section] = transaction_info(txn, malformed and txn.malformed)
        elif section == "payer_info":
            out[section] = payer_info(txn)
        elif section == "shipping_info":
            out[section] = shipping_info(txn)
        elif section == "cart_info":
            out[section] = cart_info(txn)
        else:
            out[section] = {}
    return out
