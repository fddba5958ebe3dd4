from __future__ import annotations

import re
from typing import Literal

from pydantic import AnyHttpUrl, Field, SecretStr, field_validator

from ledgerlink.connectors.spec import Credentials, ProviderSpec

_SP_API_ADVICE = (
    "Amazon MWS was retired; give Selling Partner API credentials instead: lwaClientId, "
    "lwaClientSecret and refreshToken (from your SP-API app authorisation), with sellerId and marketplaceId"
)
_AMAZON_ID = re.compile(r"[A-Z0-9]{8,20}")


def _amazon_id(value: str) -> str:
    if not _AMAZON_ID.fullmatch(value):
        raise ValueError("must be 8 to 20 upper-case letters and digits")
    return value


class AmazonCredentials(Credentials):
    sellerId: str = Field(description="Merchant token / selling partner id")
    marketplaceId: str = Field(description="e.g. ATVPDKIKX0DER (amazon.com)")
    marketplaceIds: list[str] | None = Field(
        default=None,
        max_length=50,
        description="Every marketplace to read orders from (default: marketplaceId alone)",
    )
    region: Literal["na", "eu", "fe"] = Field(default="na", description="SP-API region endpoint")
    lwaClientId: str = Field(description="Login with Amazon client id (amzn1.application-oa2-client.…)")
    lwaClientSecret: SecretStr = Field(min_length=8)
    refreshToken: SecretStr = Field(min_length=8, description="LWA refresh token (Atzr|…)")
    lwaEndpoint: AnyHttpUrl | None = Field(
        default=None,
        description="Replaces Login with Amazon's https://api.amazon.com/auth/o2/token (a sandbox or proxy).",
    )

    _ids = field_validator("sellerId", "marketplaceId")(_amazon_id)

    @field_validator("marketplaceIds")
    @classmethod
    def _marketplaces(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [_amazon_id(v) for v in value]

    @property
    def marketplaces(self) -> list[str]:
        """Where orders are read from: the listed marketplaces, the main one first, each once."""
        return list(dict.fromkeys([self.marketplaceId, *(self.marketplaceIds or [])]))


PROVIDER = ProviderSpec(
    id="amazon",
    name="Amazon Seller Central",
    description="Manage Amazon orders and inventory",
    category="marketplace",
    credentials=AmazonCredentials,
    retired_fields={"mwsAccessKey": _SP_API_ADVICE, "mwsSecretKey": _SP_API_ADVICE},
    # Orders and fees (as balance entries) load through the sync engine. FBA inventory is read (the
    # `inventory` stream) but Amazon holds that stock, so stock is never pushed to it: no inventory_sync.
    features=("order_sync", "fee_tracking"),
    connector="ledgerlink.connectors.amazon.connector:AmazonConnector",
)
