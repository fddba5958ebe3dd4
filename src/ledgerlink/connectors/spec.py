"""What a provider declares about itself: identity, credential schema, and what works in this build."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_core import PydanticCustomError

Category = Literal["ecommerce", "marketplace", "payment", "accounting", "custom"]

# Where each category is listed in GET /v1/integrations/available (seed 000's grouping).
CATALOG_GROUPS: dict[str, str] = {
    "ecommerce": "ecommerce",
    "marketplace": "marketplaces",
    "payment": "payment_gateways",
    "accounting": "accounting",
    "custom": "custom",
}


class Credentials(BaseModel):
    """Base of every provider's credential schema. Secret fields are SecretStr; unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)

    apiBaseUrl: AnyHttpUrl | None = Field(
        default=None,
        description="Replaces the upstream's host (a sandbox, an API gateway or a proxy).",
    )

    @model_validator(mode="after")
    def _secrets_are_header_safe(self) -> Credentials:
        """Tokens and keys travel in HTTP headers (or sign bodies as bytes), where only printable
        ASCII survives: anything else is refused here rather than failing as a 500 mid-request."""
        for name in self.secret_fields():
            value = getattr(self, name).get_secret_value()
            if not (value.isascii() and value.isprintable()):
                raise PydanticCustomError(
                    "header_unsafe", "{field} must be printable ASCII: it is sent in HTTP headers", {"field": name}
                )
        return self

    def secret_fields(self) -> set[str]:
        return {name for name, value in self if isinstance(value, SecretStr)}

    def plain(self) -> dict[str, Any]:
        """Every field with secrets revealed: only for encryption and for talking to the upstream."""
        out: dict[str, Any] = {}
        for name, value in self:
            if value is None:
                continue
            if isinstance(value, SecretStr):
                out[name] = value.get_secret_value()
            elif isinstance(value, AnyHttpUrl):
                out[name] = str(value)
            else:
                out[name] = value
        return out

    def summary(self) -> dict[str, Any]:
        """Safe to show: plain fields as they are, secrets as `****` plus at most their last 4 characters."""
        out: dict[str, Any] = {}
        for name, value in self.plain().items():
            if name in self.secret_fields():
                out[name] = "****" + (value[-4:] if len(value) >= 16 else "")
            else:
                out[name] = value
        return out


@dataclass(frozen=True)
class ProviderSpec:
    id: str
    name: str
    description: str
    category: Category
    credentials: type[Credentials]
    # Features this build really performs for the provider; empty until its connector exists.
    # "webhooks" and "real_time_sync" among them are what the catalog's flags of those names report.
    features: tuple[str, ...] = ()
    # Maps seed 002's generic credential names (apiKey, apiSecret, storeUrl) onto this provider's.
    from_generic: Callable[[Mapping[str, Any]], dict[str, Any]] = field(default=lambda c: dict(c))
    # Credentials of an older API generation that are refused with guidance (field -> advice).
    retired_fields: Mapping[str, str] = field(default_factory=dict)
    # "module:Class" of the Connector; None until this build has one.
    connector: str | None = None
    # "module:NAME" of the inbound WebhookSpec (verifies and parses its deliveries); None without one.
    webhooks: str | None = None

    @property
    def active(self) -> bool:
        return bool(self.features)

    @property
    def status(self) -> str:
        return "active" if self.active else "planned"

    def catalog_entry(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "category": self.category,
            "status": self.status,
            "features": [f for f in self.features if f not in ("webhooks", "real_time_sync")],
            "setupRequired": True,
            "webhookSupport": "webhooks" in self.features,
            "realTimeSync": "real_time_sync" in self.features,
        }
