"""Shapes shared by several types: MoneyBag/MoneyV2, TaxLine, MailingAddress, Count."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ledgerlink.sandbox.dataset import Order
from ledgerlink.sandbox.shopify.fields import FieldMap, WithArgs
from ledgerlink.sandbox.shopify.formats import decimal_str, gid, money_str
from ledgerlink.sandbox.shopify.refs import AddressRef

COUNTRY_NAMES = {
    "US": "United States",
    "DE": "Germany",
    "MY": "Malaysia",
    "GB": "United Kingdom",
    "CA": "Canada",
    "JP": "Japan",
    "BR": "Brazil",
    "PL": "Poland",
}


def money_v2(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": decimal_str(amount), "currencyCode": currency}


def money_bag(order: Order, amount: Decimal) -> dict[str, dict[str, str]]:
    """An order amount in shop and presentment currency (converted at the order's rate)."""
    return {
        "shopMoney": money_v2(amount, order.currency),
        "presentmentMoney": money_v2(order.presentment(amount), order.presentment_currency),
    }


def tax_line(order: Order, title: str, rate: Decimal, amount: Decimal) -> dict[str, Any]:
    return {
        "title": title,
        "rate": float(rate),
        "ratePercentage": float(rate * 100),
        "priceSet": money_bag(order, amount),
        "price": money_str(amount),
        "channelLiable": False,
    }


def count(value: int, limit: int | None = None) -> dict[str, Any]:
    """A Count: `value` as counted up to `limit` + 1 (beyond the limit Shopify answers AT_LEAST limit)."""
    exact = limit is None or value <= limit
    return {"count": value if exact else limit, "precision": "EXACT" if exact else "AT_LEAST"}


def _formatted(ref: AddressRef, _ctx: object, args: dict[str, Any]) -> list[str]:
    a = ref.address
    lines = [f"{a.first_name} {a.last_name}"] if args.get("withName") else []
    lines += [a.company] if args.get("withCompany") and a.company else []
    lines += [line for line in (a.line1, a.line2) if line]
    lines += [f"{a.city} {a.region_code} {a.postal_code}", COUNTRY_NAMES.get(a.country_code, a.country_code)]
    return lines


MAILING_ADDRESS: FieldMap = {
    "id": lambda r, _: gid("MailingAddress", r.ident, model_name=r.model),
    "firstName": lambda r, _: r.address.first_name,
    "lastName": lambda r, _: r.address.last_name,
    "name": lambda r, _: f"{r.address.first_name} {r.address.last_name}",
    "company": lambda r, _: r.address.company or None,
    "address1": lambda r, _: r.address.line1,
    "address2": lambda r, _: r.address.line2 or None,
    "city": lambda r, _: r.address.city,
    "province": lambda r, _: r.address.region,
    "provinceCode": lambda r, _: r.address.region_code,
    "country": lambda r, _: COUNTRY_NAMES.get(r.address.country_code, r.address.country_code),
    "countryCodeV2": lambda r, _: r.address.country_code,
    "countryCode": lambda r, _: r.address.country_code,
    "zip": lambda r, _: r.address.postal_code,
    "phone": lambda r, _: r.address.phone,
    "formatted": WithArgs(_formatted),
    "formattedArea": lambda r, _: (
        f"{r.address.city} {r.address.region_code}, {COUNTRY_NAMES.get(r.address.country_code, r.address.country_code)}"
    ),
    "coordinatesValidated": lambda r, _: False,
}
