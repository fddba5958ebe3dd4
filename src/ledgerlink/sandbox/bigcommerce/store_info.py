"""v2 store information (store_information.v2.yml)."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ledgerlink.sandbox.bigcommerce.context import Context
from ledgerlink.sandbox.bigcommerce.formats import CURRENCY_SYMBOLS, country_name
from ledgerlink.sandbox.bigcommerce.responses import JSON
from ledgerlink.sandbox.bigcommerce.routing import ApiRoute

STORE_NAME = "Ledgerlink Sandbox Store"


def store_doc(ctx: Context) -> dict[str, Any]:
    store_hash = ctx.identity.store_hash
    domain = f"store-{store_hash}.mybigcommerce.com"
    currency = ctx.store.currency
    return {
        "id": store_hash,
        "account_uuid": str(uuid.uuid5(uuid.NAMESPACE_DNS, domain)),
        "domain": domain,
        "secure_url": f"https://{domain}",
        "control_panel_base_url": f"https://{domain}",
        "status": "live",
        "name": STORE_NAME,
        "first_name": "Sandbox",
        "last_name": "Owner",
        "address": "1 Commerce Way\nAustin, Texas 78701\nUnited States",
        "country": country_name("US"),
        "country_code": "US",
        "infrastructure_region": "us-central1",
        "phone": "+15550000000",
        "admin_email": "owner@example.com",
        "order_email": "orders@example.com",
        "favicon_url": "",
        "timezone": {
            "name": "Etc/UTC",
            "raw_offset": 0,
            "dst_offset": 0,
            "dst_correction": False,
            "date_format": {"display": "jS M Y", "export": "M jS Y", "extended_display": "M jS Y @ g:i A"},
        },
        "language": "en",
        "currency": currency,
        "currency_symbol": CURRENCY_SYMBOLS.get(currency, currency),
        "decimal_separator": ".",
        "thousands_separator": ",",
        "decimal_places": 2,
        "currency_symbol_location": "left",
        "weight_units": "Grams",
        "dimension_units": "Centimeters",
        "dimension_decimal_places": 2,
        "dimension_decimal_token": ".",
        "dimension_thousands_token": ",",
        "plan_name": "Sandbox",
        "plan_level": "Sandbox",
        "plan_is_trial": False,
        "industry": "Retail",
        "logo": [],
        "is_price_entered_with_tax": False,
        "store_id": ctx.store.seed % 10**9 + 1_000_000,
        "default_channel_id": 1,
        "default_site_id": 1000,
        "active_comparison_modules": [],
        "features": {
            "stencil_enabled": True,
            "sitewidehttps_enabled": True,
            "facebook_catalog_id": "",
            "checkout_type": "optimized",
            "wishlists_enabled": True,
            "graphql_storefront_api_enabled": True,
            "shopper_consent_tracking_enabled": False,
            "multi_storefront_enabled": False,
            "storefront_limits": {"active": 1, "total_including_inactive": 1},
        },
    }


async def get_store(ctx: Context, request: Request) -> Response:
    return JSON(store_doc(ctx))


ROUTES = [ApiRoute("v2", "GET", "/v2/store", get_store)]
