"""Helpers shared by the providers' credential schemas."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse


def host_of(value: str) -> str:
    """`https://shop.example.com/x` or `shop.example.com` -> `shop.example.com`."""
    parsed = urlparse(value if "://" in value else f"https://{value}")
    return (parsed.hostname or "").lower()


def rename(creds: dict[str, Any], renames: dict[str, str]) -> dict[str, Any]:
    """Seed 002's generic names onto a provider's own; names the provider already uses pass through."""
    return {renames.get(k, k): v for k, v in creds.items()}
