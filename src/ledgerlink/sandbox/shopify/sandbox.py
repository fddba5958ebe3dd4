"""ShopifySandbox: the simulated Shopify Admin GraphQL API for one deterministic store."""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp

from ledgerlink.sandbox.dataset import Store
from ledgerlink.sandbox.delivery import Dispatcher
from ledgerlink.sandbox.faults import FaultInjector
from ledgerlink.sandbox.shopify.app import build_app
from ledgerlink.sandbox.shopify.cost import LeakyBucket
from ledgerlink.sandbox.shopify.executor import execute_document
from ledgerlink.sandbox.shopify.state import ShopState
from ledgerlink.sandbox.shopify.webhook_delivery import ShopifyWebhooks


class ShopifySandbox:
    """Mounted at `/shopify`, standing for `https://{shop}.myshopify.com`.

    `maximum_available`/`restore_rate` size the cost bucket (Shopify's Advanced plan by default);
    `require_idempotency` enforces the 2026-04 rule that inventory mutations carry `@idempotent(key:)`;
    `dispatcher` sends the webhooks of every subscription (one is shared by all platforms of a server).
    """

    provider = "shopify"

    def __init__(
        self,
        store: Store,
        *,
        maximum_available: float = 2000,
        restore_rate: float = 100,
        require_idempotency: bool = True,
        injector: FaultInjector | None = None,
        dispatcher: Dispatcher | None = None,
    ) -> None:
        self.store = store
        self.injector = injector or FaultInjector()
        self.state = ShopState(store, execute_document)
        self.state.inventory.require_idempotency = require_idempotency
        self.bucket = LeakyBucket(maximum_available, restore_rate)
        self.bucket_size = (maximum_available, restore_rate)  # what DELETE /_sandbox/throttle restores
        self.dispatcher = dispatcher or Dispatcher()
        self.publisher = ShopifyWebhooks(self.state, self.dispatcher)

    @property
    def shop_domain(self) -> str:
        return self.state.identity.domain

    @property
    def access_token(self) -> str:
        return self.state.identity.access_token

    def asgi(self) -> ASGIApp:
        return build_app(self)

    def credentials(self, mount_url: str) -> dict[str, Any]:
        identity = self.state.identity
        return {
            "shopDomain": identity.domain,
            "accessToken": identity.access_token,
            "webhookSecret": identity.webhook_secret,
            "apiBaseUrl": mount_url,
        }
