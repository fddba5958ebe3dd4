"""PayPal's mappers, property by property (hypothesis): amounts exact in ISO minor units for every
currency PayPal writes with or without decimals, every settlement balanced with PayPal's fee sign
turned the hub's way, every transaction mapped by its event code into the kind its stream keeps (and
always into a balance entry), timestamps in each spelling PayPal uses, the order a shop named found
again, junk failing only as a mapping error; and the search windows tiling any read exactly.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from ledgerlink.canonical import payments as pay
from ledgerlink.canonical.money import exponent
from ledgerlink.connectors.framework.stream import RecordParts
from ledgerlink.connectors.framework.window import SyncWindow
from ledgerlink.connectors.paypal import mappers
from ledgerlink.connectors.paypal.search import LISTING_DELAY, SPAN, SearchStream
from ledgerlink.sync.loader import MAPPING_ERRORS

# currency -> the decimals PayPal writes (HUF and TWD have ISO minor units but PayPal takes none)
PAYPAL_PLACES = {"USD": 2, "EUR": 2, "GBP": 2, "JPY": 0, "HUF": 0, "TWD": 0, "MYR": 2, "CAD": 2}
CODES = {
    "payment": ["T0000", "T0003", "T0006", "T0007", "T0011"],
    "refund": ["T1106", "T1107", "T1114"],
    "chargeback": ["T1201"],
    "other": ["T0106", "T0400", "T1105", "T1108", "T1110", "T1202", "T1207", "T0200", "T2101"],
}
currencies = st.sampled_from(sorted(PAYPAL_PLACES))
moments = st.datetimes(min_value=datetime(2015, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)).map(
    lambda t: t.replace(microsecond=0)
)
ids = st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=17, max_size=17)


def value(minor: int, places: int) -> str:
    sign, whole = ("-" if minor < 0 else ""), abs(minor)
    return f"{sign}{whole // 10**places}.{whole % 10**places:0{places}d}" if places else f"{sign}{whole}"


def spelled(moment: datetime, spelling: int) -> str:
    """The spellings PayPal's answers use: `Z`, `+0000` (what the API sends) and `+00:00`."""
    base = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return base + ("Z", "+0000", "+00:00")[spelling]


@st.composite
def transactions(draw: Any, kind: str | None = None) -> dict[str, Any]:
    kind = kind or draw(st.sampled_from(sorted(CODES)))
    code = draw(st.sampled_from(CODES[kind]))
    currency = draw(currencies)
    places = PAYPAL_PLACES[currency]
    magnitude = draw(st.integers(min_value=0, max_value=10**9))
    sign = -1 if kind in ("refund", "chargeback") else 1 if kind == "payment" else draw(st.sampled_from([-1, 1]))
    gross = sign * magnitude
    initiated = draw(moments)
    info: dict[str, Any] = {
        "transaction_id": draw(ids),
        "transaction_event_code": code,
        "transaction_initiation_date": spelled(initiated, draw(st.integers(0, 2))),
        "transaction_updated_date": spelled(initiated + draw(st.timedeltas(timedelta(0), timedelta(days=60))), 0),
        "transaction_amount": {"currency_code": currency, "value": value(gross, places)},
        "transaction_status": draw(st.sampled_from(["S", "P", "D", "V"])),
    }
    fee = draw(st.none() | st.integers(min_value=-(10**6), max_value=10**6))
    if fee is not None:
        info["fee_amount"] = {"currency_code": currency, "value": value(fee, places)}
    if kind in ("refund", "chargeback") or draw(st.booleans()):
        info["paypal_reference_id"] = draw(ids)
        info["paypal_reference_id_type"] = "TXN"
    if draw(st.booleans()):
        prefix = draw(st.sampled_from(["WC-", "SHOPIFY-", "BC-", "", "#"]))
        info["invoice_id"] = prefix + str(draw(st.integers(1, 10**6)))
    if draw(st.booleans()):
        info["custom_field"] = str(draw(st.integers(1, 10**9)))
    return {"transaction_info": info, "payer_info": {"account_id": "BX6XD9FU3DQZL"}}


def iso_minor(paypal_minor: int, currency: str) -> int:
    return paypal_minor * 10 ** (exponent(currency) - PAYPAL_PLACES[currency])


@given(currencies, st.integers(min_value=-(10**12), max_value=10**12))
def test_amounts_are_exact_iso_minor_units(currency, minor):
    money = {"currency_code": currency, "value": value(minor, PAYPAL_PLACES[currency])}
    assert mappers.minor(money) == (iso_minor(minor, currency), currency)


@given(st.sampled_from(["USD", "EUR"]), st.integers(min_value=1, max_value=9))
def test_more_decimals_than_the_currency_has_are_refused(currency, extra):
    with pytest.raises(ValueError):
        mappers.minor({"currency_code": currency, "value": f"1.0{extra}1"})


