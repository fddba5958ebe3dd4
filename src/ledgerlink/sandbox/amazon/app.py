"""The simulated Amazon seller: Login with Amazon's token endpoint and the Selling Partner API
operations a connector reads (Orders v0, Finances v0 with its financial event groups, FBA Inventory v1,
Sellers v1).

Every SP-API request goes through, in order: injected faults; the access token (`x-amz-access-token`,
one LWA issued and not expired, else 403 Unauthorized); the operation's usage plan (a token bucket per
operation, 429 QuotaExceeded when empty); then the operation. Answers carry `x-amzn-RequestId` and the
plan's rate in `x-amzn-RateLimit-Limit`. One region endpoint serves every marketplace of the seller.
"""

from __future__ import annotations

import bisect
import json
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ledgerlink.sandbox.amazon import errors, finances, ids, inventory, order_query, paging, settlements
from ledgerlink.sandbox.amazon.errors import SpApiError, invalid
from ledgerlink.sandbox.amazon.limits import RATE_HEADER, UsagePlans
from ledgerlink.sandbox.amazon.lwa import LoginWithAmazon
from ledgerlink.sandbox.amazon.marketplaces import HOME, MARKETPLACES
from ledgerlink.sandbox.amazon.order_query import LATENCY, OrdersQuery, check_known, csv, page_size, parse_time
from ledgerlink.sandbox.amazon.orders import AmazonOrder, render_item, render_order
from ledgerlink.sandbox.dataset import Store
from ledgerlink.sandbox.faults import FaultInjector, control_endpoint

Handler = Callable[[Request], Awaitable[dict[str, Any]]]
FINANCES_WINDOW = timedelta(days=180)  # a wider PostedAfter..PostedBefore answers nothing
INVENTORY_HISTORY = timedelta(days=548)  # startDateTime may go back 18 months, no further
SETTINGS = ("order_items_page_size", "inventory_page_size")


