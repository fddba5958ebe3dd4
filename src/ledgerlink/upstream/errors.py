"""Why an upstream call failed, in terms a sync run or an API answer can carry."""

from __future__ import annotations

from ledgerlink.errors import LedgerlinkError


class UpstreamError(LedgerlinkError):
    code, status = "UPSTREAM_ERROR", 502

    def __init__(self, message: str, *, upstream_status: int | None = None, body: str | None = None) -> None:
        super().__init__(message, {"upstreamStatus": upstream_status, "upstreamBody": body})
        self.upstream_status = upstream_status


class UpstreamAuthFailed(UpstreamError):
    """The upstream refused our credentials (401/403): retrying cannot help."""

    code = "AUTH_FAILED"


class UpstreamRateLimited(UpstreamError):
    """Still throttled after waiting as long as we are willing to."""

    code = "RATE_LIMIT_EXCEEDED"


class UpstreamUnavailable(UpstreamError):
    """5xx, timeouts or connection failures that outlasted every retry."""

    code = "UPSTREAM_UNAVAILABLE"


class UpstreamRejected(UpstreamError):
    """A 4xx other than auth and throttling: the request itself is wrong, or the object is gone."""

    code = "UPSTREAM_REJECTED"


class UpstreamMalformed(UpstreamError):
    """A 2xx whose body is not what the API promises (not JSON, wrong shape)."""

    code = "DATA_MAPPING_ERROR"
