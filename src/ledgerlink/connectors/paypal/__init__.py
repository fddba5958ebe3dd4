"""PayPal (transaction search, webhooks)."""

from ledgerlink.connectors.paypal.credentials import PROVIDER

__all__ = ["PROVIDER"]
