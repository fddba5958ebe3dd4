"""The HTTP side: `POST /admin/api/{version}/graphql.json` (any version, answered with 2026-10), plus the
sandbox's own endpoints under `/_sandbox` (faults, the cost bucket's size, how long page cursors live,
touching or refunding an order, bulk operation results, webhook triggers and delivery attempts)."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from ledgerlink.sandbox.faults import control_endpoint
from ledgerlink.sandbox.shopify.context import Ctx
from ledgerlink.sandbox.shopify.cost import MAX_QUERY_COST
from ledgerlink.sandbox.shopify.errors import (
    INTERNAL_ERROR,
    MISSING_QUERY,
    UNAUTHORIZED,
    format_error,
    max_cost_exceeded,
    request_errors,
    throttled,
)
from ledgerlink.sandbox.shopify.executor import Prepared, execute_document, prepare
from ledgerlink.sandbox.shopify.formats import gid, iso
from ledgerlink.sandbox.shopify.refund_control import RefundRequest, RefundRequestError, add_refund
from ledgerlink.sandbox.shopify.render_orders import refund_shipping_subtotal, refund_shipping_tax
from ledgerlink.sandbox.shopify.schema import API_VERSION
from ledgerlink.sandbox.webhook_controls import webhook_control_routes

if TYPE_CHECKING:
    from ledgerlink.sandbox.shopify.sandbox import ShopifySandbox


def shopify_response(body: Any, status: int = 200) -> Response:
    headers = {"X-Shopify-API-Version": API_VERSION, "X-Request-Id": str(uuid.uuid4())}
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=headers)


def mount_url(request: Request) -> str:
    """Where the platform is mounted (the stand-in for https://{shop}.myshopify.com)."""
    return f"{request.url.scheme}://{request.url.netloc}{request.scope.get('root_path', '')}"


async def read_body(request: Request) -> tuple[str, dict[str, Any] | None, str | None] | None:
    """(query, variables, operationName) from a JSON or application/graphql body; None when unusable."""
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/graphql"):
        return (raw.decode(), None, None) if raw.strip() else None
    try:
        body = json.loads(raw or b"null")
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("query"), str) or not body["query"].strip():
        return None
    variables = body.get("variables")
    return body["query"], variables if isinstance(variables, dict) else None, body.get("operationName")


class GraphQLEndpoint:
    def __init__(self, sandbox: ShopifySandbox) -> None:
        self.sandbox = sandbox

    async def handle(self, request: Request) -> Response:
        sandbox = self.sandbox
        fault = await sandbox.injector.before(request, INTERNAL_ERROR)
        if fault is not None:
            return fault
        if request.headers.get("x-shopify-access-token") != sandbox.state.identity.access_token:
            return shopify_response(UNAUTHORIZED, 401)
        body = await read_body(request)
        if body is None:
            return shopify_response(MISSING_QUERY, 400)
        prepared = prepare(*body)
        if isinstance(prepared, list):
            return shopify_response(request_errors(prepared))
        return shopify_response(
            await self.metered(prepared, Ctx(sandbox.state, sandbox.injector.faults.malformed, mount_url(request)))
        )

    async def metered(self, prepared: Prepared, ctx: Ctx) -> dict[str, Any]:
        """Charge the requested cost (refusing what the bucket cannot pay), execute, refund the unused part.
        With the `rate_limits` fault off, costs are still reported but neither limit is enforced."""
        bucket, enforce = self.sandbox.bucket, self.sandbox.injector.faults.rate_limits
        cost = prepared.cost
        requested = cost.requested()
        if enforce and requested > MAX_QUERY_COST:
            return max_cost_exceeded(requested, MAX_QUERY_COST, self.cost_extension(requested, None))
        if enforce and not bucket.take(requested):
            stats = self.sandbox.injector.stats
            stats.throttled += 1
            stats.over_limit += 1
            return throttled(self.cost_extension(requested, None))
        if not self.sandbox.state.customer_index.ready and prepared.needs_customer_index:
            await asyncio.to_thread(self.sandbox.state.customer_index.ensure)
        result = execute_document(prepared.document, ctx, prepared.raw_variables)
        actual = min(requested, cost.actual(result.data))
        if enforce:
            bucket.give_back(requested - actual)
        answer: dict[str, Any] = {}
        if result.errors:
            answer["errors"] = [format_error(error) for error in result.errors]
        answer["data"] = result.data
        answer["extensions"] = {"cost": self.cost_extension(requested, actual)}
        if ctx.search_warnings:
            answer["extensions"]["search"] = ctx.search_warnings
        return answer

    def cost_extension(self, requested: int, actual: int | None) -> dict[str, Any]:
        return {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": self.sandbox.bucket.status(),
        }


def _touch_changes(raw: bytes) -> tuple[datetime | None, dict[str, Any]]:
    changes = json.loads(raw) if raw.strip() else {}
    if not isinstance(changes, dict):
        raise ValueError("changes must be a JSON object")
    at = changes.pop("at", None) or changes.pop("updated_at", None)
    return (datetime.fromisoformat(at) if at else None), changes


def _bucket_changes(raw: bytes) -> dict[str, float]:
    changes = json.loads(raw) if raw.strip() else {}
    if not isinstance(changes, dict) or not set(changes) <= {"maximumAvailable", "restoreRate", "currentlyAvailable"}:
        raise ValueError("expected an object with maximumAvailable, restoreRate and/or currentlyAvailable")
    return {key: float(value) for key, value in changes.items()}


