"""Customer (with its orders and lifetime figures from the customer index) and Shop."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ledgerlink.sandbox.dataset import CURRENCIES, Customer
from ledgerlink.sandbox.shopify.context import Ctx, seed_digest
from ledgerlink.sandbox.shopify.fields import FieldMap, WithArgs
from ledgerlink.sandbox.shopify.formats import gid, iso
from ledgerlink.sandbox.shopify.paging import ListSource, connection
from ledgerlink.sandbox.shopify.refs import AddressRef
from ledgerlink.sandbox.shopify.render_common import money_v2

SHOP_TIMEZONE = "Etc/UTC"


def _marketing_state(c: Customer) -> str:
    return "SUBSCRIBED" if c.accepts_marketing else "NOT_SUBSCRIBED"


def _email_consent(c: Customer, _ctx: Ctx) -> dict[str, Any]:
    return {
        "marketingState": _marketing_state(c),
        "marketingOptInLevel": "SINGLE_OPT_IN" if c.accepts_marketing else None,
        "consentUpdatedAt": iso(c.created_at) if c.accepts_marketing else None,
    }


def _email_address(c: Customer, _ctx: Ctx) -> dict[str, Any]:
    consent = _email_consent(c, _ctx)
    return {
        "emailAddress": c.email,
        "marketingState": consent["marketingState"],
        "marketingOptInLevel": consent["marketingOptInLevel"],
        "marketingUpdatedAt": consent["consentUpdatedAt"],
        "validFormat": True,
        "openTrackingLevel": "UNKNOWN",
    }


def _orders(c: Customer, ctx: Ctx, args: dict[str, Any]) -> dict[str, Any]:
    orders = [ctx.store.order(i) for i in ctx.state.customer_index.order_indices(c.id)]
    return connection(ListSource(orders, lambda o: (o.id, o.id)), args, ctx.bulk)


def _last_order(c: Customer, ctx: Ctx) -> Any:
    indices = ctx.state.customer_index.order_indices(c.id)
    return ctx.store.order(indices[-1]) if indices else None


def _lifetime(c: Customer, ctx: Ctx) -> str:
    years = (ctx.state.clock() - c.created_at).days // 365
    return "less than a year" if years < 1 else f"about {years} year{'s' * (years > 1)}"


CUSTOMER: FieldMap = {
    "id": lambda c, _: gid("Customer", c.id),
    "legacyResourceId": lambda c, _: str(c.id),
    "email": lambda c, _: c.email,
    "firstName": lambda c, _: c.first_name,
    "lastName": lambda c, _: c.last_name,
    "displayName": lambda c, _: f"{c.first_name} {c.last_name}",
    "phone": lambda c, _: c.phone,
    "createdAt": lambda c, _: iso(c.created_at),
    "updatedAt": lambda c, _: iso(c.updated_at),
    "state": lambda c, _: "ENABLED",
    "verifiedEmail": lambda c, _: True,
    "validEmailAddress": lambda c, _: True,
    "taxExempt": lambda c, _: False,
    "taxExemptions": lambda c, _: [],
    "tags": lambda c, _: ["newsletter"] if c.accepts_marketing else [],
    "note": lambda c, _: None,
    "locale": lambda c, _: "en",
    "dataSaleOptOut": lambda c, _: False,
    "canDelete": lambda c, _: False,
    "defaultAddress": lambda c, _: AddressRef(c.address, c.id, "CustomerAddress"),
    "addresses": lambda c, _: [AddressRef(c.address, c.id, "CustomerAddress")],
    "addressesV2": WithArgs(
        lambda c, ctx, a: connection(
            ListSource([AddressRef(c.address, c.id, "CustomerAddress")], lambda r: (r.ident, r.ident)), a, ctx.bulk
        )
    ),
    "emailMarketingConsent": _email_consent,
    "defaultEmailAddress": _email_address,
    "defaultPhoneNumber": lambda c, _: {"phoneNumber": c.phone, "marketingState": "NOT_SUBSCRIBED"},
    "numberOfOrders": lambda c, ctx: str(len(ctx.state.customer_index.order_indices(c.id))),
    "amountSpent": lambda c, ctx: money_v2(ctx.state.customer_index.spent(c.id), c.currency),
    "orders": WithArgs(_orders),
    "lastOrder": _last_order,
    "lifetimeDuration": _lifetime,
}


def shop_fields(ctx: Ctx) -> dict[str, Any]:
    """The Shop object: a few facts derived from the seed and the store."""
    identity, store = ctx.state.identity, ctx.store
    url = f"https://{identity.domain}"
    created = store.start - timedelta(days=400)
    return {
        "__typename": "Shop",
        "id": gid("Shop", int(seed_digest(store.seed, "shop-id")[:8], 16) % 10**8),
        "name": "LedgerLink Sandbox Store",
        "email": f"owner@{identity.domain}",
        "contactEmail": f"support@{identity.domain}",
        "shopOwnerName": "Sandbox Owner",
        "myshopifyDomain": identity.domain,
        "url": url,
        "primaryDomain": {"id": gid("Domain", 1), "host": identity.domain, "url": url, "sslEnabled": True},
        "currencyCode": store.currency,
        "enabledPresentmentCurrencies": [code for code, _, _ in CURRENCIES],
        "ianaTimezone": SHOP_TIMEZONE,
        "timezoneAbbreviation": "UTC",
        "timezoneOffset": "+0000",
        "timezoneOffsetMinutes": 0,
        "taxesIncluded": False,
        "taxShipping": True,
        "weightUnit": "GRAMS",
        "unitSystem": "METRIC_SYSTEM",
        "checkoutApiSupported": True,
        "setupRequired": False,
        "orderNumberFormatPrefix": "#",
        "orderNumberFormatSuffix": "",
        "plan": {
            "displayName": "Advanced",
            "publicDisplayName": "Advanced",
            "partnerDevelopment": False,
            "shopifyPlus": False,
        },
        "createdAt": iso(created),
        "updatedAt": iso(created),
    }


CUSTOMER_TYPES: dict[str, FieldMap] = {"Customer": CUSTOMER}
