"""The scope vocabulary and what each scope grants."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

RESOURCES = (
    "products",
    "inventory",
    "orders",
    "customers",
    "payments",
    "integrations",
    "webhooks",
    "workflows",
    "ledger",
)
ADMIN = "admin:all"
ALL_SCOPES: frozenset[str] = frozenset(
    [f"{verb}:{res}" for res in RESOURCES for verb in ("read", "write")] + ["read:analytics", ADMIN]
)

# The same vocabulary as a type, so API bodies validate scopes and the OpenAPI document lists them.
Scope: Any = Literal[tuple(sorted(ALL_SCOPES))]


def unknown_scopes(scopes: Iterable[str]) -> list[str]:
    return sorted(s for s in scopes if s not in ALL_SCOPES)


def grants(granted: Iterable[str], needed: str) -> bool:
    """`admin:all` grants everything; `write:x` also grants `read:x`."""
    held = set(granted)
    if ADMIN in held or needed in held:
        return True
    verb, _, resource = needed.partition(":")
    return verb == "read" and f"write:{resource}" in held


def parse_scopes(raw: str | Iterable[str]) -> list[str]:
    items = raw.replace(",", " ").split() if isinstance(raw, str) else list(raw)
    return sorted(set(items))
