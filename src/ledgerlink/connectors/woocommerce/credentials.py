from __future__ import annotations

from typing import Any

from pydantic import AnyHttpUrl, Field, SecretStr, field_validator

from ledgerlink.connectors.generic import rename
from ledgerlink.connectors.spec import Credentials, ProviderSpec


class WooCommerceCredentials(Credentials):
    siteUrl: AnyHttpUrl = Field(description="The WordPress site, e.g. https://mystore.com")
    consumerKey: SecretStr = Field(description="REST API consumer key (ck_…)")
    consumerSecret: SecretStr = Field(description="REST API consumer secret (cs_…)")
    webhookSecret: SecretStr | None = Field(default=None, description="Signs X-WC-Webhook-Signature")

    @field_validator("consumerKey")
    @classmethod
    def _key(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith("ck_") or len(value.get_secret_value()) < 8:
            raise ValueError("must be a WooCommerce consumer key starting with ck_")
        return value

    @field_validator("consumerSecret")
    @classmethod
    def _secret(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith("cs_") or len(value.get_secret_value()) < 8:
            raise ValueError("must be a WooCommerce consumer secret starting with cs_")
        return value


def _from_generic(creds: Any) -> dict[str, Any]:
    return rename(dict(creds), {"storeUrl": "siteUrl", "apiKey": "consumerKey", "apiSecret": "consumerSecret"})


PROVIDER = ProviderSpec(
    id="woocommerce",
    name="WooCommerce",
    description="Sync orders and products from WooCommerce",
    category="ecommerce",
    credentials=WooCommerceCredentials,
    from_generic=_from_generic,
    features=("order_sync", "product_sync", "customer_sync", "inventory_sync", "webhooks", "real_time_sync"),
    connector="ledgerlink.connectors.woocommerce.connector:WooCommerceConnector",
    webhooks="ledgerlink.connectors.woocommerce.webhooks:WEBHOOKS",
)
