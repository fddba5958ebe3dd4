"""The BigCommerce simulator: the v2/v3 REST API under `/stores/{store_hash}/…`, rendering one `dataset.Store`.

Auth by `X-Auth-Token`, BigCommerce's windowed request quota with its `X-Rate-Limit-*` headers, v2
order documents (RFC 2822 dates, money as 4-decimal strings, 204 on empty pages), v3 catalog,
customers, inventory and refunds with `meta.pagination`, and BigCommerce's error bodies.
"""

from ledgerlink.sandbox.bigcommerce.app import BigCommerceSandbox

__all__ = ["BigCommerceSandbox"]
