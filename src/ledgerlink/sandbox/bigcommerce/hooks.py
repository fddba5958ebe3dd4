"""Webhook management, `/v2/hooks` and `/v3/hooks` (webhooks.v3.yml): list, create, get, update, delete.

Both versions share one store of hooks. v2 answers the hook document bare (seed 004's shape) and
errors as a list; v3 wraps it in `{"data", "meta"}`, pages lists with `meta.pagination` and filters
them by `is_active`, `scope` and `destination`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ledgerlink.sandbox.bigcommerce import query
from ledgerlink.sandbox.bigcommerce.context import Context
from ledgerlink.sandbox.bigcommerce.hook_store import Hook, hook_doc
from ledgerlink.sandbox.bigcommerce.responses import JSON, Api, ApiError, NotFound
from ledgerlink.sandbox.bigcommerce.routing import ApiRoute, path_id

Handler = Callable[[Context, Request], Awaitable[Response]]


def _doc(ctx: Context, hook: Hook) -> dict[str, Any]:
    return hook_doc(hook, ctx.identity.store_hash, ctx.identity.client_id)


def _find(ctx: Context, request: Request) -> Hook:
    hook_id = path_id(request, "hook_id")
    hook = ctx.hooks.get(hook_id)
    if hook is None:
        raise NotFound(f"Webhook with id [{hook_id}] not found")
    return hook


async def _body(request: Request) -> Any:
    try:
        return json.loads(await request.body() or b"null")
    except ValueError:
        raise ApiError(400, "Input is invalid.", {"body": "not JSON"}) from None


def _filtered(ctx: Context, request: Request) -> list[Hook]:
    params = request.query_params
    active, scope = query.boolean(params, "is_active"), query.text(params, "scope")
    destination = query.text(params, "destination")
    return [
        h
        for h in ctx.hooks.hooks.values()
        if (active is None or h.is_active == active)
        and (scope is None or h.scope == scope)
        and (destination is None or h.destination == destination)
    ]


def _handlers(api: Api) -> list[tuple[str, str, Handler]]:
    """(method, path, handler) of one API version; only the envelope differs between them."""

    def one(ctx: Context, hook: Hook) -> Response:
        return JSON(_doc(ctx, hook) if api == "v2" else {"data": _doc(ctx, hook), "meta": {}})

    async def list_hooks(ctx: Context, request: Request) -> Response:
        hooks = _filtered(ctx, request)
        if api == "v2":
            return JSON([_doc(ctx, h) for h in hooks])
        return JSON(query.collection(request, hooks, lambda h: _doc(ctx, h)))

    async def create(ctx: Context, request: Request) -> Response:
        return one(ctx, ctx.hooks.create(await _body(request)))

    async def get(ctx: Context, request: Request) -> Response:
        return one(ctx, _find(ctx, request))

    async def update(ctx: Context, request: Request) -> Response:
        hook = _find(ctx, request)
        return one(ctx, ctx.hooks.update(hook, await _body(request)))

    async def delete(ctx: Context, request: Request) -> Response:
        hook = _find(ctx, request)
        ctx.hooks.remove(hook.id)
        return one(ctx, hook)

    base = f"/{api}/hooks"
    item = f"{base}/{{hook_id}}"
    return [
        ("GET", base, list_hooks),
        ("POST", base, create),
        ("GET", item, get),
        ("PUT", item, update),
        ("DELETE", item, delete),
    ]


VERSIONS: tuple[Api, ...] = ("v2", "v3")
ROUTES = [ApiRoute(api, method, path, handler) for api in VERSIONS for method, path, handler in _handlers(api)]
