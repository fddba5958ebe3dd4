"""Shopify (GraphQL Admin API)."""

from ledgerlink.connectors.shopify.credentials import PROVIDER

__all__ = ["PROVIDER"]
