"""QuickBooks Online (migration of accounts, customers and transactions)."""

from ledgerlink.connectors.quickbooks.credentials import PROVIDER

__all__ = ["PROVIDER"]
