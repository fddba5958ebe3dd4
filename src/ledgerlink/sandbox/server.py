"""One HTTP server hosting every simulated platform, each under `/{provider}`."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from ledgerlink.sandbox.dataset import Store
from ledgerlink.sandbox.delivery import Dispatcher
from ledgerlink.sandbox.platform import SandboxPlatform

# provider -> "module:factory"; each factory takes (store) and returns a SandboxPlatform.
PLATFORMS: dict[str, str] = {
    "shopify": "ledgerlink.sandbox.shopify:ShopifySandbox",
    "woocommerce": "ledgerlink.sandbox.woocommerce:WooCommerceSandbox",
    "bigcommerce": "ledgerlink.sandbox.bigcommerce:BigCommerceSandbox",
    "stripe": "ledgerlink.sandbox.stripe:StripeSandbox",
    "paypal": "ledgerlink.sandbox.paypal:PayPalSandbox",
    "amazon": "ledgerlink.sandbox.amazon:AmazonSandbox",
}


# Platforms that send webhooks: their factories also take `dispatcher=` (the server's one sender).
WEBHOOK_SENDERS = frozenset({"shopify", "woocommerce", "bigcommerce"})


def load_platform(provider: str) -> Callable[..., SandboxPlatform]:
    module_name, _, attr = PLATFORMS[provider].partition(":")
    factory: Callable[..., SandboxPlatform] = getattr(importlib.import_module(module_name), attr)
    return factory


def build_platforms(
    orders: int,
    seed: int,
    providers: list[str] | None = None,
    malformed_every: int = 997,
    dispatcher: Dispatcher | None = None,
) -> dict[str, SandboxPlatform]:
    """Each platform gets its own store (same seed, so the same catalogue and orders); they share one
    webhook dispatcher, so one queue, one HTTP client and one time scale serve them all."""
    dispatcher = dispatcher or Dispatcher()
    platforms: dict[str, SandboxPlatform] = {}
    for provider in providers or list(PLATFORMS):
        store = Store(seed=seed, orders_count=orders, malformed_every=malformed_every)
        factory = load_platform(provider)
        platforms[provider] = factory(store, dispatcher=dispatcher) if provider in WEBHOOK_SENDERS else factory(store)
    return platforms


def build_app(platforms: dict[str, SandboxPlatform]) -> Starlette:
    async def index(request: Any) -> JSONResponse:
        return JSONResponse({p: platform.store.counts() for p, platform in platforms.items()})

    routes = [Route("/", index)]
    routes += [Mount(f"/{provider}", app=platform.asgi()) for provider, platform in platforms.items()]
    return Starlette(routes=routes)


def announcement(platforms: dict[str, SandboxPlatform], base_url: str) -> dict[str, Any]:
    """The JSON line `ledgerlink sandbox` prints once it listens."""
    return {
        provider: {"credentials": platform.credentials(f"{base_url}/{provider}"), "counts": platform.store.counts()}
        for provider, platform in platforms.items()
    }
