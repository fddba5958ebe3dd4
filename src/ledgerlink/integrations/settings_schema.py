"""The settings and account mapping an integration instance accepts (seed 000 and seed 003 names)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SyncFrequency = Literal["manual", "every_15_minutes", "hourly", "every_6_hours", "daily"]


class IntegrationSettings(BaseModel):
    """Known settings are type-checked; provider-specific extras are kept as given."""

    model_config = ConfigDict(extra="allow")

    syncOrders: bool = True  # noqa: N815
    syncProducts: bool = True  # noqa: N815
    syncCustomers: bool = True  # noqa: N815
    syncInventory: bool = False  # noqa: N815
    orderStatus: str | list[str] = "all"  # noqa: N815
    fulfillmentStatus: str | list[str] = "all"  # noqa: N815
    syncFrequency: SyncFrequency = "manual"  # noqa: N815
    realTimeSync: bool = False  # noqa: N815
    autoCreateCustomers: bool = True  # noqa: N815
    autoLinkProducts: bool = True  # noqa: N815
    autoCreateProducts: bool = False  # noqa: N815
    startDate: date | None = None  # noqa: N815
    defaultTaxCode: str | None = Field(default=None, max_length=40)  # noqa: N815


class AccountMapping(BaseModel):
    """Which ledger accounts an integration posts to; extra keys map further posting roles."""

    model_config = ConfigDict(extra="allow")

    defaultTaxCode: str | None = Field(default=None, max_length=40)  # noqa: N815
    defaultPaymentAccount: str | None = Field(default=None, max_length=80)  # noqa: N815
    shippingAccount: str | None = Field(default=None, max_length=80)  # noqa: N815
    discountAccount: str | None = Field(default=None, max_length=80)  # noqa: N815
