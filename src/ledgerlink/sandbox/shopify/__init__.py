"""A simulated Shopify Admin GraphQL API (2026-10) over the sandbox's deterministic store.

Queries are parsed and validated against Shopify's official schema and executed with resolvers that
render the dataset; cost-based throttling, bulk operations, inventory mutations and webhook
subscriptions behave as Shopify documents them. See sandbox.py for the entry point.
"""

from ledgerlink.sandbox.shopify.sandbox import ShopifySandbox

__all__ = ["ShopifySandbox"]
