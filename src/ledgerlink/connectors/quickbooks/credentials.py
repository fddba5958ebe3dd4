from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from ledgerlink.connectors.spec import Credentials, ProviderSpec


class QuickBooksCredentials(Credentials):
    clientId: str = Field(min_length=8)
    clientSecret: SecretStr = Field(min_length=8)
    refreshToken: SecretStr = Field(min_length=8)
    accessToken: SecretStr | None = None
    companyId: str = Field(pattern=r"^[0-9]{1,20}$", description="The company's realm id")
    environment: Literal["production", "sandbox"] = "production"


PROVIDER = ProviderSpec(
    id="quickbooks",
    name="QuickBooks Online",
    description="Migrate data from QuickBooks Online",
    category="accounting",
    credentials=QuickBooksCredentials,
)
