"""The Stripe mappers on generated Stripe objects: anything Stripe may send maps, amounts land in ISO
minor units (zero-decimal JPY as whole yen, three-decimal KWD, and ISK and MGA whose Stripe unit is not
ISO's), and anything else fails with a mapping error, never with some other exception.

The strategies write objects the way Stripe's API (version 2023-08-16) does; one test holds a sample of
them to the official description, so "valid" here means what the spec says.
"""

from __future__ import annotations

import contextlib
import functools
import string
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_schema_validator import OAS30Validator
from pydantic import ValidationError

from ledgerlink.canonical.money import exponent, to_major
from ledgerlink.connectors.stripe import mappers
from ledgerlink.sync.loader import MAPPING_ERRORS

# Stripe's own minor-unit decimals, stated apart from the code under test.
STRIPE_DECIMALS = {"USD": 2, "EUR": 2, "MYR": 2, "JPY": 0, "KRW": 0, "VND": 0, "KWD": 3, "BHD": 3, "ISK": 2, "MGA": 0}
CURRENCIES = tuple(code.lower() for code in STRIPE_DECIMALS)
TXN_TYPES = ("charge", "payment", "refund", "adjustment", "stripe_fee", "payout", "transfer", "application_fee")
CATEGORIES = ("charge", "refund", "dispute", "dispute_reversal", "fee", "payout", "other_adjustment")
MAPPED = (*MAPPING_ERRORS, ValidationError)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

timestamps = st.integers(min_value=0, max_value=4_102_444_800)  # up to 2100
texts = st.text(alphabet=string.ascii_letters + string.digits + " #-é€", max_size=40)


def ids(prefix: str) -> st.SearchStrategy[str]:
    return st.text(string.ascii_letters + string.digits, min_size=8, max_size=24).map(lambda tail: f"{prefix}_{tail}")


