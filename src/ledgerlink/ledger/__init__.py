"""The double-entry ledger's domain (no HTTP, no database): accounts, entries, posting rules, reports."""
