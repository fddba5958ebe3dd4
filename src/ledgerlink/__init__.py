"""ledgerlink: a self-hosted commerce integration hub."""

__version__ = "0.1.0"
