"""The sandbox's own webhook endpoints, the same on every platform (under `/{provider}/_sandbox/webhooks`).

- `POST /trigger {"topic": …, "id": …}`: fire the platform's event for an existing resource to every
  active subscription of that topic (what tests and the hub's "Check Integration" use). The topic is
  spelled as the platform spells it (`orders/updated`, `order.updated`, `store/order/updated`).
- `GET /deliveries[?event_id=&subscription=&topic=]`: every attempt (destination, event id, attempt
  number, status, latency), oldest first; `DELETE` forgets them.
- `GET|POST /settings {"time_scale": 0.001}`: how real retry delays are scaled (shared by every
  platform of the server, as the dispatcher is).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ledgerlink.sandbox.delivery import Dispatcher

Trigger = Callable[[str, int], dict[str, Any]]  # (topic, resource id) -> what was fired; LookupError/ValueError


async def _json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    body = json.loads(raw) if raw.strip() else {}
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


def webhook_control_routes(provider: str, dispatcher: Dispatcher, trigger: Trigger) -> list[Route]:
    async def fire(request: Request) -> Response:
        try:
            body = await _json_object(request)
            topic, ident = body.get("topic") or body.get("scope"), body.get("id")
            if not isinstance(topic, str) or isinstance(ident, bool) or not isinstance(ident, int | str):
                raise ValueError('expected {"topic": "<platform topic>", "id": <resource id>}')
            return JSONResponse(trigger(topic, int(ident)), status_code=202)
        except LookupError as exc:
            return JSONResponse({"error": str(exc).strip("'\"")}, status_code=404)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)

    async def deliveries(request: Request) -> Response:
        if request.method == "DELETE":
            dispatcher.clear(provider)
        params = request.query_params
        wanted = {k: params[k] for k in ("event_id", "subscription", "topic") if k in params}
        rows = [
            a.as_json()
            for a in dispatcher.attempts(provider)
            if all(str(getattr(a, key)) == value for key, value in wanted.items())
        ]
        return JSONResponse({"deliveries": rows, "pending": dispatcher.pending()})

    async def settings(request: Request) -> Response:
        if request.method == "POST":
            try:
                scale = (await _json_object(request)).get("time_scale")
                if isinstance(scale, bool) or not isinstance(scale, int | float) or scale < 0:
                    raise ValueError("time_scale must be a number >= 0")
            except ValueError as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            dispatcher.time_scale = float(scale)
        return JSONResponse({"time_scale": dispatcher.time_scale})

    return [
        Route("/_sandbox/webhooks/trigger", fire, methods=["POST"]),
        Route("/_sandbox/webhooks/deliveries", deliveries, methods=["GET", "DELETE"]),
        Route("/_sandbox/webhooks/settings", settings, methods=["GET", "POST"]),
    ]
