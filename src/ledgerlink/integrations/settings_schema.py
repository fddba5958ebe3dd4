"""The settings and account mapping an integration instance accepts (seed 000 and seed 003 names)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SyncFrequency = Literal["manual", "every_15_minutes", "hourly", "every_6_hours", "daily"]


class RateLimitSetting(BaseModel):
    """The upstream budget to keep to: `rate` requests per `period` seconds, `burst` back to back."""

    model_config = ConfigDict(extra="forbid")

    rate: int = Field(ge=1, le=100_000)
    period: float = Field(default=1.0, gt=0, le=86_400)
    burst: int | None = Field(default=None, ge=1, le=100_000)


class IntegrationSettings(BaseModel):
    """Known settings are type-checked; provider-specific extras are kept as given."""

    model_config = ConfigDict(extra="allow")

    syncOrders: bool = True
    syncProducts: bool = True
    syncCustomers: bool = True
    syncInventory: bool = False
    orderStatus: str | list[str] = "all"
    fulfillmentStatus: str | list[str] = "all"
    syncFrequency: SyncFrequency = "manual"
    realTimeSync: bool = False
    autoCreateCustomers: bool = True
    autoLinkProducts: bool = True
    autoCreateProducts: bool = True
    startDate: date | None = None
    defaultTaxCode: str | None = Field(default=None, max_length=40)
    syncLookbackMinutes: float = Field(default=10, ge=0, le=10_080)
    reconcileDays: float = Field(default=3, gt=0, le=90)
    # Absent: the connector's published limit; null: none at all; an object: this one.
    rateLimit: RateLimitSetting | None = None


class AccountMapping(BaseModel):
    """Which ledger accounts an integration posts to; extra keys map further posting roles."""

    model_config = ConfigDict(extra="allow")

    defaultTaxCode: str | None = Field(default=None, max_length=40)
    defaultPaymentAccount: str | None = Field(default=None, max_length=80)
    shippingAccount: str | None = Field(default=None, max_length=80)
    discountAccount: str | None = Field(default=None, max_length=80)
