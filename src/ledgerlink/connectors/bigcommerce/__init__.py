"""BigCommerce (v2 orders, v3 catalog/customers/inventory)."""

from ledgerlink.connectors.bigcommerce.credentials import PROVIDER

__all__ = ["PROVIDER"]
