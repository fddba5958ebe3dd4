"""Domain errors with their API codes. Raised anywhere; turned into the error envelope in one place."""

from __future__ import annotations

from typing import Any


class LedgerlinkError(Exception):
    """An error a client can act on. `code` is one of the documented codes."""

    code = "INTERNAL_ERROR"
    status = 500

    def __init__(self, message: str, details: Any = None, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        if status is not None:
            self.status = status


class AuthFailed(LedgerlinkError):
    code, status = "AUTH_FAILED", 401


class InsufficientScope(LedgerlinkError):
    code, status = "INSUFFICIENT_SCOPE", 403


class NotFound(LedgerlinkError):
    code, status = "NOT_FOUND", 404


class Conflict(LedgerlinkError):
    code, status = "CONFLICT", 409


class DuplicateRecord(LedgerlinkError):
    code, status = "DUPLICATE_RECORD", 409


class ValidationFailed(LedgerlinkError):
    code, status = "VALIDATION_ERROR", 400


class ConfigurationError(LedgerlinkError):
    code, status = "CONFIGURATION_ERROR", 400


class InvalidCredentials(LedgerlinkError):
    code, status = "INVALID_CREDENTIALS", 400


class DataMappingError(LedgerlinkError):
    code, status = "DATA_MAPPING_ERROR", 422


class WebhookVerificationFailed(LedgerlinkError):
    code, status = "WEBHOOK_VERIFICATION_FAILED", 401


class RateLimitExceeded(LedgerlinkError):
    code, status = "RATE_LIMIT_EXCEEDED", 429

    def __init__(self, message: str, retry_after: float, details: Any = None) -> None:
        super().__init__(message, details)
        self.retry_after = retry_after


class PayloadTooLarge(LedgerlinkError):
    code, status = "PAYLOAD_TOO_LARGE", 413


class UpstreamUnavailable(LedgerlinkError):
    code, status = "UPSTREAM_UNAVAILABLE", 502