@given(transactions())
def test_every_settlement_balances_and_the_fee_is_what_paypal_kept(detail):
    info = detail["transaction_info"]
    settled = mappers.settlement(info)
    currency = info["transaction_amount"]["currency_code"]
    gross = mappers.minor(info["transaction_amount"])[0]
    paid = mappers.minor(info["fee_amount"])[0] if "fee_amount" in info else 0
    assert (settled.amount, settled.fee, settled.net) == (gross, -paid, gross + paid)
    assert sum(line.amount for line in settled.fee_lines) == settled.fee and settled.currency == currency
    assert (settled.status == "pending") == (info["transaction_status"] == "P")


@given(transactions())
@settings(max_examples=300)
def test_every_transaction_maps_to_its_kind_and_to_a_balance_entry(detail):
    info = detail["transaction_info"]
    kind = mappers.kind_of(detail)
    record = mappers.map_transaction(detail)
    expected = {"payment": pay.Payment, "refund": pay.PaymentRefund, "chargeback": pay.Chargeback}
    assert isinstance(record, expected.get(kind, pay.BalanceEntry))
    assert record.external_id == info["transaction_id"]
    gross = mappers.minor(info["transaction_amount"])[0]
    initiated = datetime.fromisoformat(info["transaction_initiation_date"].replace("Z", "+00:00"))
    entry = mappers.map_balance_entry(detail)
    assert entry.settlement.amount == gross and entry.upstream_type == info["transaction_event_code"]
    assert entry.occurred_at == initiated and entry.occurred_at.tzinfo is not None
    match record:
        case pay.Payment():
            assert entry.kind == "charge" and record.amount == gross >= 0
            assert record.captured_amount == (gross if info["transaction_status"] in ("S", "V") else 0)
            assert (record.settlement is None) == (info["transaction_status"] == "D")
        case pay.PaymentRefund():
            assert entry.kind == "refund" and record.amount == -gross
            assert record.payment_external_id == info["paypal_reference_id"]
        case pay.Chargeback():
            assert entry.kind == "chargeback" and record.amount == -gross
            assert record.payment_external_id == info["paypal_reference_id"]
            assert record.settlements[0].net == entry.settlement.net
        case pay.BalanceEntry():
            assert record == entry and entry.kind not in ("charge", "refund", "chargeback")


@given(st.sampled_from(sorted(mappers.SOURCES)), st.integers(1, 10**8), st.integers(1, 10**9))
def test_the_order_a_shop_named_is_found_again(prefix, number, order_id):
    found = mappers.order_reference(f"{prefix}-{number}", str(order_id))
    assert found == pay.OrderReference(source=mappers.SOURCES[prefix], external_id=str(order_id), number=str(number))
    assert mappers.order_reference(f"#{number}", None) == pay.OrderReference(number=str(number))
    pairs = mappers.order_reference(None, f"order_id:{order_id};source:shopify")
    assert pairs == pay.OrderReference(source="shopify", external_id=str(order_id))
    assert mappers.order_reference("Donation", "") is None and mappers.order_reference(None, None) is None


junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@given(transactions(), st.sampled_from(["transaction_amount", "fee_amount", "transaction_event_code",
                                        "transaction_initiation_date", "transaction_status", "transaction_id"]),
       junk)  # fmt: skip
@settings(max_examples=300)
def test_a_broken_field_fails_as_a_mapping_error_and_nothing_else(detail, field, replacement):
    detail["transaction_info"][field] = replacement
    for mapper in (mappers.map_transaction, mappers.map_balance_entry):
        try:
            mapper(detail)
        except (ValidationError, *MAPPING_ERRORS):
            pass


# -- the search windows -------------------------------------------------------------------------------


def _stream(now: datetime) -> SearchStream:
    return SearchStream(
        "x", "balance_entry", "/", RecordParts("id", None, lambda v: None, lambda r: r), clock=lambda: now
    )


@given(moments, st.timedeltas(timedelta(0), timedelta(days=400)), st.booleans())
def test_windows_tile_the_read_with_no_gap_or_overlap_and_none_over_31_days(since, length, bounded):
    until = since + length
    stream = _stream(until)
    token = stream.first_token(SyncWindow(since=since, until=until if bounded else None))
    assert token is not None
    windows = []
    while token is not None:
        windows.append((datetime.fromisoformat(token["from"]), datetime.fromisoformat(token["to"])))
        token = SearchStream._next(token, total_pages=0)
    assert windows[0][0] == since - LISTING_DELAY and windows[-1][1] == until.replace(microsecond=0)
    for start, end in windows:
        assert timedelta(0) <= end - start <= SPAN
    for (_, end), (following, _) in itertools.pairwise(windows):
        assert following - end == timedelta(seconds=1)


def test_a_page_of_a_window_leads_to_the_next_page_then_the_next_window():
    token = {
        "from": "2024-01-01T00:00:00+00:00",
        "to": "2024-01-31T23:59:59+00:00",
        "stop": "2024-03-01T00:00:00+00:00",
    }
    assert SearchStream._next({**token, "page": 1}, total_pages=3)["page"] == 2
    following = SearchStream._next({**token, "page": 3}, total_pages=3)
    assert following == {
        "from": "2024-02-01T00:00:00+00:00", "to": "2024-03-01T00:00:00+00:00",
        "stop": "2024-03-01T00:00:00+00:00", "page": 1,
    }  # fmt: skip
    assert SearchStream._next({**following, "page": 1}, total_pages=1) is None
