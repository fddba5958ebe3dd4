"""Amazon Seller Central (Selling Partner API)."""

from ledgerlink.connectors.amazon.credentials import PROVIDER

__all__ = ["PROVIDER"]
