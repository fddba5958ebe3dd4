"""PayPal Transaction Search records (`transaction_detail`) to canonical payment records.

One list holds every balance movement, told apart by the transaction event code: T00xx are payments
(a buyer paying the merchant; one the merchant sent is only a balance entry), T11xx reversals and
refunds (holds and fee reversals among them are only balance entries), T12xx adjustments (T1201 is a
chargeback, T1202 its reversal), T01xx fees billed on their own, T04xx withdrawals to the bank. Every
transaction is also a balance entry of the kind its code names (charge, refund, chargeback, fee,
payout, ...): the balance ledger, as Stripe's balance transactions are. PayPal states
each movement as the balance saw it: gross signed, `fee_amount` negative when PayPal took a fee and
positive when it gave some back, so the settlement's fee is `-fee_amount`. Amounts are decimal
strings in the currency's unit (JPY, HUF and TWD without decimals) and become ISO 4217 minor units
exactly, or the record fails. Reporting tells nothing of a dispute's progress: a chargeback is
`under_review` (the money is withdrawn while the case runs); its reversal arrives as T1202. So the
connector's `disputes` stream reads the Disputes API instead (disputes.py), which knows the case.

Shops name the order in `invoice_id` (WooCommerce's `WC-1001`, `SHOPIFY-1001`, `BC-1001`, plain
`1001`) and `custom_field` (the order id, or `order_id:…;source:…` pairs); a mapper reads what is there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ledgerlink.canonical import payments as pay
from ledgerlink.canonical.money import to_minor
from ledgerlink.connectors.framework.parsing import required_time

PaymentRecord = pay.Payment | pay.PaymentRefund | pay.Chargeback | pay.BalanceEntry
PAYMENT_STATUSES: dict[str, pay.PaymentStatus] = {"S": "succeeded", "V": "succeeded", "P": "pending", "D": "failed"}
REFUND_STATUSES: dict[str, pay.PaymentStatus] = {"S": "succeeded", "P": "pending", "D": "failed", "V": "cancelled"}
NOT_REFUNDS: dict[str, pay.EntryKind] = {
    "T1105": "adjustment",  # reversal of a general account hold
    "T1108": "fee",  # fee reversal
    "T1110": "adjustment",  # hold for dispute investigation
    "T1111": "adjustment",  # cancellation of a hold for dispute resolution
}
CHARGEBACK = "T1201"
CHARGEBACK_REVERSAL = "T1202"
GROUPS: dict[str, tuple[str, pay.EntryKind]] = {  # event code group -> category, balance entry kind
    "T00": ("payment", "other"),
    "T01": ("non_payment_fee", "fee"),
    "T02": ("currency_conversion", "other"),
    "T03": ("bank_deposit", "other"),
    "T04": ("bank_withdrawal", "payout"),
    "T11": ("reversal", "adjustment"),
    "T12": ("adjustment", "adjustment"),
    "T15": ("hold", "adjustment"),
    "T21": ("reserve", "adjustment"),
}
SOURCES = {"WC": "woocommerce", "WOO": "woocommerce", "SHOPIFY": "shopify", "SHOP": "shopify", "BC": "bigcommerce"}
_INVOICE = re.compile(r"^(?:(?P<prefix>[A-Za-z]+)[-_ #:]*)?#?(?P<number>\d[\w-]*)$")
_PAIR = re.compile(r"(?P<key>[A-Za-z_-]+)\s*[:=]\s*(?P<value>[\w-]+)")
_PLAIN_ID = re.compile(r"^[\w-]{1,64}$")
ID_KEYS = ("order_id", "orderid", "order-id", "order")
NUMBER_KEYS = ("order_number", "ordernumber", "order-number", "order_no")
SOURCE_KEYS = ("source", "platform", "channel")


def info(detail: Mapping[str, Any]) -> Mapping[str, Any]:
    found = detail["transaction_info"]
    if not isinstance(found, Mapping):
        raise TypeError("transaction_info is not an object")
    return found


def minor(money: Any) -> tuple[int, str]:
    """`{"currency_code": "USD", "value": "-3.20"}` -> (-320, "USD"), exactly or not at all."""
    if not isinstance(money, Mapping):
        raise TypeError(f"not a money object: {money!r:.60}")
    currency, value = money["currency_code"], money["value"]
    if not isinstance(currency, str) or not isinstance(value, str):
        raise TypeError(f"not a money object: {money!r:.60}")
    return to_minor(value, currency, exact=True), currency.upper()


def code_of(detail: Mapping[str, Any]) -> str:
    code = info(detail)["transaction_event_code"]
    if not isinstance(code, str) or not re.fullmatch(r"T\d{4}", code):
        raise ValueError(f"not a transaction event code: {code!r:.20}")
    return code


def settlement(txn: Mapping[str, Any]) -> pay.Settlement:
    """What the transaction did to the PayPal balance: gross, PayPal's fee (positive when taken), net."""
    amount, currency = minor(txn["transaction_amount"])
    fee = 0
    if txn.get("fee_amount") is not None:
        paid, fee_currency = minor(txn["fee_amount"])
        if fee_currency != currency:
            raise ValueError(f"the fee is in {fee_currency}, the transaction in {currency}")
        fee = -paid
    return pay.Settlement(
        external_id=str(txn["transaction_id"]),
        amount=amount,
        fee=fee,
        net=amount - fee,
        currency=currency,
        status="pending" if txn.get("transaction_status") == "P" else "available",
        fee_lines=(pay.FeeLine(kind="processor_fee", amount=fee, currency=currency),) if fee else (),
    )


