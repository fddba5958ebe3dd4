"""The simulated PayPal account: the REST paths a connector uses, and what every request goes through.

Faults first (a test can throttle or break any call), then authentication (HTTP Basic client
credentials at the token endpoint, a live bearer token everywhere else), then the request rate
(PayPal publishes no figure; the sandbox allows `per_second`), then the endpoint. Every answer
carries a `Paypal-Debug-Id`. `/_sandbox/settings` shortens token lifetimes, expires every token,
rotates the client secret, changes the rate and the search's result limit.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ledgerlink.sandbox.dataset import Store
from ledgerlink.sandbox.faults import FaultInjector, control_endpoint
from ledgerlink.sandbox.paypal import disputes as dispute_api
from ledgerlink.sandbox.paypal import ids
from ledgerlink.sandbox.paypal.disputes import Dispute, disputes
from ledgerlink.sandbox.paypal.errors import PayPalError, invalid_body, rate_limited
from ledgerlink.sandbox.paypal.facts import Transaction
from ledgerlink.sandbox.paypal.history import transactions
from ledgerlink.sandbox.paypal.hooks import Signer
from ledgerlink.sandbox.paypal.oauth import LIFETIME, Issuer
from ledgerlink.sandbox.paypal.search import KNOWN, MAX_RESULTS, Search, answer
from ledgerlink.sandbox.woocommerce.limiter import TokenBucket

PER_SECOND = 40
EVENT_HOST = "https://api-m.sandbox.paypal.com"  # the host PayPal's own links in an event name
Handler = Callable[[Request], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Ledger:
    transactions: list[Transaction]  # by initiation time
    starts: list[datetime]
    by_id: dict[str, Transaction]
    refreshed: datetime  # the account's present: the last thing that happened
    disputes: list[Dispute]  # newest created first

    @classmethod
    def build(cls, store: Store) -> Ledger:
        made = transactions(store)
        moments = [t.updated for t in made] + [t.initiated for t in made]
        present = max(moments, default=store.start)
        found = disputes(store.seed, made, present)
        return cls(made, [t.initiated for t in made], {t.id: t for t in made}, present, found)


class PayPalSandbox:
    provider = "paypal"

    def __init__(
        self, store: Store, clock: Callable[[], float] = time.time, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.store = store
        self.injector = FaultInjector()
        self.issuer = Issuer(store.seed, clock=clock)
        self.signer = Signer(store.seed)
        self.max_results = MAX_RESULTS
        self.monotonic = monotonic
        self.limiter = TokenBucket(rate=PER_SECOND, burst=PER_SECOND, clock=monotonic)

    @cached_property
    def ledger(self) -> Ledger:
        return Ledger.build(self.store)

    def credentials(self, mount_url: str) -> dict[str, Any]:
        return {
            "clientId": self.issuer.client_id,
            "clientSecret": self.issuer.client_secret,
            "environment": "sandbox",
            "webhookId": self.signer.webhook_id,
            "apiBaseUrl": mount_url,
        }

    def asgi(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/oauth2/token", self._serve(self._token, bearer=False), methods=["POST"]),
                Route("/v1/reporting/transactions", self._serve(self._search), methods=["GET"]),
                Route("/v1/customer/disputes", self._serve(self._disputes), methods=["GET"]),
                Route("/v1/customer/disputes/{dispute_id}", self._serve(self._dispute), methods=["GET"]),
                Route("/v1/notifications/verify-webhook-signature", self._serve(self._verify_hook), methods=["POST"]),
                Route("/_sandbox/faults", self._faults, methods=["GET", "POST", "DELETE"]),
                Route("/_sandbox/settings", self._settings, methods=["GET", "POST", "DELETE"]),
                Route("/_sandbox/webhooks", self._delivery, methods=["POST"]),
                Route("/{path:path}", self._serve(self._unknown), methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
            ]
        )

    # -- the request pipeline ------------------------------------------------------------------

    def _serve(self, handler: Handler, *, bearer: bool = True) -> Callable[[Request], Awaitable[Response]]:
        async def serve(request: Request) -> Response:
            debug_id = ids.debug_id(self.store.seed, self.injector.stats.requests)
            try:
                await self._admit(request, bearer)
                response: Response = JSONResponse(await handler(request))
            except PayPalError as error:
                response = error.response(debug_id)
            response.headers["Paypal-Debug-Id"] = debug_id
            return response

        return serve

    async def _admit(self, request: Request, bearer: bool) -> None:
        fault = await self.injector.before(request)
        if fault is not None:
            raise rate_limited() if fault.status_code == 429 else PayPalError(fault.status_code)
        if bearer:
            self.issuer.check(request.headers.get("authorization", ""))
        if self.injector.faults.rate_limits and (wait := self.limiter.take()):
            self.injector.stats.throttled += 1
            self.injector.stats.over_limit += 1
            raise rate_limited(wait)

    # -- endpoints ----------------------------------------------------------------------------

    async def _token(self, request: Request) -> dict[str, Any]:
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        return self.issuer.grant(request.headers.get("authorization", ""), fields)

    async def _search(self, request: Request) -> dict[str, Any]:
        query = dict(request.query_params)
        search = Search.parse({k: v for k, v in query.items() if k in KNOWN})
        ledger = self.ledger
        return answer(
            search,
            ledger.transactions,
            ledger.starts,
            account=ids.account_number(self.store.seed),
            refreshed=ledger.refreshed,
            url=str(request.url).split("?", 1)[0],
            query=query,
            max_results=self.max_results,
            malformed=self.injector.faults.malformed,
        )

    async def _disputes(self, request: Request) -> dict[str, Any]:
        query = {k: v for k, v in request.query_params.items() if k in dispute_api.KNOWN}
        return dispute_api.listing(self.ledger.disputes, query, str(request.url).split("?", 1)[0])

    async def _dispute(self, request: Request) -> dict[str, Any]:
        wanted = request.path_params["dispute_id"]
        return dispute_api.one(self.ledger.disputes, wanted, str(request.url).split("?", 1)[0])

    async def _verify_hook(self, request: Request) -> dict[str, Any]:
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            raise invalid_body("/", "MALFORMED_REQUEST_JSON", "The request body is not JSON.") from None
        return self.signer.verify(body)

    async def _unknown(self, request: Request) -> dict[str, Any]:
        raise PayPalError(404)

    # -- sandbox controls ---------------------------------------------------------------------

    async def _faults(self, request: Request) -> Response:
        response = await control_endpoint(self.injector, request)
        if request.method == "DELETE":
            self.limiter.refill()
        return response

    async def _settings(self, request: Request) -> Response:
        """GET: the account's settings and counters. POST any of `expires_in` (seconds new tokens live),
        `max_results`, `per_second`, `expire_tokens: true`, `rotate_secret: true`. DELETE: defaults."""
        if request.method == "DELETE":
            self.issuer.lifetime, self.issuer.generation, self.max_results = LIFETIME, 0, MAX_RESULTS
            self.limiter = TokenBucket(rate=PER_SECOND, burst=PER_SECOND, clock=self.monotonic)
        elif request.method == "POST":
            try:
                self.configure(**json.loads(await request.body() or b"{}"))
            except (TypeError, ValueError) as exc:
                return JSONResponse({"error": f"invalid settings: {exc}"}, status_code=400)
        return JSONResponse(self.settings())

    def configure(
        self,
        expires_in: int | None = None,
        max_results: int | None = None,
        per_second: int | None = None,
        expire_tokens: bool = False,
        rotate_secret: bool = False,
    ) -> None:
        for name, number in (("expires_in", expires_in), ("max_results", max_results), ("per_second", per_second)):
            if number is not None and (not isinstance(number, int) or isinstance(number, bool) or number < 1):
                raise ValueError(f"{name} must be a positive integer")
        if expires_in is not None:
            self.issuer.lifetime = expires_in
        if max_results is not None:
            self.max_results = max_results
        if per_second is not None:
            self.limiter = TokenBucket(rate=float(per_second), burst=per_second, clock=self.monotonic)
        if expire_tokens:
            self.issuer.expire_all()
        if rotate_secret:
            self.issuer.rotate_secret()

    def settings(self) -> dict[str, Any]:
        return {
            "expires_in": self.issuer.lifetime,
            "max_results": self.max_results,
            "per_second": self.limiter.burst,
            "tokens_issued": self.issuer.issued,
            "secret_generation": self.issuer.generation,
            "transactions": len(self.ledger.transactions),
        }

    async def _delivery(self, request: Request) -> Response:
        """POST {"transaction_id"}: a signed delivery of that payment's (or refund's) event; or
        {"dispute_id"}: of that dispute's latest event (CUSTOMER.DISPUTE.CREATED, or …RESOLVED). As
        {"headers", "body"}, for posting to the hub's inbound webhook endpoint."""
        try:
            wanted = json.loads(await request.body() or b"{}")
            if "dispute_id" in wanted:
                found = next(d for d in self.ledger.disputes if d.id == wanted["dispute_id"])
                resource = dispute_api.detail(found, f"{EVENT_HOST}/v1/customer/disputes/{found.id}")
                event = self.signer.dispute_event(resource, resolved=found.resolved is not None)
            else:
                event = self.signer.event(self.ledger.by_id[wanted["transaction_id"]])
            headers, body = self.signer.delivery(event)
        except (KeyError, TypeError, ValueError, StopIteration) as exc:
            return JSONResponse({"error": f"no webhook for that: {exc!r}"}, status_code=400)
        return JSONResponse({"headers": headers, "body": body.decode()})
