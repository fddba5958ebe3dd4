"""SP-API error answers: `{"errors": [{"code", "message", "details"}]}` with the status each code goes with."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

STATUS = {
    "InvalidInput": 400,
    "Unauthorized": 403,
    "NotFound": 404,
    "QuotaExceeded": 429,
    "InternalFailure": 500,
    "ServiceUnavailable": 503,
}


class SpApiError(Exception):
    def __init__(self, code: str, message: str, details: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.details = code, message, details
        self.status = status or STATUS.get(code, 400)

    def body(self) -> dict[str, Any]:
        return {"errors": [{"code": self.code, "message": self.message, "details": self.details}]}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status)


def invalid(message: str, details: str = "") -> SpApiError:
    return SpApiError("InvalidInput", message, details)


def denied(details: str) -> SpApiError:
    return SpApiError("Unauthorized", "Access to requested resource is denied.", details)


def quota_exceeded() -> SpApiError:
    return SpApiError("QuotaExceeded", "You exceeded your quota for the requested resource.")


def not_found(what: str) -> SpApiError:
    return SpApiError("NotFound", f"{what} not found")


def server_error(status: int) -> SpApiError:
    code = "ServiceUnavailable" if status == 503 else "InternalFailure"
    return SpApiError(code, "We encountered an internal error. Please try again.", status=status)
