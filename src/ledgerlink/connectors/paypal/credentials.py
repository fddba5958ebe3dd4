from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, SecretStr

from ledgerlink.connectors.generic import rename
from ledgerlink.connectors.spec import Credentials, ProviderSpec


class PayPalCredentials(Credentials):
    clientId: str = Field(min_length=8, description="REST app client id")
    clientSecret: SecretStr = Field(min_length=8, description="REST app secret")
    environment: Literal["live", "sandbox"] = "live"
    webhookId: str | None = Field(default=None, description="Id of the webhook, to verify its events")


def _from_generic(creds: Any) -> dict[str, Any]:
    return rename(dict(creds), {"apiKey": "clientId", "apiSecret": "clientSecret"})


PROVIDER = ProviderSpec(
    id="paypal",
    name="PayPal",
    description="Record PayPal transactions, fees and refunds",
    category="payment",
    credentials=PayPalCredentials,
    from_generic=_from_generic,
    # Payments, refunds and the balance ledger from Transaction Search, chargebacks from the Disputes
    # API, synced into the payment tables (sync/write_payments.py); POST
    # /v1/integrations/paypal/sync-transactions starts them. Inbound webhooks are checked offline on
    # receipt (webhooks.py) and confirmed with PayPal before processing acts on them.
    features=("payment_sync", "webhooks"),
    connector="ledgerlink.connectors.paypal.connector:PayPalConnector",
    webhooks="ledgerlink.connectors.paypal.webhooks:WEBHOOKS",
)
