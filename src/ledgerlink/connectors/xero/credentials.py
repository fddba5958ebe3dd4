from __future__ import annotations

from pydantic import Field, SecretStr

from ledgerlink.connectors.spec import Credentials, ProviderSpec


class XeroCredentials(Credentials):
    clientId: str = Field(min_length=8)
    clientSecret: SecretStr = Field(min_length=8)
    refreshToken: SecretStr = Field(min_length=8)
    tenantId: str | None = Field(default=None, description="Xero organisation (tenant) id")


PROVIDER = ProviderSpec(
    id="xero",
    name="Xero",
    description="Migrate data from Xero",
    category="accounting",
    credentials=XeroCredentials,
)
