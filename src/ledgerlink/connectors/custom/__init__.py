"""User-declared connectors (JSON), built from the same parts as the built-in ones."""

from ledgerlink.connectors.custom.credentials import PROVIDER

__all__ = ["PROVIDER"]
