"""A simulated WooCommerce site (WooCommerce REST API v3) serving a `dataset.Store`.

Modules: `app` (the site: routes, auth, host throttle, faults), `routing` (the per-route pipeline),
`wire` (WordPress REST conventions), `orders`/`amounts`/`order_finder` (orders and refunds),
`catalog` (products, variations, stock), `api_*` (the endpoints), `limiter`, `system_status`.
"""

from ledgerlink.sandbox.woocommerce.app import WooCommerceSandbox

__all__ = ["WooCommerceSandbox"]
