"""What every simulated platform shares: request counting and faults injected on demand.

Tests and demos switch faults on through each platform's `/_sandbox/faults` endpoint (or directly on
the object): extra latency, a share of 5xx answers, forced 429s, requests left hanging past a
client timeout, and malformed records. Counters let a test assert, for instance, that a connector
sent zero requests over the platform's limit.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import asdict, dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response


@dataclass
class Faults:
    latency_ms: float = 0.0  # added to every request
    error_rate: float = 0.0  # share of requests answered with `error_status`
    error_status: int = 503
    throttle_next: int = 0  # the next N requests answer 429 whatever the budget says
    hang_next: int = 0  # the next N requests sleep `hang_seconds` before answering
    hang_seconds: float = 30.0
    fail_next: int = 0  # the next N requests answer `error_status`
    malformed: bool = True  # render the dataset's malformed records broken
    rate_limits: bool = True  # enforce the platform's rate limits
    # Comma-separated API paths (as the platform routes them, e.g. "/refunds") answered as unknown
    # routes, as by an older version of the platform that does not have them yet.
    unrouted: str = ""

    def lacks(self, path: str) -> bool:
        return bool(self.unrouted) and path in {p.strip() for p in self.unrouted.split(",")}

    def update(self, changes: dict[str, Any]) -> None:
        for key, value in changes.items():
            if not hasattr(self, key):
                raise KeyError(key)
            setattr(self, key, _coerce(type(getattr(self, key)), value))


def _coerce(kind: type, value: Any) -> Any:
    """JSON or form values to the field's type; "false" is False, not a non-empty string."""
    if kind is bool and isinstance(value, str):
        lowered = value.strip().lower()
        if lowered not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
            raise ValueError(f"not a boolean: {value!r}")
        return lowered in ("true", "1", "yes", "on")
    return kind(value)


@dataclass
class Stats:
    requests: int = 0
    throttled: int = 0  # 429s answered because the client spent more than its budget
    over_limit: int = 0  # requests that arrived while the budget was already spent
    injected_errors: int = 0
    by_path: dict[str, int] = field(default_factory=dict)

    def count(self, path: str) -> None:
        self.requests += 1
        key = path.split("?")[0]
        self.by_path[key] = self.by_path.get(key, 0) + 1


@dataclass
class FaultInjector:
    faults: Faults = field(default_factory=Faults)
    stats: Stats = field(default_factory=Stats)
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    async def before(self, request: Request, error_body: Any = None) -> Response | None:
        """Count the request and apply any fault; a returned response is sent instead of the real one."""
        self.stats.count(request.url.path)
        f = self.faults
        if f.latency_ms:
            await asyncio.sleep(f.latency_ms / 1000)
        if f.hang_next > 0:
            f.hang_next -= 1
            await asyncio.sleep(f.hang_seconds)
        if f.throttle_next > 0:
            f.throttle_next -= 1
            return self.throttled_response()
        if f.fail_next > 0 or (f.error_rate and self.rng.random() < f.error_rate):
            f.fail_next = max(0, f.fail_next - 1)
            self.stats.injected_errors += 1
            return JSONResponse(error_body or {"error": "Service Unavailable"}, status_code=f.error_status)
        return None

    def throttled_response(self, retry_after: float = 1.0, body: Any = None) -> Response:
        return JSONResponse(
            body or {"errors": "Too Many Requests"}, status_code=429, headers={"Retry-After": f"{retry_after:g}"}
        )

    def report(self) -> dict[str, Any]:
        return {"faults": asdict(self.faults), "stats": asdict(self.stats)}


async def control_endpoint(injector: FaultInjector, request: Request) -> Response:
    """GET: faults and counters. POST {field: value}: change faults. DELETE: reset both."""
    if request.method == "POST":
        try:
            injector.faults.update(await request.json())
        except (KeyError, ValueError, TypeError) as exc:
            return JSONResponse({"error": f"unknown or invalid fault: {exc}"}, status_code=400)
    elif request.method == "DELETE":
        injector.faults = Faults()
        injector.stats = Stats()
    return JSONResponse(injector.report())
