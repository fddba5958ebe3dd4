"""Xero (accounting migration)."""

from ledgerlink.connectors.xero.credentials import PROVIDER

__all__ = ["PROVIDER"]