def bucket_report(sandbox: ShopifySandbox) -> dict[str, Any]:
    return {**sandbox.bucket.status(), "spent": sandbox.bucket.spent}


async def throttle_endpoint(sandbox: ShopifySandbox, request: Request) -> Response:
    """GET: the cost bucket and the points spent from it. POST {maximumAvailable?, restoreRate?,
    currentlyAvailable?}: resize it (full unless currentlyAvailable says otherwise). DELETE: the original size."""
    bucket = sandbox.bucket
    try:
        if request.method == "POST":
            changes = _bucket_changes(await request.body())
            bucket.configure(
                changes.get("maximumAvailable", bucket.maximum),
                changes.get("restoreRate", bucket.restore_rate),
                changes.get("currentlyAvailable"),
            )
        elif request.method == "DELETE":
            bucket.configure(*sandbox.bucket_size)
    except (TypeError, ValueError) as exc:
        return JSONResponse({"error": f"invalid bucket: {exc}"}, status_code=400)
    return JSONResponse(bucket_report(sandbox))


async def cursors_endpoint(sandbox: ShopifySandbox, request: Request) -> Response:
    """GET: how long page cursors are honoured and how many were refused as expired. POST {ttlSeconds}:
    expire them after that long (null: never). DELETE: never, and the count back to zero."""
    life = sandbox.state.cursors
    if request.method == "POST":
        try:
            body = json.loads(await request.body() or b"{}")
            ttl = body["ttlSeconds"] if isinstance(body, dict) else None
            life.ttl = None if ttl is None else float(ttl)
        except (KeyError, TypeError, ValueError) as exc:
            return JSONResponse({"error": f'expected {{"ttlSeconds": seconds or null}}: {exc}'}, status_code=400)
        if life.ttl is not None and life.ttl < 0:
            life.ttl = None
            return JSONResponse({"error": "ttlSeconds must be zero or more"}, status_code=400)
    elif request.method == "DELETE":
        life.ttl, life.refused = None, 0
    return JSONResponse({"ttlSeconds": life.ttl, "refused": life.refused})


async def refund_endpoint(sandbox: ShopifySandbox, request: Request) -> Response:
    """POST /_sandbox/orders/{id}/refunds: refund lines and/or shipping (refund_control.py)."""
    try:
        raw = await request.body()
        refund_request = RefundRequest.parse(json.loads(raw) if raw.strip() else {})
        order, refund = add_refund(sandbox.store, int(request.path_params["order_id"]), refund_request)
    except KeyError:
        return JSONResponse({"error": "order not found"}, status_code=404)
    except (RefundRequestError, ValueError) as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse(
        {
            "id": gid("Refund", refund.id),
            "legacyResourceId": str(refund.id),
            "orderUpdatedAt": iso(order.updated_at),
            "amount": str(refund.amount),
            "shipping": {
                "subtotal": str(refund_shipping_subtotal(order, refund)),
                "tax": str(refund_shipping_tax(order, refund)),
            },
        }
    )


def build_app(sandbox: ShopifySandbox) -> Starlette:
    store, injector = sandbox.store, sandbox.injector

    async def faults(request: Request) -> Response:
        return await control_endpoint(sandbox.injector, request)

    async def throttle(request: Request) -> Response:
        return await throttle_endpoint(sandbox, request)

    async def cursors(request: Request) -> Response:
        return await cursors_endpoint(sandbox, request)

    async def refund(request: Request) -> Response:
        return await refund_endpoint(sandbox, request)

    async def touch(request: Request) -> Response:
        """POST /_sandbox/orders/{id}/touch [{field: value, at?}]: change an order as a merchant would."""
        try:
            at, changes = _touch_changes(await request.body())
            order = store.touch_order(int(request.path_params["order_id"]), at=at, **changes)
        except (IndexError, KeyError):
            return JSONResponse({"error": "order not found"}, status_code=404)
        except (TypeError, ValueError) as exc:
            return JSONResponse({"error": f"invalid change: {exc}"}, status_code=400)
        return JSONResponse(
            {"id": gid("Order", order.id), "legacyResourceId": str(order.id), "updatedAt": iso(order.updated_at)}
        )

    async def bulk_result(request: Request) -> Response:
        fault = await injector.before(request)
        if fault is not None:
            return fault
        path = sandbox.state.bulk.file(request.path_params["operation_id"])
        if path is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        return FileResponse(path, media_type="application/jsonl")

    return Starlette(
        routes=[
            Route("/admin/api/{version}/graphql.json", GraphQLEndpoint(sandbox).handle, methods=["POST"]),
            Route("/_sandbox/faults", faults, methods=["GET", "POST", "DELETE"]),
            Route("/_sandbox/throttle", throttle, methods=["GET", "POST", "DELETE"]),
            Route("/_sandbox/cursors", cursors, methods=["GET", "POST", "DELETE"]),
            Route("/_sandbox/orders/{order_id:int}/touch", touch, methods=["POST"]),
            Route("/_sandbox/orders/{order_id:int}/refunds", refund, methods=["POST"]),
            Route("/_sandbox/bulk/{operation_id:int}.jsonl", bulk_result, methods=["GET"]),
            *webhook_control_routes("shopify", sandbox.dispatcher, sandbox.publisher.trigger),
        ]
    )
