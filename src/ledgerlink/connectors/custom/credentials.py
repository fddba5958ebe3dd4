from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from ledgerlink.connectors.spec import Credentials, ProviderSpec


class CustomCredentials(Credentials):
    """Fields are declared by the custom connector's own authentication block; kept as given."""

    model_config = ConfigDict(extra="allow")

    connectorId: str = Field(description="The custom connector this instance uses")

    def plain(self) -> dict[str, Any]:
        return {**super().plain(), **(self.model_extra or {})}

    def summary(self) -> dict[str, Any]:
        return {"connectorId": self.connectorId, **{k: "****" for k in (self.model_extra or {})}}


PROVIDER = ProviderSpec(
    id="custom",
    name="Custom connector",
    description="Connect a system with a connector you declare in JSON",
    category="custom",
    credentials=CustomCredentials,
)
