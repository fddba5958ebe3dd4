"""What happened on the simulated PayPal account, before any rendering: plain frozen records.

Amounts are signed integers in PayPal's minor units of the transaction's currency, as the balance
saw them: a payment's gross is positive and its fee negative, a refund's gross negative and the fee
PayPal gives back positive. PayPal writes JPY (and HUF, TWD) without decimals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ledgerlink.sandbox.dataset import Address

# Event codes the account produces (PayPal's "Transaction event codes").
PAYMENT = "T0006"  # Express Checkout payment
CHARGEBACK_FEE = "T0106"
REFUND = "T1107"  # payment refund, initiated by the merchant
CHARGEBACK = "T1201"
CHARGEBACK_REVERSAL = "T1202"
ZERO_DECIMAL = frozenset({"JPY", "HUF", "TWD"})


def places(currency: str) -> int:
    return 0 if currency in ZERO_DECIMAL else 2


@dataclass(frozen=True)
class Payer:
    account_id: str
    email: str
    given_name: str
    surname: str
    address: Address


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    quantity: int
    unit_price: int


@dataclass(frozen=True)
class Transaction:
    id: str
    event_code: str
    status: str  # S success | P pending | D denied | V reversed
    initiated: datetime
    updated: datetime
    currency: str
    amount: int  # signed minor units
    fee: int | None  # signed minor units; None where PayPal charged none
    order_index: int
    reference_id: str | None = None  # the payment a refund or chargeback is about
    invoice_id: str | None = None
    custom_field: str | None = None
    subject: str | None = None
    payer: Payer | None = None
    items: tuple[Item, ...] = ()
    tax_inclusive: bool = False
    malformed: bool = False  # served broken while the faults say so
