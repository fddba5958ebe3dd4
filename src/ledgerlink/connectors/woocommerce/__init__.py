"""WooCommerce (REST API v3)."""

from ledgerlink.connectors.woocommerce.credentials import PROVIDER

__all__ = ["PROVIDER"]
