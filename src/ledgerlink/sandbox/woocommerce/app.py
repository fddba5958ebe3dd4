"""The simulated WooCommerce site: WooCommerce REST API v3 under /wp-json/wc/v3, behind a throttling host."""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from ledgerlink.sandbox.dataset import Store
from ledgerlink.sandbox.delivery import Dispatcher
from ledgerlink.sandbox.faults import FaultInjector, control_endpoint
from ledgerlink.sandbox.webhook_controls import webhook_control_routes
from ledgerlink.sandbox.woocommerce.api_catalog import CatalogAPI
from ledgerlink.sandbox.woocommerce.api_customers import CustomersAPI
from ledgerlink.sandbox.woocommerce.api_orders import OrdersAPI
from ledgerlink.sandbox.woocommerce.api_refunds import RefundsAPI
from ledgerlink.sandbox.woocommerce.api_webhooks import WebhooksAPI
from ledgerlink.sandbox.woocommerce.catalog import Catalog
from ledgerlink.sandbox.woocommerce.limiter import TokenBucket
from ledgerlink.sandbox.woocommerce.order_finder import OrderFinder
from ledgerlink.sandbox.woocommerce.orders import OrderRenderer
from ledgerlink.sandbox.woocommerce.routing import Endpoint, permission_error
from ledgerlink.sandbox.woocommerce.system_status import system_status
from ledgerlink.sandbox.woocommerce.webhook_delivery import WooWebhooks
from ledgerlink.sandbox.woocommerce.webhooks import WebhookStore
from ledgerlink.sandbox.woocommerce.wire import API_PREFIX, WooError, critical_error, no_route, respond, site_url

ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def key_pair(seed: int) -> tuple[str, str]:
    """The store's REST API key, the same for every run with the same seed."""

    def digest(part: str) -> str:
        return hashlib.sha1(f"woocommerce:{seed}:{part}".encode()).hexdigest()

    return "ck_" + digest("consumer_key"), "cs_" + digest("consumer_secret")


def presented_credentials(request: Request) -> tuple[str, str] | None:
    """`consumer_key`/`consumer_secret` query parameters first, then HTTP Basic, as WooCommerce reads them."""
    key, secret = request.query_params.get("consumer_key"), request.query_params.get("consumer_secret")
    if key and secret:
        return key, secret
    return basic_credentials(request.headers.get("authorization", ""))


@functools.lru_cache(maxsize=64)  # a client sends the same header with every request
def basic_credentials(authorization: str) -> tuple[str, str] | None:
    """The user and password of an HTTP Basic `Authorization` header (None for anything else)."""
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if user and password else None


class WooCommerceSandbox:
    provider = "woocommerce"

    def __init__(self, store: Store, rate: float = 25.0, burst: int = 50, dispatcher: Dispatcher | None = None) -> None:
        self.store = store
        self.injector = FaultInjector()
        self.limiter = TokenBucket(rate, burst)
        self.consumer_key, self.consumer_secret = key_pair(store.seed)
        self.catalog = Catalog(store)
        self.renderer = OrderRenderer(self.catalog, self.injector)
        self.finder = OrderFinder(store)
        self.orders = OrdersAPI(store, self.finder, self.renderer)
        self.refunds = RefundsAPI(store, self.renderer)
        self.products = CatalogAPI(self.catalog)
        self.customers = CustomersAPI(store)
        self.dispatcher = dispatcher or Dispatcher()
        self.webhooks = WebhookStore()
        self.publisher = WooWebhooks(self.webhooks, self.dispatcher, self.renderer, self.catalog, self.customers)
        self.webhooks_api = WebhooksAPI(self.webhooks, self.publisher)

    def credentials(self, mount_url: str) -> dict[str, Any]:
        return {
            "siteUrl": mount_url,
            "consumerKey": self.consumer_key,
            "consumerSecret": self.consumer_secret,
            "apiBaseUrl": mount_url,
        }

    def asgi(self) -> ASGIApp:
        endpoints = [
            *self.orders.endpoints(),
            *self.refunds.endpoints(),
            *self.products.endpoints(),
            *self.customers.endpoints(),
            *self.webhooks_api.endpoints(),
            Endpoint("/system_status", "list", self._system_status),
        ]
        routes = [Route(API_PREFIX + e.path, self._handler(e), methods=list(e.methods)) for e in endpoints]
        routes += [
            Route("/_sandbox/faults", self._faults, methods=["GET", "POST", "DELETE"]),
            Route("/_sandbox/orders/{order_id:int}/touch", self.orders.touch, methods=["POST"]),
            *webhook_control_routes("woocommerce", self.dispatcher, self.publisher.trigger),
            Route("/wp-json/{path:path}", self._no_route, methods=ALL_METHODS),
        ]
        return Starlette(routes=routes)

    # -- the request pipeline ------------------------------------------------------------------

    async def _host(self, request: Request) -> Response | None:
        """What happens before WordPress runs: injected faults, then the host's throttle."""
        early = await self.injector.before(request, critical_error(self.injector.faults.error_status))
        if early is not None or not self.injector.faults.rate_limits:
            return early
        wait = self.limiter.take()
        if not wait:
            return None
        self.injector.stats.throttled += 1
        self.injector.stats.over_limit += 1
        return self.injector.throttled_response(float(wait))

    def _authenticated(self, request: Request) -> bool:
        """False for no or unknown key (the route's permission check refuses later); a known key with
        the wrong secret fails at once, like WooCommerce's basic authentication."""
        presented = presented_credentials(request)
        if presented is None or not hmac.compare_digest(presented[0], self.consumer_key):
            return False
        if not hmac.compare_digest(presented[1], self.consumer_secret):
            raise WooError(401, "woocommerce_rest_authentication_error", "Consumer secret is invalid.")
        return True

    def _handler(self, endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            if self.injector.faults.lacks(endpoint.path):
                return await self._no_route(request)
            if (early := await self._host(request)) is not None:
                return early
            try:
                authenticated = self._authenticated(request)
                args = await endpoint.parse(request)
                if not authenticated:
                    raise permission_error(endpoint.permission)
                return await endpoint.run(request, args)
            except WooError as error:
                return error.response()

        return handle

    async def _no_route(self, request: Request) -> Response:
        if (early := await self._host(request)) is not None:
            return early
        try:
            self._authenticated(request)
            raise no_route()
        except WooError as error:
            return error.response()

    async def _faults(self, request: Request) -> Response:
        response = await control_endpoint(self.injector, request)
        if request.method == "DELETE":
            self.limiter.refill()  # a reset starts from a rested host, as every sandbox's does
        return response

    async def _system_status(self, request: Request, _: None) -> Response:
        return respond(request, system_status(self.store, site_url(request)))
