"""The official Shopify Admin GraphQL schema: one loader for the connector and the sandbox
(ledgerlink.connectors.shopify.schema), so a process that runs both builds it once."""

from __future__ import annotations

from ledgerlink.connectors.shopify.schema import API_VERSION, SCHEMA_FILE, admin_schema, load_schema, schema_path

__all__ = ["API_VERSION", "SCHEMA_FILE", "admin_schema", "load_schema", "schema_path"]
