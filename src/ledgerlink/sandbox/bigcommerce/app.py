"""The BigCommerce sandbox: routes, and what every API request goes through (faults, auth, quota)."""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ledgerlink.sandbox.bigcommerce import catalog, customers, hooks, inventory, orders, refunds, store_info
from ledgerlink.sandbox.bigcommerce.context import Context, Identity
from ledgerlink.sandbox.bigcommerce.hook_delivery import BigCommerceWebhooks
from ledgerlink.sandbox.bigcommerce.ratelimit import QuotaState, WindowedQuota
from ledgerlink.sandbox.bigcommerce.responses import (
    JSON,
    Api,
    ApiError,
    NotFound,
    error_body,
    error_response,
    status_error,
)
from ledgerlink.sandbox.bigcommerce.routing import ApiRoute
from ledgerlink.sandbox.bigcommerce.touch import touch_changes
from ledgerlink.sandbox.dataset import Store
from ledgerlink.sandbox.delivery import Dispatcher
from ledgerlink.sandbox.faults import FaultInjector, control_endpoint
from ledgerlink.sandbox.webhook_controls import webhook_control_routes

API_ROUTES: list[ApiRoute] = [
    *orders.ROUTES,
    *refunds.ROUTES,
    *catalog.ROUTES,
    *customers.ROUTES,
    *inventory.ROUTES,
    *store_info.ROUTES,
    *hooks.ROUTES,
]


UNAUTHORIZED = "Unauthorized: the store hash or the X-Auth-Token is not valid."


def _api_of(path: str) -> Api:
    return "v2" if "/v2/" in path else "v3"


class BigCommerceSandbox:
    """One simulated BigCommerce store. `quota` requests per `window_ms` (BigCommerce's default plan:
    150 per 30 s) when `injector.faults.rate_limits` is on; `clock` (seconds) drives the window;
    `dispatcher` sends the hooks' webhooks (one is shared by all platforms of a server)."""

    provider = "bigcommerce"

    def __init__(
        self,
        store: Store,
        quota: int = 150,
        window_ms: int = 30_000,
        clock: Callable[[], float] = time.monotonic,
        dispatcher: Dispatcher | None = None,
    ):
        self.store = store
        self.identity = Identity.for_seed(store.seed)
        self.limiter = WindowedQuota(quota, window_ms, clock)
        self.plan = (quota, window_ms)  # what `DELETE /_sandbox/rate-limit` goes back to
        self.ctx = Context(store, FaultInjector(), self.identity)
        self.dispatcher = dispatcher or Dispatcher()
        self.publisher = BigCommerceWebhooks(self.ctx, self.dispatcher)

    @property
    def injector(self) -> FaultInjector:
        return self.ctx.injector

    @injector.setter
    def injector(self, value: FaultInjector) -> None:
        self.ctx.injector = value

    def credentials(self, mount_url: str) -> dict[str, Any]:
        return {
            "storeHash": self.identity.store_hash,
            "accessToken": self.identity.access_token,
            "clientId": self.identity.client_id,
            "clientSecret": self.identity.client_secret,
            "apiBaseUrl": mount_url,
        }

    def asgi(self) -> Starlette:
        routes = [Route(f"/stores/{{store_hash}}{r.path}", self._endpoint(r), methods=[r.method]) for r in API_ROUTES]
        routes += [
            Route("/_sandbox/faults", self._faults, methods=["GET", "POST", "DELETE"]),
            Route("/_sandbox/rate-limit", self._rate_limit, methods=["GET", "POST", "DELETE"]),
            Route("/_sandbox/orders/{order_id}/touch", self._touch, methods=["POST"]),
            *webhook_control_routes("bigcommerce", self.dispatcher, self.publisher.trigger),
        ]
        return Starlette(routes=routes, exception_handlers={HTTPException: self._http_error})

    def _endpoint(self, route: ApiRoute) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            return await self._serve(request, route)

        return endpoint

    async def _serve(self, request: Request, route: ApiRoute) -> Response:
        """Faults first, then the token, then the quota; every answer carries the quota headers."""
        status = self.injector.faults.error_status
        fault = await self.injector.before(request, error_body(route.api, status, HTTPStatus(status).phrase))
        if fault is not None:
            return self._fault(fault)
        if not self._authorized(request):
            return self.limiter.peek().apply(status_error("v3", 401, UNAUTHORIZED))
        quota = self.limiter.take() if self.injector.faults.rate_limits else self.limiter.unlimited()
        if not quota.allowed:
            self.injector.stats.over_limit += 1
            self.injector.stats.throttled += 1
            return quota.apply(self._too_many())
        try:
            response = await route.handler(self.ctx, request)
        except ApiError as exc:
            response = error_response(exc, route.api)
        return quota.apply(response)

    def _authorized(self, request: Request) -> bool:
        token = request.headers.get("x-auth-token", "")
        return request.path_params.get("store_hash") == self.identity.store_hash and hmac.compare_digest(
            token.encode(), self.identity.access_token.encode()
        )

    def _fault(self, fault: Response) -> Response:
        if fault.status_code == 429:  # a forced throttle, told the way BigCommerce tells it
            state = self.limiter.peek()
            return QuotaState(False, 0, state.quota, state.reset_ms, state.window_ms).apply(self._too_many())
        return self.limiter.peek().apply(fault)

    @staticmethod
    def _too_many() -> Response:
        return status_error("v3", 429, "You have exceeded the number of requests allowed in the time window.")

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        return status_error(_api_of(request.url.path), status)

    async def _faults(self, request: Request) -> Response:
        response = await control_endpoint(self.injector, request)
        if request.method == "DELETE":
            self.limiter.reset()
        return response

    async def _rate_limit(self, request: Request) -> Response:
        """Sandbox control: GET the quota; POST {"quota": 30, "window_ms": 3000} to change it (a fresh
        window starts); DELETE to go back to the constructor's numbers."""
        if request.method == "DELETE":
            self.limiter.configure(*self.plan)
        elif request.method == "POST":
            try:
                body = json.loads(await request.body() or b"{}")
                current = self.limiter.settings()
                quota, window_ms = body.get("quota", current["quota"]), body.get("window_ms", current["window_ms"])
                if not all(isinstance(v, int) and not isinstance(v, bool) for v in (quota, window_ms)):
                    raise ValueError("quota and window_ms must be integers")
                self.limiter.configure(quota, window_ms)
            except (ValueError, AttributeError) as exc:
                return JSONResponse({"error": f"invalid rate limit: {exc}"}, status_code=400)
        return JSONResponse(self.limiter.settings())

    async def _touch(self, request: Request) -> Response:
        """Sandbox control: change an order now (or at `at`) and answer its new v2 document."""
        order_id = str(request.path_params["order_id"])
        order = self.store.order_by_id(int(order_id)) if order_id.isdigit() else None
        if order is None:
            return error_response(NotFound(), "v2")
        raw = await request.body()
        try:
            changes, at = touch_changes(order, json.loads(raw) if raw.strip() else {})
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        updated = self.store.touch_order(order.id, at=at, **changes)
        return JSON(self.ctx.order_doc(updated, request))
