from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, SecretStr, field_validator

from ledgerlink.connectors.spec import Credentials, ProviderSpec

_SP_API_ADVICE = (
    "Amazon MWS was retired; give Selling Partner API credentials instead: lwaClientId, "
    "lwaClientSecret and refreshToken (from your SP-API app authorisation), with sellerId and marketplaceId"
)


class AmazonCredentials(Credentials):
    sellerId: str = Field(description="Merchant token / selling partner id")
    marketplaceId: str = Field(description="e.g. ATVPDKIKX0DER (amazon.com)")
    region: Literal["na", "eu", "fe"] = Field(default="na", description="SP-API region endpoint")
    lwaClientId: str = Field(description="Login with Amazon client id (amzn1.application-oa2-client.…)")
    lwaClientSecret: SecretStr = Field(min_length=8)
    refreshToken: SecretStr = Field(min_length=8, description="LWA refresh token (Atzr|…)")

    @field_validator("sellerId", "marketplaceId")
    @classmethod
    def _amazon_id(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Z0-9]{8,20}", value):
            raise ValueError("must be 8 to 20 upper-case letters and digits")
        return value


PROVIDER = ProviderSpec(
    id="amazon",
    name="Amazon Seller Central",
    description="Manage Amazon orders and inventory",
    category="marketplace",
    credentials=AmazonCredentials,
    retired_fields={"mwsAccessKey": _SP_API_ADVICE, "mwsSecretKey": _SP_API_ADVICE},
)
