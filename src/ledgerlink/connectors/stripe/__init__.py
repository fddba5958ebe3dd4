"""Stripe (payments, refunds, disputes, balance transactions, payouts)."""

from ledgerlink.connectors.stripe.credentials import PROVIDER

__all__ = ["PROVIDER"]
