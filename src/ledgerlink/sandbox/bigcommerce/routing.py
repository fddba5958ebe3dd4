"""A route of the simulated API: its version (which decides the error shape), method, path and handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from ledgerlink.sandbox.bigcommerce.context import Context
from ledgerlink.sandbox.bigcommerce.responses import Api, NotFound

Handler = Callable[[Context, Request], Awaitable[Response]]


@dataclass(frozen=True)
class ApiRoute:
    api: Api
    method: str
    path: str  # after /stores/{store_hash}
    handler: Handler


def path_id(request: Request, name: str) -> int:
    """An integer path parameter; anything else names no resource."""
    try:
        return int(request.path_params[name])
    except (KeyError, ValueError):
        raise NotFound() from None
