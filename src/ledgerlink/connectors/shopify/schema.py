"""The official Shopify Admin GraphQL schema (introspection JSON), loaded once per process on first use.

The file is Shopify's own introspection result for API version 2026-10 (shipped as package data next to
the Shopify sandbox; `LEDGERLINK_SHOPIFY_SCHEMA` points elsewhere). The connector needs it to price its
queries as Shopify does, the sandbox to execute them. Building it takes most of a second, hence the cache.
"""

from __future__ import annotations

import gzip
import json
import os
import threading
from pathlib import Path

from graphql import GraphQLSchema, build_client_schema, validate_schema

API_VERSION = "2026-10"
SCHEMA_FILE = Path(__file__).resolve().parents[2] / "sandbox" / "shopify" / f"admin_{API_VERSION}.json.gz"

# Shopify's schema deprecates some fields that implement non-deprecated interface fields, which the
# newest GraphQL spec (and graphql-core 3.3) flags; it is harmless for execution, so only that rule is waived.
_TOLERATED = "is not deprecated, so implementation field"

_lock = threading.Lock()
_schema: GraphQLSchema | None = None


def schema_path() -> Path:
    return Path(os.environ.get("LEDGERLINK_SHOPIFY_SCHEMA") or SCHEMA_FILE)


def load_schema(path: Path) -> GraphQLSchema:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        introspection = json.load(fh)
    schema = build_client_schema(introspection.get("data", introspection))
    errors = [error for error in validate_schema(schema) if _TOLERATED not in error.message]
    if errors:
        raise TypeError("\n".join(error.message for error in errors))
    schema._validation_errors = []  # mark as validated, the tolerated findings aside
    return schema


def admin_schema() -> GraphQLSchema:
    """The 2026-10 Admin schema, built on first call and shared by everything in the process."""
    global _schema
    with _lock:
        if _schema is None:
            _schema = load_schema(schema_path())
        return _schema
