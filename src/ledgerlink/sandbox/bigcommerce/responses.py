"""Responses: JSON with exact decimals, and BigCommerce's error bodies (v2: a list, v3: an object)."""

from __future__ import annotations

from decimal import Decimal
from http import HTTPStatus
from typing import Any, Literal

import orjson
from starlette.responses import Response

Api = Literal["v2", "v3"]
ERROR_TYPE = "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"


def _exact(value: Any) -> Any:
    if isinstance(value, Decimal):
        return orjson.Fragment(str(value))  # a JSON number, digit for digit: money never passes through float
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, default=_exact)


class ProblemJSON(JSON):
    media_type = "application/problem+json"


class ApiError(Exception):
    """Raised by a handler; rendered in the shape of the API version the route belongs to."""

    def __init__(self, status: int, title: str, errors: dict[str, str] | None = None, problem: bool = False):
        super().__init__(title)
        self.status = status
        self.title = title
        self.errors = errors or {}
        self.problem = problem


class NotFound(ApiError):
    def __init__(self, what: str = "The requested resource was not found."):
        super().__init__(404, what)


class InvalidQuery(ApiError):
    """A query parameter BigCommerce would refuse. v2 answers 400, v3 422 (as customers.v3.yml documents)."""

    def __init__(self, field: str, message: str):
        super().__init__(400, f"The field '{field}' is invalid: {message}", {field: message})
        self.field = field


class Unprocessable(ApiError):
    def __init__(self, title: str, errors: dict[str, str]):
        super().__init__(422, title, errors, problem=True)


def error_body(api: Api, status: int, title: str, errors: dict[str, str] | None = None) -> Any:
    if api == "v2":
        return [{"status": status, "message": title}]
    return {"status": status, "title": title, "type": ERROR_TYPE, "errors": errors or {}}


def error_response(exc: ApiError, api: Api) -> Response:
    status, title = exc.status, exc.title
    if isinstance(exc, InvalidQuery) and api == "v3":
        status, title = 422, f"The filter(s): {exc.field} are not valid filter parameter(s)."
    response_class = ProblemJSON if exc.problem else JSON
    return response_class(error_body(api, status, title, exc.errors), status_code=status)


def status_error(api: Api, status: int, title: str | None = None) -> Response:
    """An error that is not a handler's: the gateway's 401/429, an injected 5xx, an unknown path."""
    return JSON(error_body(api, status, title or HTTPStatus(status).phrase), status_code=status)


def v2_collection(rows: list[Any]) -> Response:
    """v2 lists answer 204 No Content, with no body, when there is nothing to list."""
    return JSON(rows) if rows else Response(status_code=204)
