"""How Shopify's REST resources (and so its webhook bodies) spell times, money and addresses.

Webhooks carry the REST shape, not the GraphQL one: snake_case keys, numeric ids, amounts as
two-decimal strings, `*_set` objects with `shop_money`/`presentment_money`, times with an offset.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ledgerlink.sandbox.dataset import Address, Order, money
from ledgerlink.sandbox.shopify.render_common import COUNTRY_NAMES


def rest_time(moment: datetime | None) -> str | None:
    """`2024-01-01T00:07:00+00:00`: the shop's timezone (UTC here), whole seconds, with its offset."""
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else None


def amount(value: Decimal, decimals: int = 2) -> str:
    return str(money(value, decimals))


def money_set(order: Order, value: Decimal) -> dict[str, dict[str, str]]:
    """An order amount in shop and presentment currency, as REST's `*_set` fields give it."""
    return {
        "shop_money": {"amount": amount(value), "currency_code": order.currency},
        "presentment_money": {
            "amount": amount(order.presentment(value), order.presentment_decimals),
            "currency_code": order.presentment_currency,
        },
    }


def rest_address(address: Address) -> dict[str, Any]:
    return {
        "first_name": address.first_name,
        "address1": address.line1,
        "phone": address.phone,
        "city": address.city,
        "zip": address.postal_code,
        "province": address.region,
        "country": COUNTRY_NAMES.get(address.country_code, address.country_code),
        "last_name": address.last_name,
        "address2": address.line2 or None,
        "company": address.company or None,
        "latitude": None,
        "longitude": None,
        "name": f"{address.first_name} {address.last_name}",
        "country_code": address.country_code,
        "province_code": address.region_code,
    }
