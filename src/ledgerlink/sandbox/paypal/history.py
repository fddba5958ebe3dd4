"""The PayPal account's transactions, derived from the shared dataset's orders.

About a fifth of the orders were paid with PayPal: those Stripe did not take (its sandbox draws
`STRIPE_SHARE` the same way), four in five of them. Each becomes an Express Checkout payment (T0006)
in the order's presentment currency where PayPal supports it, else in the shop's USD, with PayPal's
fee (a percentage and a fixed fee per currency) on the same transaction. The order's refunds become
T1107 refunds (PayPal gives back the percentage part of the fee, not the fixed part); a few payments
are charged back (T1201, with a T0106 chargeback fee), and some of those won back (T1202). A fully
refunded payment shows status V from its last refund on. Shops name the order the way their PayPal
plugins do: `invoice_id` `WC-1001` (WooCommerce), `SHOPIFY-1001`, `BC-1001`, and the order id in
`custom_field`; some give only one of the two.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from ledgerlink.canonical.money import to_minor
from ledgerlink.sandbox.dataset import Order, Store
from ledgerlink.sandbox.paypal import facts, ids
from ledgerlink.sandbox.stripe.charges import STRIPE_SHARE

PAYPAL_SHARE = 0.8  # of the orders Stripe did not take
SUPPORTED = frozenset({"USD", "EUR", "GBP", "JPY", "MYR"})  # PayPal's, among the dataset's currencies
RATE = Decimal("0.0349")
FIXED_FEE = {"USD": 49, "EUR": 39, "GBP": 30, "JPY": 40, "MYR": 200}
CHARGEBACK_FEE = {"USD": 2000, "EUR": 1800, "GBP": 1400, "JPY": 2000, "MYR": 8000}
CHARGEBACK_SHARE = 0.05
CHARGEBACK_WON = 0.4
PENDING_FIRST = 0.1  # payments that were pending (eCheck) before they completed
INVOICE_PREFIX = {"shopify": "SHOPIFY", "woocommerce": "WC", "bigcommerce": "BC"}
SOURCES = tuple(INVOICE_PREFIX)
SPEC_TEXT = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_'-.,\" :;!?")


def spec_text(text: str) -> str:
    """What PayPal's free-text fields may hold (its description's pattern): accents dropped, the rest
    of what is not allowed left out."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in folded if c in SPEC_TEXT).strip() or "Item"


def paid_with_paypal(seed: int, index: int) -> bool:
    if random.Random(f"{seed}:stripe:{index}").random() < STRIPE_SHARE:
        return False
    return random.Random(f"{seed}:paypal:{index}").random() < PAYPAL_SHARE


def _amount(order: Order, value: Decimal, currency: str) -> int:
    """An order amount in the payment's currency, in PayPal's minor units."""
    if currency == order.presentment_currency:
        return to_minor(order.presentment(value), currency)
    return to_minor(value, currency)  # paid in the shop's own currency


def fee_of(gross: int, currency: str) -> int:
    return int((Decimal(gross) * RATE).quantize(Decimal(1), rounding=ROUND_HALF_UP)) + FIXED_FEE[currency]


def _payer(seed: int, order: Order) -> facts.Payer:
    return facts.Payer(
        account_id=ids.payer_id(seed, order.email),
        email=order.email,
        given_name=order.billing.first_name,
        surname=order.billing.last_name,
        address=order.billing,
    )


def _order_names(rnd: random.Random, order: Order, index: int) -> tuple[str | None, str | None]:
    source = SOURCES[index % len(SOURCES)]
    invoice, custom = f"{INVOICE_PREFIX[source]}-{order.number}", str(order.id)
    roll = rnd.random()
    return (invoice, None) if roll < 0.1 else (None, custom) if roll < 0.2 else (invoice, custom)


def _items(order: Order, currency: str) -> tuple[facts.Item, ...]:
    return tuple(
        facts.Item(line.sku, spec_text(line.title), line.quantity, _amount(order, line.price, currency))
        for line in order.lines
    )


def _status(order: Order) -> str:
    if order.cancelled_at:
        return "D"
    return "P" if order.financial_status == "pending" else "S"


