"""Every failure leaves as the error envelope; nothing leaves as a bare 500 or a stack trace."""

from __future__ import annotations

import logging
import math
from typing import Any

import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ledgerlink.errors import LedgerlinkError, RateLimitExceeded
from ledgerlink.validation import describe

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "VALIDATION_ERROR",
    401: "AUTH_FAILED",
    403: "INSUFFICIENT_SCOPE",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMIT_EXCEEDED",
}


def error_response(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"success": False, "error": {"code": code, "message": message, "details": details}},
        status_code=status,
        headers=headers,
    )


async def _on_domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, LedgerlinkError)
    headers = None
    if isinstance(exc, RateLimitExceeded):
        headers = {"Retry-After": str(max(1, math.ceil(exc.retry_after)))}
    if exc.status >= 500:
        log.error("request failed", extra={"path": request.url.path, "code": exc.code, "error": exc.message})
    return error_response(exc.status, exc.code, exc.message, exc.details, headers)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    message, details = describe(list(exc.errors()))
    return error_response(400, "VALIDATION_ERROR", message, details)


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "HTTP_ERROR")
    if exc.status_code == 404:
        message = f"no such endpoint: {request.method} {request.url.path}"
    elif exc.status_code == 405:
        message = f"method {request.method} is not allowed on {request.url.path}"
    else:
        message = str(exc.detail)
    return error_response(exc.status_code, code, message, None, dict(exc.headers or {}) or None)


async def _on_data_error(request: Request, exc: Exception) -> JSONResponse:
    """A value the database refuses to store (NUL in text, a number out of range) is the caller's error."""
    reason = str(getattr(exc, "orig", exc)).splitlines()[0]
    log.info("database refused a value", extra={"path": request.url.path, "reason": reason})
    return error_response(400, "VALIDATION_ERROR", f"a value cannot be stored: {reason}", None)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    request_id = request.scope.get("ledgerlink.request_id", "")
    log.exception("unhandled error", extra={"path": request.url.path, "request_id": request_id})
    return error_response(
        500, "INTERNAL_ERROR", "an internal error occurred; it has been logged", {"requestId": request_id}
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(LedgerlinkError, _on_domain_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(sqlalchemy.exc.DataError, _on_data_error)
    app.add_exception_handler(Exception, _on_unexpected)
