"""Sync engine: runs that read upstream streams page by page into the canonical model."""
