"""Webhooks: inbound (upstream platforms -> ledgerlink) and outbound (ledgerlink -> subscribers)."""