def _pairs(text: str) -> dict[str, str]:
    return {m.group("key").lower(): m.group("value") for m in _PAIR.finditer(text)}


def _first(found: Mapping[str, str], keys: tuple[str, ...]) -> str | None:
    return next((found[k] for k in keys if found.get(k)), None)


def order_reference(invoice_id: Any, custom_field: Any) -> pay.OrderReference | None:
    """The order the shop named in `invoice_id` and `custom_field`; None when it named none."""
    invoice = invoice_id.strip() if isinstance(invoice_id, str) else ""
    custom = custom_field.strip() if isinstance(custom_field, str) else ""
    external_id = number = source = None
    if custom:
        pairs = _pairs(custom)
        if pairs:
            external_id, number, source = _first(pairs, ID_KEYS), _first(pairs, NUMBER_KEYS), _first(pairs, SOURCE_KEYS)
        elif _PLAIN_ID.fullmatch(custom):
            external_id = custom
    if invoice and (match := _INVOICE.fullmatch(invoice)):
        number = number or match.group("number")
        prefix = (match.group("prefix") or "").upper()
        source = source or SOURCES.get(prefix)
    if external_id is None and number is None:
        return None
    return pay.OrderReference(source=source, external_id=external_id, number=number)


def _when(txn: Mapping[str, Any]) -> datetime:
    return required_time(txn["transaction_initiation_date"])


def _status(table: Mapping[str, pay.PaymentStatus], txn: Mapping[str, Any]) -> pay.PaymentStatus:
    status = txn["transaction_status"]
    if status not in table:
        raise ValueError(f"unknown transaction status {status!r:.10}")
    return table[status]


def _payer(detail: Mapping[str, Any], txn: Mapping[str, Any]) -> str | None:
    payer = detail.get("payer_info") or {}
    found = payer.get("account_id") or txn.get("paypal_account_id")
    return str(found) if found else None


def _text(txn: Mapping[str, Any]) -> str | None:
    found = txn.get("transaction_subject") or txn.get("transaction_note")
    return str(found) if found else None


def _reference(txn: Mapping[str, Any]) -> str | None:
    """The transaction this one is about (a refund's or chargeback's payment)."""
    ref, kind = txn.get("paypal_reference_id"), txn.get("paypal_reference_id_type")
    return str(ref) if ref and kind in (None, "TXN") else None


