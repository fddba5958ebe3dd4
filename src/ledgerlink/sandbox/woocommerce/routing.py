"""One route of the simulated site, in the order WordPress serves it: host faults and throttle,
authentication errors, argument validation (400), permission (401), then the handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ledgerlink.sandbox.woocommerce.wire import WooError

EDITABLE = ("POST", "PUT", "PATCH")  # WP_REST_Server::EDITABLE
PERMISSION_ERRORS = {
    "list": ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources."),
    "view": ("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."),
    "edit": ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."),
    "create": ("woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."),
    "delete": ("woocommerce_rest_cannot_delete", "Sorry, you are not allowed to delete this resource."),
    "batch": ("woocommerce_rest_cannot_batch", "Sorry, you are not allowed to batch manipulate this resource."),
}


async def no_args(request: Request) -> None:
    return None


@dataclass(frozen=True)
class Endpoint:
    """`parse` validates arguments and resolves the addressed object (so an unknown id answers before
    the permission check, as in WooCommerce); `run` does the work with what `parse` returned."""

    path: str
    permission: str  # list | view | edit | create | delete | batch
    run: Callable[[Request, Any], Awaitable[Response]]
    parse: Callable[[Request], Awaitable[Any]] = no_args
    methods: tuple[str, ...] = ("GET",)


def permission_error(permission: str) -> WooError:
    code, message = PERMISSION_ERRORS[permission]
    return WooError(401, code, message)
