"""Simulated upstream platforms (Shopify, WooCommerce, BigCommerce, …) serving one deterministic store.

Part of the product: `ledgerlink sandbox` and `ledgerlink demo` run them, and the tests use them over
real sockets. Each platform module renders the same `dataset.Store` in its own API's shape, with its
real paths, auth, pagination, rate limits and error bodies.
"""