def stripe_amounts(currency: str, high: int = 10**9) -> st.SearchStrategy[int]:
    """Amounts as Stripe states them: ISK in hundredths that are always whole krónur (Stripe's rule)."""
    if currency == "isk":
        return st.integers(0, high // 100).map(lambda n: n * 100)
    return st.integers(0, high)


def canonical(amount: int, currency: str) -> int:
    """What a Stripe amount is in ISO 4217 minor units, computed with Decimal apart from the code."""
    code = currency.upper()
    return int(Decimal(amount).scaleb(exponent(code) - STRIPE_DECIMALS[code]))


@st.composite
def balance_transactions(draw: st.DrawFn, currency: str | None = None) -> dict[str, Any]:
    currency = currency or draw(st.sampled_from(CURRENCIES))
    amount = draw(stripe_amounts(currency)) * draw(st.sampled_from((1, -1)))
    fees = draw(st.lists(stripe_amounts(currency, 10**6), max_size=3))
    return {
        "id": draw(ids("txn")),
        "object": "balance_transaction",
        "amount": amount,
        "available_on": draw(timestamps),
        "created": draw(timestamps),
        "currency": currency,
        "description": draw(st.none() | texts),
        "exchange_rate": draw(st.none() | st.floats(1e-6, 1e6, allow_nan=False, allow_infinity=False)),
        "fee": sum(fees),
        "fee_details": [
            {
                "amount": fee,
                "application": None,
                "currency": currency,
                "description": draw(st.none() | texts),
                "type": draw(st.sampled_from(("stripe_fee", "application_fee", "tax"))),
            }
            for fee in fees
        ],
        "net": amount - sum(fees),
        "reporting_category": draw(st.sampled_from(CATEGORIES)),
        "source": draw(st.none() | ids("ch")),
        "status": draw(st.sampled_from(("available", "pending"))),
        "type": draw(st.sampled_from(TXN_TYPES)),
    }


metadata = st.dictionaries(st.sampled_from(("order_id", "Order_Number", "source", "note", "sku")), texts, max_size=4)


@st.composite
def charges(draw: st.DrawFn) -> dict[str, Any]:
    currency = draw(st.sampled_from(CURRENCIES))
    amount = draw(stripe_amounts(currency))
    status = draw(st.sampled_from(("succeeded", "pending", "failed")))
    captured = status == "succeeded" and draw(st.booleans())
    refunded = draw(st.integers(0, amount).map(lambda n: n - n % 100 if currency == "isk" else n)) if captured else 0
    txn = draw(st.none() | ids("txn") | balance_transactions()) if captured else None
    return {
        "id": draw(ids("ch")),
        "object": "charge",
        "amount": amount,
        "amount_captured": amount if captured else 0,
        "amount_refunded": refunded,
        "balance_transaction": txn,
        "billing_details": {"address": None, "email": None, "name": draw(st.none() | texts), "phone": None},
        "captured": captured,
        "created": draw(timestamps),
        "currency": currency,
        "customer": draw(st.none() | ids("cus")),
        "description": draw(st.none() | texts | st.integers(1, 99999).map(lambda n: f"Order #{n}")),
        "disputed": draw(st.booleans()),
        "failure_code": "card_declined" if status == "failed" else None,
        "failure_message": "Your card was declined." if status == "failed" else None,
        "livemode": draw(st.booleans()),
        "metadata": draw(metadata),
        "paid": status != "failed",
        "payment_intent": draw(st.none() | ids("pi")),
        "payment_method_details": draw(
            st.none()
            | st.sampled_from(("visa", "amex")).map(
                lambda b: {"type": "card", "card": {"brand": b, "exp_month": 1, "exp_year": 2030}}
            )
        ),
        "refunded": captured and refunded == amount,
        "status": status,
    }


@st.composite
def refunds(draw: st.DrawFn) -> dict[str, Any]:
    currency = draw(st.sampled_from(CURRENCIES))
    return {
        "id": draw(ids("re")),
        "object": "refund",
        "amount": draw(stripe_amounts(currency)),
        "balance_transaction": draw(st.none() | ids("txn") | balance_transactions(currency)),
        "charge": draw(st.none() | ids("ch")),
        "created": draw(timestamps),
        "currency": currency,
        "metadata": draw(st.none() | metadata),
        "payment_intent": draw(st.none() | ids("pi")),
        "reason": draw(st.none() | st.sampled_from(("duplicate", "fraudulent", "requested_by_customer"))),
        "status": draw(st.none() | st.sampled_from(("succeeded", "pending", "failed", "canceled", "requires_action"))),
    }


@st.composite
def disputes(draw: st.DrawFn) -> dict[str, Any]:
    currency = draw(st.sampled_from(CURRENCIES))
    return {
        "id": draw(ids("dp")),
        "object": "dispute",
        "amount": draw(stripe_amounts(currency)),
        "balance_transactions": draw(st.lists(balance_transactions(currency), max_size=2)),
        "charge": draw(ids("ch")),
        "created": draw(timestamps),
        "currency": currency,
        "evidence": {},
        "evidence_details": {
            "due_by": draw(st.none() | timestamps),
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "reason": draw(st.sampled_from(("fraudulent", "general", "duplicate"))),
        "status": draw(st.sampled_from(tuple(mappers.DISPUTE_STATUSES))),
    }


@st.composite
def payouts(draw: st.DrawFn) -> dict[str, Any]:
    currency = draw(st.sampled_from(CURRENCIES))
    contents = draw(st.none() | st.lists(balance_transactions(currency), max_size=4))
    payout = {
        "id": draw(ids("po")),
        "object": "payout",
        "amount": draw(stripe_amounts(currency)),
        "arrival_date": draw(timestamps),
        "automatic": contents is not None,
        "balance_transaction": draw(st.none() | ids("txn")),
        "created": draw(timestamps),
        "currency": currency,
        "destination": draw(st.none() | ids("ba")),
        "livemode": False,
        "method": draw(st.sampled_from(("standard", "instant"))),
        "reconciliation_status": "completed",
        "source_type": "card",
        "status": draw(st.sampled_from(tuple(mappers.PAYOUT_STATUSES))),
        "type": "bank_account",
    }
    return payout if contents is None else {**payout, "_balance_transactions": contents}


def _at(stamp: int) -> datetime:
    return datetime.fromtimestamp(stamp, UTC)


def _settled_right(settlement: Any, txn: dict[str, Any]) -> None:
    currency = txn["currency"]
    assert settlement.external_id == txn["id"] and settlement.currency == currency.upper()
    assert (settlement.amount, settlement.fee, settlement.net) == tuple(
        canonical(txn[k], currency) for k in ("amount", "fee", "net")
    )
    assert sum(line.amount for line in settlement.fee_lines) == settlement.fee


@FAST
@given(charges())
def test_every_stripe_charge_maps_in_iso_minor_units(charge):
    payment = mappers.map_charge(charge)
    currency = charge["currency"]
    assert payment.external_id == charge["id"] and payment.currency == currency.upper()
    assert payment.amount == canonical(charge["amount"], currency)
    assert payment.refunded_amount == canonical(charge["amount_refunded"], currency)
    assert payment.occurred_at == _at(charge["created"])
    assert payment.status == {"failed": "failed", "pending": "pending"}.get(
        charge["status"], "succeeded" if charge["captured"] else "pending"
    )
    if isinstance(charge["balance_transaction"], dict):
        _settled_right(payment.settlement, charge["balance_transaction"])
    else:
        assert payment.settlement is None
    if charge["metadata"].get("order_id", "").strip():
        assert payment.order is not None and payment.order.external_id == charge["metadata"]["order_id"].strip()


@FAST
@given(st.sampled_from(CURRENCIES), st.integers(0, 10**9))
def test_zero_decimal_and_odd_unit_currencies(currency, units):
    """JPY and KRW are whole units at Stripe and in ISO; ISK is hundredths at Stripe, whole in ISO;
    MGA is whole at Stripe and hundredths in ISO; KWD is thousandths in both."""
    amount = units * 100 if currency == "isk" else units
    txn = {
        "id": "txn_1",
        "amount": amount,
        "fee": 0,
        "net": amount,
        "currency": currency,
        "created": 0,
        "type": "charge",
    }
    entry = mappers.map_balance_transaction(txn)
    code = currency.upper()
    expected_major = Decimal(amount).scaleb(-STRIPE_DECIMALS[code])
    assert to_major(entry.settlement.amount, code) == expected_major
    if code in ("JPY", "KRW", "VND"):
        assert entry.settlement.amount == amount


def test_an_isk_amount_in_part_krona_is_refused():
    with pytest.raises(ValueError, match="ISK"):
        mappers.map_balance_transaction(
            {"id": "txn_1", "amount": 150, "fee": 0, "net": 150, "currency": "isk", "created": 0, "type": "charge"}
        )


@FAST
@given(balance_transactions())
def test_every_balance_transaction_maps_to_an_entry_of_a_known_kind(txn):
    entry = mappers.map_balance_transaction(txn)
    _settled_right(entry.settlement, txn)
    expected = {
        "charge": "charge", "payment": "charge", "refund": "refund", "stripe_fee": "fee", "application_fee": "fee",
        "payout": "payout", "transfer": "other",
    }.get(txn["type"])  # fmt: skip
    if txn["type"] == "adjustment":
        expected = {"dispute": "chargeback", "dispute_reversal": "chargeback_reversal"}.get(
            txn["reporting_category"], "adjustment"
        )
    assert entry.kind == expected and entry.upstream_type == txn["type"]
    assert entry.settlement.exchange_rate == (
        None if txn["exchange_rate"] is None else Decimal(str(txn["exchange_rate"]))
    )


@FAST
@given(refunds(), disputes(), payouts())
def test_refunds_disputes_and_payouts_map(refund, dispute, payout):
    mapped_refund = mappers.map_refund(refund)
    assert mapped_refund.amount == canonical(refund["amount"], refund["currency"])
    assert mapped_refund.payment_external_id == refund["charge"]
    chargeback = mappers.map_dispute(dispute)
    assert chargeback.payment_external_id == dispute["charge"]
    assert chargeback.fee == sum(canonical(t["fee"], t["currency"]) for t in dispute["balance_transactions"])
    assert chargeback.upstream_status == dispute["status"]
    mapped_payout = mappers.map_payout(payout)
    assert mapped_payout.amount == canonical(payout["amount"], payout["currency"])
    if "_balance_transactions" in payout:
        assert [i.external_id for i in mapped_payout.items] == [t["id"] for t in payout["_balance_transactions"]]
    else:
        assert mapped_payout.items is None and mapped_payout.unreconciled() is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)
MAPPERS = {
    "charge": (charges(), mappers.map_charge),
    "refund": (refunds(), mappers.map_refund),
    "dispute": (disputes(), mappers.map_dispute),
    "balance_transaction": (balance_transactions(), mappers.map_balance_transaction),
    "payout": (payouts(), mappers.map_payout),
}


@st.composite
def corrupted(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A valid object with one field dropped or replaced by any JSON value."""
    kind = draw(st.sampled_from(tuple(MAPPERS)))
    obj = dict(draw(MAPPERS[kind][0]))
    key = draw(st.sampled_from(sorted(obj)))
    if draw(st.booleans()):
        del obj[key]
    else:
        obj[key] = draw(json_values)
    return kind, obj


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corrupted())
def test_anything_else_maps_or_fails_as_a_mapping_error(case):
    kind, obj = case
    with contextlib.suppress(MAPPED):  # an item error (DATA_MAPPING): the run goes on
        MAPPERS[kind][1](obj)


@pytest.mark.parametrize(
    "change",
    [
        {"amount": "12.50"},
        {"amount": 12.5},
        {"amount": True},
        {"currency": None},
        {"currency": "dollars"},
        {"created": "2024-01-01"},
        {"status": "exploded"},
    ],
)
def test_what_stripe_never_sends_is_refused(change):
    charge = {
        "id": "ch_1", "amount": 1250, "amount_captured": 1250, "amount_refunded": 0, "captured": True,
        "created": 1_700_000_000, "currency": "usd", "status": "succeeded", "metadata": {},
    }  # fmt: skip
    with pytest.raises(MAPPED):
        mappers.map_charge({**charge, **change})


def test_a_settlement_whose_net_is_not_amount_less_fee_is_refused():
    txn = {"id": "txn_1", "amount": 1000, "fee": 59, "net": 951, "currency": "usd", "created": 0, "type": "charge"}
    with pytest.raises(ValidationError, match="net"):
        mappers.map_balance_transaction(txn)


@pytest.mark.parametrize(
    ("metadata", "description", "expected"),
    [
        ({"order_id": "100042", "source": "shopify"}, None, ("shopify", "100042", None)),
        ({"orderId": " 7 ", "Order_Number": "1007", "platform": "woocommerce"}, None, ("woocommerce", "7", "1007")),
        ({}, "Order #1001", (None, None, "1001")),
        ({}, "WooCommerce order no. 55 for Zoë", (None, None, "55")),
        ({}, "Ordered by phone", None),
        ({"note": "gift"}, None, None),
    ],
)
def test_the_order_a_payment_was_for(metadata, description, expected):
    reference = mappers.order_reference(metadata, description)
    found = None if reference is None else (reference.source, reference.external_id, reference.number)
    assert found == expected


@functools.cache
def _described(kind: str) -> OAS30Validator:
    from tests.test_stripe_contract import stripe_spec

    return OAS30Validator({"$ref": f"#/components/schemas/{kind}", "components": stripe_spec().components})


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_strategies_write_what_stripes_description_allows(data):
    for kind, (strategy, _) in MAPPERS.items():
        obj = {k: v for k, v in data.draw(strategy).items() if not k.startswith("_")}
        _described(kind).validate(obj)
