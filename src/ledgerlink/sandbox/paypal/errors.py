"""PayPal's error answers: REST errors `{"name", "message", "debug_id", "details"?, "links"}` with the
names and messages its descriptions fix per status, and the OAuth token endpoint's RFC 6749 shape
`{"error", "error_description"}`.

A 429 is `RATE_LIMIT_REACHED`, which PayPal sends but its Transaction Search description does not
list (the contract test says so); the sandbox adds `Retry-After`, which is what a client can obey.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

INFO = "https://developer.paypal.com/api/rest/reference/orders/v2/errors/"
MESSAGES = {
    400: ("INVALID_REQUEST", "Request is not well-formed, syntactically incorrect, or violates schema."),
    401: (
        "AUTHENTICATION_FAILURE",
        "Authentication failed due to missing authorization header, or invalid authentication credentials.",
    ),
    403: ("NOT_AUTHORIZED", "Authorization failed due to insufficient permissions."),
    404: ("RESOURCE_NOT_FOUND", "The specified resource does not exist."),
    429: ("RATE_LIMIT_REACHED", "Too many requests. Blocked due to rate limiting."),
    500: ("INTERNAL_SERVER_ERROR", "An internal server error occurred."),
    503: ("SERVICE_UNAVAILABLE", "Service Unavailable."),
}


class PayPalError(Exception):
    def __init__(
        self,
        status: int,
        details: list[dict[str, str]] | None = None,
        *,
        headers: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(status)
        self.status, self.details, self.headers, self.body = status, details, headers or {}, body

    def response(self, debug_id: str) -> JSONResponse:
        if self.body is not None:  # the OAuth endpoint's own shape
            return JSONResponse(self.body, status_code=self.status, headers=self.headers)
        name, message = MESSAGES.get(self.status, MESSAGES[500] if self.status >= 500 else MESSAGES[400])
        body: dict[str, Any] = {"name": name, "message": message, "debug_id": debug_id}
        if self.details:
            body["details"] = self.details
        body["links"] = [{"href": f"{INFO}#{name.lower()}", "rel": "information_link", "method": "GET"}]
        return JSONResponse(body, status_code=self.status, headers={"Paypal-Debug-Id": debug_id, **self.headers})


def invalid(field: str, value: object, issue: str, description: str) -> PayPalError:
    return PayPalError(
        400, [{"field": field, "value": str(value), "location": "query", "issue": issue, "description": description}]
    )


def invalid_body(field: str, issue: str, description: str) -> PayPalError:
    return PayPalError(400, [{"field": field, "location": "body", "issue": issue, "description": description}])


def unauthenticated() -> PayPalError:
    return PayPalError(401, headers={"WWW-Authenticate": 'Bearer realm="PayPal"'})


def rate_limited(retry_after: int = 1) -> PayPalError:
    return PayPalError(429, headers={"Retry-After": str(retry_after)})


def oauth(status: int, error: str, description: str) -> PayPalError:
    return PayPalError(status, body={"error": error, "error_description": description})
