"""The settings and account mapping an integration instance accepts (seed 000 and seed 003 names)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SyncFrequency = Literal["manual", "every_15_minutes", "hourly", "every_6_hours", "daily"]


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
    autoCreateProducts: bool = False
    startDate: date | None = None
    defaultTaxCode: str | None = Field(default=None, max_length=40)


class AccountMapping(BaseModel):
    """Which ledger accounts an integration posts to; extra keys map further posting roles."""

    model_config = ConfigDict(extra="allow")

    defaultTaxCode: str | None = Field(default=None, max_length=40)
    defaultPaymentAccount: str | None = Field(default=None, max_length=80)
    shippingAccount: str | None = Field(default=None, max_length=80)
    discountAccount: str | None = Field(default=None, max_length=80)
