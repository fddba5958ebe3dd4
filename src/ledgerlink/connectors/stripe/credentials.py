from __future__ import annotations

import re
from typing import Any

from pydantic import Field, SecretStr, field_validator

from ledgerlink.connectors.generic import rename
from ledgerlink.connectors.spec import Credentials, ProviderSpec


class StripeCredentials(Credentials):
    secretKey: SecretStr = Field(description="Secret or restricted key (sk_live_…, rk_live_…)")
    webhookEndpointSecret: SecretStr | None = Field(
        default=None, description="Signing secret of the webhook endpoint (whsec_…)"
    )

    @field_validator("secretKey")
    @classmethod
    def _secret_key(cls, value: SecretStr) -> SecretStr:
        if not re.fullmatch(r"(sk|rk)_(live|test)_[A-Za-z0-9]{8,}", value.get_secret_value()):
            raise ValueError("must be a Stripe secret key (sk_live_…, sk_test_…) or restricted key (rk_…)")
        return value

    @field_validator("webhookEndpointSecret")
    @classmethod
    def _whsec(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("whsec_"):
            raise ValueError("must be a webhook signing secret starting with whsec_")
        return value


def _from_generic(creds: Any) -> dict[str, Any]:
    return rename(dict(creds), {"apiKey": "secretKey", "apiSecret": "webhookEndpointSecret"})


PROVIDER = ProviderSpec(
    id="stripe",
    name="Stripe",
    description="Automatically record Stripe payments",
    category="payment",
    credentials=StripeCredentials,
    from_generic=_from_generic,
    # Charges, refunds, disputes, balance transactions and payouts are synced into the payment tables
    # (sync/write_payments.py) and POST /v1/integrations/stripe/sync-payments starts them.
    features=("payment_sync",),
    connector="ledgerlink.connectors.stripe.connector:StripeConnector",
    webhooks="ledgerlink.connectors.stripe.webhooks:WEBHOOKS",
)
