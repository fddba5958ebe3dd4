"""The simulated Stripe account: Stripe's read API under /v1, and what every request goes through.

Faults first (so a test can throttle or break even an unauthenticated call), then the secret key
(Bearer, or HTTP Basic with the key as user name, as Stripe takes it), then Stripe's per-second read
limit (25 in test mode, 100 in live mode; `/_sandbox/rate-limit` changes it), then the endpoint.
Every answer carries a `Request-Id` and the API version it is rendered in.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import time
from collections.abc import Awaitable, Callable
from functools import cached_property
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ledgerlink.sandbox.dataset import Store
from ledgerlink.sandbox.faults import FaultInjector, control_endpoint
from ledgerlink.sandbox.stripe import errors, params
from ledgerlink.sandbox.stripe.endpoints import LISTS, RETRIEVE
from ledgerlink.sandbox.stripe.errors import StripeError
from ledgerlink.sandbox.stripe.ids import secret_key, token, webhook_secret
from ledgerlink.sandbox.stripe.listing import ListEndpoint
from ledgerlink.sandbox.stripe.objects import API_VERSION, KINDS, expand_all
from ledgerlink.sandbox.stripe.render_balance import balance
from ledgerlink.sandbox.stripe.world import World
from ledgerlink.sandbox.woocommerce.limiter import TokenBucket

READS_PER_SECOND = {"test": 25, "live": 100}
Handler = Callable[[Request], Awaitable[dict[str, Any]]]


def presented_key(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(value.strip(), validate=True).decode().partition(":")[0] or None
        except (binascii.Error, UnicodeDecodeError):
            return None
    return None


class StripeSandbox:
    provider = "stripe"

    def __init__(self, store: Store, mode: str = "test", clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.injector = FaultInjector()
        self.secret_key = secret_key(store.seed)
        self.webhook_secret = webhook_secret(store.seed)
        self.mode = mode
        self.clock = clock
        self.limiter = self._bucket(READS_PER_SECOND[mode])

    @cached_property
    def world(self) -> World:
        return World.build(self.store)

    def credentials(self, mount_url: str) -> dict[str, Any]:
        return {"secretKey": self.secret_key, "webhookEndpointSecret": self.webhook_secret, "apiBaseUrl": mount_url}

    def asgi(self) -> Starlette:
        routes = [Route(e.path, self._serve(self._lister(e)), methods=["GET"]) for e in LISTS]
        routes += [
            Route(f"{path}/{{id}}", self._serve(self._getter(prefix)), methods=["GET"])
            for path, prefix in RETRIEVE.items()
        ]
        routes += [
            Route("/v1/balance", self._serve(self._balance), methods=["GET"]),
            Route("/_sandbox/faults", self._faults, methods=["GET", "POST", "DELETE"]),
            Route("/_sandbox/rate-limit", self._rate_limit, methods=["GET", "POST", "DELETE"]),
            Route("/{path:path}", self._serve(self._unrecognized), methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        ]
        return Starlette(routes=routes)

    # -- the request pipeline ------------------------------------------------------------------

    def _serve(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def serve(request: Request) -> Response:
            try:
                await self._admit(request)
                response: Response = JSONResponse(await handler(request))
            except StripeError as error:
                response = error.response()
            response.headers["Request-Id"] = (
                f"req_{token(self.store.seed, 'request', self.injector.stats.requests, length=14)}"
            )
            response.headers["Stripe-Version"] = API_VERSION
            return response

        return serve

    async def _admit(self, request: Request) -> None:
        """Raises the answer a request gets instead of its own: a fault, a refused key, the rate limit."""
        fault = await self.injector.before(request)
        if fault is not None:
            raise self._as_stripe(fault)
        presented = presented_key(request)
        if presented is None or not hmac.compare_digest(presented.encode(), self.secret_key.encode()):
            raise errors.unauthenticated(presented)
        self.world.serve_malformed = self.injector.faults.malformed
        if self.injector.faults.rate_limits and self.limiter.take():
            self.injector.stats.throttled += 1
            self.injector.stats.over_limit += 1
            raise errors.rate_limited()

    @staticmethod
    def _as_stripe(fault: Response) -> StripeError:
        """An injected fault, told the way Stripe tells it."""
        if fault.status_code == 429:
            return errors.rate_limited()
        if fault.status_code >= 500:
            return errors.api_error(fault.status_code)
        return StripeError(fault.status_code, "The sandbox was told to refuse this request.")

    # -- endpoints ----------------------------------------------------------------------------

    def _lister(self, endpoint: ListEndpoint) -> Handler:
        async def answer(request: Request) -> dict[str, Any]:
            return endpoint.answer(self.world, list(request.query_params.multi_items()))

        return answer

    def _getter(self, prefix: str) -> Handler:
        kind = KINDS[prefix]

        async def answer(request: Request) -> dict[str, Any]:
            query = params.parse(request.query_params.multi_items(), ("expand",))
            object_id = request.path_params["id"]
            fact = kind.find(self.world, object_id)
            if fact is None:
                raise errors.missing(kind.name, object_id)
            obj = kind.render(self.world, fact, self.world.now)
            return expand_all(self.world, obj, params.strings(query, "expand"), self.world.now)

        return answer

    async def _balance(self, request: Request) -> dict[str, Any]:
        params.parse(request.query_params.multi_items(), ("expand",))
        return balance(self.world.balance_transactions.items, self.world.now)

    async def _unrecognized(self, request: Request) -> dict[str, Any]:
        raise StripeError(
            404,
            f"Unrecognized request URL ({request.method}: {request.url.path}). This sandbox serves Stripe's "
            "read API for charges, payment intents, refunds, disputes, balance transactions, payouts and events.",
        )

    # -- sandbox controls ---------------------------------------------------------------------

    async def _faults(self, request: Request) -> Response:
        response = await control_endpoint(self.injector, request)
        if request.method == "DELETE":
            self.limiter.refill()
        return response

    async def _rate_limit(self, request: Request) -> Response:
        """GET the read limit; POST {"mode": "live"} or {"read_per_second": 5}; DELETE: test mode's 25."""
        if request.method == "DELETE":
            self.mode, self.limiter = "test", self._bucket(READS_PER_SECOND["test"])
        elif request.method == "POST":
            try:
                body = json.loads(await request.body() or b"{}")
                mode = body.get("mode", self.mode)
                rate = body.get("read_per_second", READS_PER_SECOND[mode])
                if not isinstance(rate, int) or isinstance(rate, bool) or rate < 1:
                    raise ValueError("read_per_second must be a positive integer")
            except (ValueError, KeyError, AttributeError) as exc:
                return JSONResponse({"error": f"invalid rate limit: {exc}"}, status_code=400)
            self.mode, self.limiter = mode, self._bucket(rate)
        return JSONResponse({"mode": self.mode, "read_per_second": self.limiter.burst})

    def _bucket(self, per_second: int) -> TokenBucket:
        return TokenBucket(rate=float(per_second), burst=per_second, clock=self.clock)