class AmazonSandbox:
    provider = "amazon"

    def __init__(self, store: Store, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store = store
        self.now = now
        self.injector = FaultInjector()
        self.plans = UsagePlans()
        self.seller_id = ids.seller_id(store.seed)
        self.lwa = LoginWithAmazon(
            ids.client_id(store.seed), ids.secret(store.seed, "client-secret"), "Atzr|" + ids.secret(store.seed, "rt")
        )
        self.participating = {m.id for m in MARKETPLACES}
        self.settings = {"order_items_page_size": 100, "inventory_page_size": 50}
        self.calls: Counter[str] = Counter()
        self.throttled: Counter[str] = Counter()

    @cached_property
    def events(self) -> list[finances.Event]:
        return finances.build(self.store)

    @cached_property
    def posted(self) -> list[datetime]:
        return [e.posted for e in self.events]

    @cached_property
    def groups(self) -> list[settlements.Group]:
        return settlements.build(self.events, self.store.seed, self.now())

    def credentials(self, mount_url: str) -> dict[str, Any]:
        return {
            "sellerId": self.seller_id,
            "marketplaceId": HOME.id,
            "marketplaceIds": [m.id for m in MARKETPLACES],
            "region": "na",
            "lwaClientId": self.lwa.client_id,
            "lwaClientSecret": self.lwa.client_secret,
            "refreshToken": self.lwa.refresh_token,
            "apiBaseUrl": mount_url,
            "lwaEndpoint": f"{mount_url}/auth/o2/token",
        }

    def asgi(self) -> Starlette:
        operations: list[tuple[str, str, Handler]] = [
            ("/orders/v0/orders", "getOrders", self._orders),
            ("/orders/v0/orders/{orderId}", "getOrder", self._order),
            ("/orders/v0/orders/{orderId}/orderItems", "getOrderItems", self._order_items),
            ("/finances/v0/financialEvents", "listFinancialEvents", self._financial_events),
            ("/finances/v0/financialEventGroups", "listFinancialEventGroups", self._event_groups),
            (
                "/finances/v0/financialEventGroups/{eventGroupId}/financialEvents",
                "listFinancialEventsByGroupId",
                self._group_events,
            ),
            ("/fba/inventory/v1/summaries", "getInventorySummaries", self._inventory),
            ("/sellers/v1/marketplaceParticipations", "getMarketplaceParticipations", self._participations),
        ]
        routes = [Route(path, self._serve(op, handler), methods=["GET"]) for path, op, handler in operations]
        routes += [
            Route("/auth/o2/token", self.lwa.token_endpoint, methods=["POST"]),
            Route("/_sandbox/faults", self._faults, methods=["GET", "POST", "DELETE"]),
            Route("/_sandbox/rate-limits", self._rate_limits, methods=["GET", "POST", "DELETE"]),
            Route("/_sandbox/lwa", self.lwa.control, methods=["GET", "POST", "DELETE"]),
            Route("/_sandbox/settings", self._settings, methods=["GET", "POST"]),
            Route("/_sandbox/orders/{orderId}/touch", self._touch, methods=["POST"]),
            Route("/_sandbox/financial-event-groups/{eventGroupId}/transfer", self._transfer, methods=["POST"]),
            Route("/{path:path}", self._unknown, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        ]
        return Starlette(routes=routes)

    # -- the request pipeline ------------------------------------------------------------------

    def _serve(self, operation: str, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def serve(request: Request) -> Response:
            self.calls[operation] += 1
            try:
                await self._admit(operation, request)
                response: Response = JSONResponse(await handler(request))
            except SpApiError as error:
                response = error.response()
            response.headers["x-amzn-RequestId"] = str(uuid.uuid4())
            if response.status_code != 403:  # the plan is unknown to a request that is not let in
                response.headers[RATE_HEADER] = self.plans.header(operation)
            return response

        return serve

    async def _admit(self, operation: str, request: Request) -> None:
        fault = await self.injector.before(request)
        if fault is not None:
            if fault.status_code == 429:
                self.throttled[operation] += 1
                raise errors.quota_exceeded()
            if fault.status_code >= 500:
                raise errors.server_error(fault.status_code)
            raise SpApiError("InvalidInput", "The sandbox was told to refuse this request.", status=fault.status_code)
        problem = self.lwa.problem(request.headers.get("x-amz-access-token"))
        if problem is not None:
            raise errors.denied(problem)
        if self.injector.faults.rate_limits and not self.plans.take(operation):
            self.injector.stats.throttled += 1
            self.injector.stats.over_limit += 1
            self.throttled[operation] += 1
            raise errors.quota_exceeded()

    # -- Orders v0 -----------------------------------------------------------------------------

    def _render(self, order: AmazonOrder) -> dict[str, Any]:
        return render_order(order, malformed=order.source.malformed and self.injector.faults.malformed)

    async def _orders(self, request: Request) -> dict[str, Any]:
        now = self.now()
        query = OrdersQuery.parse(request.query_params, self.participating, now)
        found, token = order_query.page(self.store, query, request.query_params.get("NextToken"))
        payload: dict[str, Any] = {"Orders": [self._render(o) for o in found], **order_query.bound_field(query, now)}
        if token:
            payload["NextToken"] = token
        return {"payload": payload}

    def _find(self, request: Request) -> AmazonOrder:
        order_id = request.path_params["orderId"]
        order = order_query.lookup(self.store, order_id)
        if order is None or order.marketplace.id not in self.participating:
            raise errors.not_found(f"Order {order_id}")
        return order

    async def _order(self, request: Request) -> dict[str, Any]:
        check_known(request.query_params, ())
        return {"payload": self._render(self._find(request))}

    async def _order_items(self, request: Request) -> dict[str, Any]:
        check_known(request.query_params, ("NextToken",))
        order = self._find(request)
        start = 0
        token = request.query_params.get("NextToken")
        if token is not None:
            start = paging.decode_offset(token, order.id)
        size = self.settings["order_items_page_size"]
        items = order.items[start : start + size]
        payload: dict[str, Any] = {"AmazonOrderId": order.id, "OrderItems": [render_item(order, i) for i in items]}
        if start + size < len(order.items):
            payload["NextToken"] = paging.encode(start + size, order.id)
        return {"payload": payload}

    # -- Finances v0 ---------------------------------------------------------------------------

    def _posted_range(self, query: Any) -> tuple[datetime, datetime]:
        """PostedAfter..PostedBefore as Finances takes them (both default to the last 180 days)."""
        latest = self.now() - LATENCY
        before = parse_time(query["PostedBefore"], "PostedBefore") if "PostedBefore" in query else latest
        if "PostedBefore" in query and "PostedAfter" not in query:
            raise invalid("PostedAfter must be given with PostedBefore.")
        after = parse_time(query["PostedAfter"], "PostedAfter") if "PostedAfter" in query else before - FINANCES_WINDOW
        if after > latest or before > latest:
            raise invalid("PostedAfter and PostedBefore must be more than two minutes before the request.")
        if before <= after:
            raise invalid("PostedBefore must be later than PostedAfter.")
        return after, before

    @staticmethod
    def _page_of(
        items: list[Any], query: Any, size: int, made_for: tuple[tuple[str, str], ...] = ()
    ) -> tuple[list[Any], str | None]:
        """One page of a fixed listing, from the NextToken's position; the token for the next page."""
        print_ = paging.fingerprint([*query.multi_items(), *made_for], ("NextToken",))
        start = paging.decode_offset(query["NextToken"], print_) if "NextToken" in query else 0
        following = paging.encode(start + size, print_) if start + size < len(items) else None
        return items[start : start + size], following

    async def _financial_events(self, request: Request) -> dict[str, Any]:
        query = request.query_params
        check_known(query, ("PostedAfter", "PostedBefore", "MaxResultsPerPage", "NextToken"))
        after, before = self._posted_range(query)
        if before - after > FINANCES_WINDOW:
            selected: list[finances.Event] = []  # as documented: more than 180 days apart answers nothing
        else:
            selected = self.events[bisect.bisect_left(self.posted, after) : bisect.bisect_left(self.posted, before)]
        found, following = self._page_of(selected, query, page_size(query))
        payload: dict[str, Any] = {"FinancialEvents": finances.render_page(found)}
        if following:
            payload["NextToken"] = following
        return {"payload": payload}

    async def _event_groups(self, request: Request) -> dict[str, Any]:
        """Groups opened in [FinancialEventGroupStartedAfter, …StartedBefore), by start; 10 a page by default."""
        query = request.query_params
        names = ("FinancialEventGroupStartedAfter", "FinancialEventGroupStartedBefore")
        check_known(query, (*names, "MaxResultsPerPage", "NextToken"))
        latest = self.now() - LATENCY
        before = parse_time(query[names[1]], names[1]) if names[1] in query else latest
        after = parse_time(query[names[0]], names[0]) if names[0] in query else before - FINANCES_WINDOW
        if after > latest or before > latest:
            raise invalid(f"{names[0]} and {names[1]} must be more than two minutes before the request.")
        if before <= after:
            raise invalid(f"{names[1]} must be later than {names[0]}.")
        selected = [] if before - after > FINANCES_WINDOW else [g for g in self.groups if after <= g.start < before]
        found, following = self._page_of(selected, query, page_size(query, default=10))
        payload: dict[str, Any] = {"FinancialEventGroupList": [settlements.render(g) for g in found]}
        if following:
            payload["NextToken"] = following
        return {"payload": payload}

    def _group(self, group_id: str) -> settlements.Group:
        group = next((g for g in self.groups if g.id == group_id), None)
        if group is None:
            raise errors.not_found(f"Financial event group {group_id}")
        return group

    async def _group_events(self, request: Request) -> dict[str, Any]:
        query = request.query_params
        check_known(query, ("PostedAfter", "PostedBefore", "MaxResultsPerPage", "NextToken"))
        group = self._group(request.path_params["eventGroupId"])
        after, before = self._posted_range(query)
        filtered = "PostedAfter" in query or "PostedBefore" in query
        selected = [e for e in group.events if not filtered or after <= e.posted < before]
        found, following = self._page_of(selected, query, page_size(query), (("group", group.id),))
        payload: dict[str, Any] = {"FinancialEvents": finances.render_page(found)}
        if following:
            payload["NextToken"] = following
        return {"payload": payload}

    # -- FBA Inventory v1 ----------------------------------------------------------------------

    async def _inventory(self, request: Request) -> dict[str, Any]:
        query = request.query_params
        check_known(
            query,
            ("details", "granularityType", "granularityId", "startDateTime", "sellerSkus", "sellerSku",
             "nextToken", "marketplaceIds"),
        )  # fmt: skip
        if query.get("granularityType") != "Marketplace":
            raise invalid("granularityType must be Marketplace.")
        marketplaces = csv(query, "marketplaceIds", most=1)
        granularity = query.get("granularityId")
        if not marketplaces or granularity is None:
            raise invalid("marketplaceIds and granularityId are required.")
        if granularity != marketplaces[0] or granularity not in self.participating:
            raise invalid(f"Invalid granularityId/marketplaceIds: {granularity}.")
        details = query.get("details", "false").lower()
        if details not in ("true", "false"):
            raise invalid("details must be true or false.")
        found = inventory.summaries(self.store, granularity)
        if "startDateTime" in query:
            start = parse_time(query["startDateTime"], "startDateTime")
            if start < self.now() - INVENTORY_HISTORY:
                raise invalid("startDateTime may be no earlier than 18 months before the request.")
            found = [s for s in found if s.updated >= start]
        elif skus := csv(query, "sellerSkus"):
            found = [s for s in found if s.sku in set(skus)]
        elif "sellerSku" in query:
            found = [s for s in found if s.sku == query["sellerSku"]]
        print_ = paging.fingerprint(query.multi_items(), ("nextToken",))
        offset = paging.decode_offset(query["nextToken"], print_, "nextToken") if "nextToken" in query else 0
        size = self.settings["inventory_page_size"]
        body: dict[str, Any] = {
            "payload": {
                "granularity": {"granularityType": "Marketplace", "granularityId": granularity},
                "inventorySummaries": [inventory.render(s, details == "true") for s in found[offset : offset + size]],
            }
        }
        if offset + size < len(found):
            body["pagination"] = {"nextToken": paging.encode(offset + size, print_)}
        return body

    # -- Sellers v1 ----------------------------------------------------------------------------

    async def _participations(self, request: Request) -> dict[str, Any]:
        check_known(request.query_params, ())
        return {
            "payload": [
                {
                    "marketplace": {
                        "id": m.id,
                        "name": m.name,
                        "countryCode": m.country,
                        "defaultCurrencyCode": m.currency,
                        "defaultLanguageCode": m.language,
                        "domainName": m.domain,
                    },
                    "participation": {"isParticipating": True, "hasSuspendedListings": False},
                    "storeName": "Ledgerlink Sandbox Store",
                }
                for m in MARKETPLACES
                if m.id in self.participating
            ]
        }

    async def _unknown(self, request: Request) -> Response:
        return SpApiError("NotFound", f"Resource {request.url.path} is not found.").response()

    # -- sandbox controls ----------------------------------------------------------------------

    async def _faults(self, request: Request) -> Response:
        response = await control_endpoint(self.injector, request)
        if request.method == "DELETE":
            self.plans.refill()
            self.calls.clear()
            self.throttled.clear()
        return response

    async def _rate_limits(self, request: Request) -> Response:
        """GET: plans and per-operation counts; POST {"getOrders": {"rate": 5, "burst": 3}}; DELETE: Amazon's."""
        if request.method == "POST":
            try:
                self.plans.configure(json.loads(await request.body() or b"{}"))
            except (ValueError, TypeError, AttributeError) as exc:
                return JSONResponse({"error": f"invalid usage plan: {exc}"}, status_code=400)
        elif request.method == "DELETE":
            self.plans.reset()
        return JSONResponse({"plans": self.plans.report(), "calls": self.calls, "throttled": self.throttled})

    async def _settings(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                for key, value in json.loads(await request.body() or b"{}").items():
                    if key not in SETTINGS or not isinstance(value, int) or value < 1:
                        raise ValueError(f"{key}: a positive integer setting of {', '.join(SETTINGS)}")
                    self.settings[key] = value
            except (ValueError, AttributeError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(self.settings)

    async def _transfer(self, request: Request) -> Response:
        """A closed group's fund transfer changes status: `{"status": "Succeeded"}` (or Failed, Processing)."""
        try:
            group = self._group(request.path_params["eventGroupId"])
        except SpApiError as error:
            return error.response()
        try:
            status = json.loads(await request.body() or b"{}").get("status")
        except (ValueError, AttributeError):
            status = None
        if not group.closed or status not in ("Succeeded", "Processing", "Failed"):
            return JSONResponse({"error": "a closed group, and status Succeeded, Processing or Failed"}, 400)
        group.transfer = status
        return JSONResponse(settlements.render(group))

    async def _touch(self, request: Request) -> Response:
        """An order changes now (`{"cancel": true}` cancels it): it moves to the end of update listings."""
        order = order_query.lookup(self.store, request.path_params["orderId"])
        if order is None:
            return errors.not_found("Order").response()
        body = json.loads(await request.body() or b"{}")
        changes: dict[str, Any] = {}
        if body.get("cancel"):
            changes = {"cancelled_at": self.now(), "cancel_reason": "BuyerCanceled", "financial_status": "voided"}
        self.store.touch_order(order.source.id, at=self.now(), **changes)
        touched = order_query.lookup(self.store, order.id)
        assert touched is not None
        return JSONResponse(self._render(touched))
