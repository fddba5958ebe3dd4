from __future__ import annotations

import re
from typing import Any

from pydantic import Field, SecretStr, field_validator

from ledgerlink.connectors.generic import host_of, rename
from ledgerlink.connectors.spec import Credentials, ProviderSpec

_SHOP_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]{0,60}\.myshopify\.com$")


class ShopifyCredentials(Credentials):
    shopDomain: str = Field(description="The shop's permanent domain, e.g. mystore.myshopify.com")
    accessToken: SecretStr = Field(min_length=8, description="Admin API access token (shpat_…)")
    webhookSecret: SecretStr | None = Field(
        default=None, description="The app's client secret; signs X-Shopify-Hmac-Sha256"
    )

    @field_validator("shopDomain")
    @classmethod
    def _shop_domain(cls, value: str) -> str:
        host = host_of(value)
        if not _SHOP_DOMAIN.match(host):
            raise ValueError("must be the shop's myshopify.com domain, e.g. mystore.myshopify.com")
        return host


def _from_generic(creds: Any) -> dict[str, Any]:
    return rename(dict(creds), {"storeUrl": "shopDomain", "apiKey": "accessToken", "apiSecret": "webhookSecret"})


PROVIDER = ProviderSpec(
    id="shopify",
    name="Shopify",
    description="Connect your Shopify store for automated order sync",
    category="ecommerce",
    credentials=ShopifyCredentials,
    from_generic=_from_generic,
    features=("order_sync", "product_sync", "customer_sync", "inventory_sync", "webhooks", "real_time_sync"),
    connector="ledgerlink.connectors.shopify.connector:ShopifyConnector",
    webhooks="ledgerlink.connectors.shopify.webhooks:WEBHOOKS",
)