def order_transactions(seed: int, order: Order, index: int) -> list[facts.Transaction]:
    """The payment for one order and whatever followed it."""
    rnd = random.Random(f"{seed}:paypal-history:{index}")
    currency = order.presentment_currency if order.presentment_currency in SUPPORTED else "USD"
    gross = _amount(order, order.total, currency)
    status = _status(order)
    initiated = order.created_at + timedelta(seconds=45)
    invoice, custom = _order_names(rnd, order, index)
    payer = _payer(seed, order)
    payment = facts.Transaction(
        id=ids.transaction_id(seed, "payment", index),
        event_code=facts.PAYMENT,
        status=status,
        initiated=initiated,
        updated=initiated + timedelta(days=2) if status == "S" and rnd.random() < PENDING_FIRST else initiated,
        currency=currency,
        amount=gross,
        fee=None if status == "D" else -fee_of(gross, currency),
        order_index=index,
        invoice_id=invoice,
        custom_field=custom,
        subject=f"Order {order.number}",
        payer=payer,
        items=_items(order, currency),
        tax_inclusive=order.taxes_included,
        malformed=order.malformed,
    )
    if status != "S":
        return [payment]
    follow = {"order_index": index, "reference_id": payment.id, "invoice_id": invoice, "custom_field": custom}
    made: list[facts.Transaction] = []
    left = gross
    for refund in order.refunds:
        amount = min(left, _amount(order, refund.amount, currency))
        if amount <= 0:
            continue
        left -= amount
        made.append(
            facts.Transaction(
                id=ids.transaction_id(seed, "refund", refund.id),
                event_code=facts.REFUND,
                status="S",
                initiated=refund.created_at,
                updated=refund.created_at,
                currency=currency,
                amount=-amount,
                fee=int((Decimal(amount) * RATE).quantize(Decimal(1), rounding=ROUND_HALF_UP)),
                subject=f"Refund for order {order.number}",
                payer=payer,
                **follow,  # type: ignore[arg-type]
            )
        )
    if left == 0:
        payment = _reversed(payment, made[-1].initiated)
    elif rnd.random() < CHARGEBACK_SHARE:
        made += _chargeback(seed, rnd, payment, left, follow)
    return [payment, *made]


def _reversed(payment: facts.Transaction, at: datetime) -> facts.Transaction:
    return replace(payment, status="V", updated=max(payment.updated, at))


def _chargeback(
    seed: int, rnd: random.Random, payment: facts.Transaction, disputed: int, follow: dict[str, object]
) -> list[facts.Transaction]:
    at = payment.initiated + timedelta(days=rnd.randint(5, 20), seconds=rnd.randint(0, 86_399))
    index = payment.order_index
    common = {"status": "S", "currency": payment.currency, "payer": payment.payer, **follow}
    made = [
        facts.Transaction(
            id=ids.transaction_id(seed, "chargeback", index),
            event_code=facts.CHARGEBACK,
            initiated=at,
            updated=at,
            amount=-disputed,
            fee=None,
            subject="Chargeback",
            **common,  # type: ignore[arg-type]
        ),
        facts.Transaction(
            id=ids.transaction_id(seed, "chargeback-fee", index),
            event_code=facts.CHARGEBACK_FEE,
            initiated=at + timedelta(seconds=1),
            updated=at + timedelta(seconds=1),
            amount=-CHARGEBACK_FEE[payment.currency],
            fee=None,
            subject="Chargeback fee",
            **common,  # type: ignore[arg-type]
        ),
    ]
    if rnd.random() < CHARGEBACK_WON:
        won = at + timedelta(days=21)
        made.append(
            facts.Transaction(
                id=ids.transaction_id(seed, "chargeback-reversal", index),
                event_code=facts.CHARGEBACK_REVERSAL,
                initiated=won,
                updated=won,
                amount=disputed,
                fee=None,
                subject="Chargeback reversal",
                **common,  # type: ignore[arg-type]
            )
        )
    return made


def transactions(store: Store) -> list[facts.Transaction]:
    """Every transaction on the account, in PayPal's order: by initiation time (then id)."""
    found = [
        txn
        for index in range(store.orders_count)
        if paid_with_paypal(store.seed, index)
        for txn in order_transactions(store.seed, store.order(index), index)
    ]
    return sorted(found, key=lambda t: (t.initiated, t.id))
