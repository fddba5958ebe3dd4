"""Seed 003's BigCommerce instance fields under their documented names, with the documented rules.

Types are JSON's, not pydantic's lax ones: text is never read as a number or a flag (`"5"`, `"true"`)
and a flag is not a number, because a settings form that sends the wrong type should hear so instead of
having its value reinterpreted. A number with a zero fraction (`7.0`) is the integer JSON Schema says it is.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AnyHttpUrl, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictFloat, field_validator
from pydantic_core import PydanticCustomError

from ledgerlink.connectors.bigcommerce.credentials import STORE_HASH, validate_store_hash

MAX_ID = 2**53 - 1  # the largest integer every JSON reader keeps exact (JavaScript's MAX_SAFE_INTEGER)


def _json_integer(value: Any) -> Any:
    if isinstance(value, str | bool):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


PositiveId = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_json_integer)]
Percentage = Annotated[StrictFloat, Field(ge=0, le=100, allow_inf_nan=False)]
BatchPeriod = Literal["daily", "weekly", "monthly"]
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

_BATCH_HELP = "One of daily, weekly, monthly: post these to accounting as one batch per period. null: no override."


class BigCommerceConnectionSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    # Visible ASCII only: the token travels in an HTTP header, which cannot carry anything else.
    access_token: str = Field(
        min_length=8,
        max_length=500,
        pattern=r"^[!-~]+$",
        description="BigCommerce API access token (sent as X-Auth-Token; never shown)",
    )
    api_base_url: AnyHttpUrl | None = Field(
        default=None,
        description="ledgerlink extension, not in seed 003: replaces https://api.bigcommerce.com (a sandbox store "
        "or a proxy), like every credential's apiBaseUrl. Internal addresses are refused unless allowed.",
    )


class BigCommerceInstanceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    store_hash: str = Field(
        description="BigCommerce store hash identifier (the {hash} of /stores/{hash}/), not a URL",
        # Documented here, checked by the credential schema's own rule, which tells a URL apart.
        json_schema_extra={"pattern": STORE_HASH.pattern, "minLength": 5, "maxLength": 20},
    )
    start_date: date = Field(
        description="Date to start syncing orders/products from (YYYY-MM-DD). The order refresh reads the orders "
        "changed since 00:00 UTC that day; the product refresh reads the whole catalogue, because those orders "
        "may sell products last changed before it."
    )
    store_id: PositiveId = Field(description="Internal store ID to associate with")
    auto_link_products: StrictBool = Field(description="Automatically link BigCommerce products to SKU products")
    auto_create_products: StrictBool = Field(description="Automatically create SKU products from BigCommerce products")
    sales_nominal_code_id: PositiveId | None = Field(None, description="Nominal code ID for sales accounting")
    cogs_nominal_code_id: PositiveId | None = Field(None, description="Nominal code ID for cost of goods sold")
    shipping_revenue_nominal_code_id: PositiveId | None = Field(
        None, description="Nominal code ID for shipping revenue"
    )
    shipping_refund_nominal_code_id: PositiveId | None = Field(None, description="Nominal code ID for shipping refunds")
    sales_returns_allowances_nominal_code_id: PositiveId | None = Field(None, description="Nominal code ID for returns")
    sync_sales_order_invoices_to_accounting: StrictBool = Field(True, description="Sync invoices to accounting")
    sync_sales_credit_to_accounting: StrictBool = Field(True, description="Sync credits to accounting")
    proforma_marketplace_cost_percentage: Percentage | None = Field(
        None, description="Marketplace cost percentage, 0 to 100"
    )
    proforma_payment_cost_percentage: Percentage | None = Field(None, description="Payment cost percentage, 0 to 100")
    batch_period_sales_order_fulfillments: BatchPeriod | None = Field(
        None, description=f"Batch period override for fulfillments. {_BATCH_HELP}"
    )
    batch_period_customer_returns: BatchPeriod | None = Field(
        None, description=f"Batch period override for customer returns. {_BATCH_HELP}"
    )

    @field_validator("store_hash")
    @classmethod
    def _store_hash(cls, value: str) -> str:
        return validate_store_hash(value)

    @field_validator("start_date", mode="before")
    @classmethod
    def _calendar_date(cls, value: Any) -> Any:
        """Only the documented YYYY-MM-DD text: pydantic alone would also take timestamps and datetimes."""
        if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.match(value)):
            return value
        raise ValueError("must be a date as YYYY-MM-DD")
