from __future__ import annotations

import re
from typing import Any

from pydantic import Field, SecretStr, field_validator

from ledgerlink.connectors.generic import host_of, rename
from ledgerlink.connectors.spec import Credentials, ProviderSpec

STORE_HASH = re.compile(r"^[a-z0-9]{5,20}$")
_STORE_HOST = re.compile(r"^store-([a-z0-9]{5,20})\.mybigcommerce\.com$")


def validate_store_hash(value: str) -> str:
    if "://" in value or "/" in value or "." in value:
        raise ValueError("must be the store hash (e.g. abc123def), not a URL")
    if not STORE_HASH.match(value):
        raise ValueError("must be 5 to 20 lower-case letters and digits")
    return value


class BigCommerceCredentials(Credentials):
    storeHash: str = Field(description="The store hash from the API path /stores/{hash}/, not a URL")
    accessToken: SecretStr = Field(min_length=8, description="API account access token (X-Auth-Token)")
    clientId: str | None = Field(default=None, description="App client id")
    clientSecret: SecretStr | None = Field(
        default=None, description="App client secret; verifies Standard Webhooks signatures"
    )

    @field_validator("storeHash")
    @classmethod
    def _store_hash(cls, value: str) -> str:
        return validate_store_hash(value)


def _from_generic(creds: Any) -> dict[str, Any]:
    out = rename(dict(creds), {"apiKey": "accessToken", "apiSecret": "clientSecret"})
    store_url = out.pop("storeUrl", None)
    if store_url is not None and "storeHash" not in out:
        match = _STORE_HOST.match(host_of(str(store_url)))
        out["storeHash"] = match.group(1) if match else store_url
    return out


PROVIDER = ProviderSpec(
    id="bigcommerce",
    name="BigCommerce",
    description="Sync orders, products, customers and inventory with BigCommerce",
    category="ecommerce",
    credentials=BigCommerceCredentials,
    from_generic=_from_generic,
    features=("order_sync", "product_sync", "customer_sync", "inventory_sync", "webhooks", "real_time_sync"),
    connector="ledgerlink.connectors.bigcommerce.connector:BigCommerceConnector",
    webhooks="ledgerlink.connectors.bigcommerce.webhooks:WEBHOOKS",
)