def map_payment(detail: Mapping[str, Any]) -> pay.Payment:
    txn = info(detail)
    status = txn["transaction_status"]
    money = settlement(txn)
    settled = status in ("S", "V", "P")
    metadata = {"event_code": code_of(detail), "transaction_status": str(status)}
    metadata |= {k: str(txn[k]) for k in ("invoice_id", "custom_field") if txn.get(k)}
    return pay.Payment(
        external_id=str(txn["transaction_id"]),
        status=_status(PAYMENT_STATUSES, txn),
        amount=money.amount,
        captured_amount=money.amount if status in ("S", "V") else 0,
        refunded_amount=money.amount if status == "V" else 0,  # V: reversed in full; partial refunds are T1107s
        currency=money.currency,
        occurred_at=_when(txn),
        description=_text(txn),
        order=order_reference(txn.get("invoice_id"), txn.get("custom_field")),
        customer_external_id=_payer(detail, txn),
        method=str(txn.get("instrument_type") or txn.get("payment_method_type") or "paypal").lower(),
        failure_code="denied" if status == "D" else None,
        settlement=money if settled else None,
        metadata=metadata,
    )


def map_refund(detail: Mapping[str, Any]) -> pay.PaymentRefund:
    txn = info(detail)
    money = settlement(txn)
    return pay.PaymentRefund(
        external_id=str(txn["transaction_id"]),
        payment_external_id=_reference(txn),
        status=_status(REFUND_STATUSES, txn),
        amount=abs(money.amount),
        currency=money.currency,
        occurred_at=_when(txn),
        reason=_text(txn),
        order=order_reference(txn.get("invoice_id"), txn.get("custom_field")),
        settlement=money if txn["transaction_status"] != "D" else None,
    )


def map_chargeback(detail: Mapping[str, Any]) -> pay.Chargeback:
    txn = info(detail)
    payment = _reference(txn)
    if payment is None:
        raise ValueError("a chargeback without the payment it pulls back (paypal_reference_id)")
    money = settlement(txn)
    return pay.Chargeback(
        external_id=str(txn["transaction_id"]),
        payment_external_id=payment,
        status="under_review",
        upstream_status=f"{code_of(detail)}/{txn['transaction_status']}",
        amount=abs(money.amount),
        currency=money.currency,
        reason=_text(txn),
        occurred_at=_when(txn),
        settlements=(money,),
    )


def kind_of(detail: Any) -> str | None:
    """`payment`, `refund`, `chargeback` or `other` by the event code (and a payment's direction);
    None when the record does not say (it fails where it is mapped)."""
    try:
        code = code_of(detail)
        value = info(detail)["transaction_amount"]["value"]
    except (KeyError, TypeError, ValueError):
        return None
    if code.startswith("T00"):
        return "other" if str(value).strip().startswith("-") else "payment"  # < 0: money the merchant sent
    if code.startswith("T11") and code not in NOT_REFUNDS:
        return "refund"
    return "chargeback" if code == CHARGEBACK else "other"


def entry_kind(code: str, amount: int) -> tuple[pay.EntryKind, str | None]:
    """A balance entry's kind and PayPal's category for its event code."""
    category, kind = GROUPS.get(code[:3], (None, "other"))
    if code.startswith("T00") and amount >= 0:
        return "charge", category
    if code == CHARGEBACK:
        return "chargeback", category
    if code == CHARGEBACK_REVERSAL:
        return "chargeback_reversal", category
    if code in NOT_REFUNDS:
        return NOT_REFUNDS[code], category
    if code.startswith("T11"):
        return "refund", category
    return kind, category


def map_balance_entry(detail: Mapping[str, Any]) -> pay.BalanceEntry:
    txn = info(detail)
    code = code_of(detail)
    money = settlement(txn)
    kind, category = entry_kind(code, money.amount)
    return pay.BalanceEntry(
        external_id=str(txn["transaction_id"]),
        kind=kind,
        upstream_type=code,
        category=category,
        occurred_at=_when(txn),
        source_external_id=_reference(txn),
        description=_text(txn),
        settlement=money,
    )


MAPPERS = {"payment": map_payment, "refund": map_refund, "chargeback": map_chargeback}


def map_transaction(detail: Mapping[str, Any]) -> PaymentRecord:
    """The canonical record one listed transaction is, by its kind; every one is also a balance entry
    (`map_balance_entry`), as the balance ledger lists it."""
    kind = kind_of(detail)
    if kind is None:
        code_of(detail)
        raise ValueError("the transaction states no amount")
    return MAPPERS.get(kind, map_balance_entry)(detail)
