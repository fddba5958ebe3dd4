"""The upstreams' webhooks, answered before the FastAPI router.

Inbound webhooks are the hub's busiest path by far, and FastAPI's per-request work (route matching,
dependency solving, response validation) costs more than verifying and committing one. This lane
serves exactly the two documented inbound operations (their FastAPI routes stay, for the OpenAPI
contract and as the fallback for a malformed path parameter) with the same service, the same
envelope and the same errors. The body limit and request log middleware wrap it as they wrap
the API.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import orjson
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from ledgerlink.api.error_handlers import error_response
from ledgerlink.errors import LedgerlinkError
from ledgerlink.webhooks.inbox import Stored
from ledgerlink.webhooks.receive import Inbound

log = logging.getLogger(__name__)

_BY_INTEGRATION = re.compile(r"^/v1/webhooks/inbound/([^/]{1,40})$")
_BY_TOKEN = re.compile(r"^/direct/webhook/big-commerce/order/([^/]{16,200})$")


def received(stored: Stored | None) -> dict[str, Any]:
    """The answer's data, for the lane and the documented routes alike (None: a ping, not stored)."""
    return {
        "received": True,
        "id": stored.id if stored else None,
        "duplicate": stored.duplicate if stored else False,
    }


def inbound_service(app: Any) -> Inbound:
    """The process's receiving side (group-commit writer, receiver cache), made on first use."""
    found: Inbound | None = getattr(app.state, "inbound", None)
    if found is None:
        found = app.state.inbound = Inbound(app.state.runtime)
    return found


class InboundWebhookLane:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        by_id = _BY_INTEGRATION.match(path)
        by_token = None if by_id else _BY_TOKEN.match(path)
        if by_id is None and by_token is None:
            await self.app(scope, receive, send)
            return
        try:
            body = await _body(receive)
            service = inbound_service(scope["app"])
            receiver = await (
                service.receiver(integration_id=by_id.group(1)) if by_id else service.receiver(token=by_token.group(1))  # type: ignore[union-attr]
            )
            stored = await service.receive(receiver, Headers(scope=scope), body)
            await _send_json(send, 200, {"success": True, "data": received(stored)})
        except HTTPException as exc:  # the body limit, raised while reading
            await _send(send, error_response(exc.status_code, "PAYLOAD_TOO_LARGE", exc.detail, None))
        except LedgerlinkError as exc:
            await _send(send, error_response(exc.status, exc.code, exc.message, exc.details))
        except Exception:
            request_id = scope.get("ledgerlink.request_id", "")
            log.exception("unhandled error", extra={"path": path, "request_id": request_id})
            await _send(
                send,
                error_response(
                    500, "INTERNAL_ERROR", "an internal error occurred; it has been logged", {"requestId": request_id}
                ),
            )


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _send_json(send: Send, status: int, document: Any) -> None:
    body = orjson.dumps(document)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _send(send: Send, response: Any) -> None:
    await send({"type": "http.response.start", "status": response.status_code, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})
