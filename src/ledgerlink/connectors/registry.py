"""Every provider this build knows, in catalog order."""

from __future__ import annotations

from ledgerlink.connectors import (
    amazon,
    bigcommerce,
    custom,
    paypal,
    quickbooks,
    shopify,
    stripe,
    woocommerce,
    xero,
)
from ledgerlink.connectors.spec import ProviderSpec
from ledgerlink.errors import NotFound

PROVIDERS: dict[str, ProviderSpec] = {
    p.id: p
    for p in (
        shopify.PROVIDER,
        woocommerce.PROVIDER,
        bigcommerce.PROVIDER,
        amazon.PROVIDER,
        stripe.PROVIDER,
        paypal.PROVIDER,
        quickbooks.PROVIDER,
        xero.PROVIDER,
        custom.PROVIDER,
    )
}


def get_provider(provider_id: str) -> ProviderSpec:
    try:
        return PROVIDERS[provider_id]
    except KeyError:
        raise NotFound(
            f"unknown provider '{provider_id}'",
            {"provider": provider_id, "available": sorted(PROVIDERS)},
        ) from None
