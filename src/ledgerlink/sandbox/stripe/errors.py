"""Stripe's error answers: `{"error": {"type", "message", "code"?, "param"?}}`, status by kind.

`Stripe-Should-Retry` goes on answers where Stripe's clients read it (429s and 5xx here), and every
answer carries a `Request-Id`, as Stripe's do.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

DOCS = "https://stripe.com/docs/error-codes"


class StripeError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        type_: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.code, self.param = status, message, type_, code, param
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "type": self.type}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"{DOCS}#{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        return {"error": error}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


def invalid(message: str, param: str | None = None, code: str | None = None) -> StripeError:
    return StripeError(400, message, param=param, code=code)


def missing(kind: str, object_id: str, param: str = "id") -> StripeError:
    return StripeError(404, f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


def unauthenticated(presented: str | None) -> StripeError:
    if not presented:
        message = (
            "You did not provide an API key. You need to provide your API key in the Authorization header, "
            "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
        )
    else:
        message = f"Invalid API Key provided: {presented[:8]}{'*' * max(0, len(presented) - 12)}{presented[-4:]}"
    return StripeError(401, message, headers={"WWW-Authenticate": 'Basic realm="Stripe"'})


def rate_limited(reason: str = "global-rate") -> StripeError:
    return StripeError(
        429,
        "Request rate limit exceeded. You can learn more about rate limits here https://stripe.com/docs/rate-limits.",
        code="rate_limit",
        headers={"Stripe-Should-Retry": "true", "Stripe-Rate-Limited-Reason": reason},
    )


def api_error(status: int) -> StripeError:
    return StripeError(
        status,
        "An unknown error occurred while processing your request.",
        type_="api_error",
        headers={"Stripe-Should-Retry": "true"},
    )
