"""Inbound webhooks from the upstream platforms.

`POST /v1/webhooks/inbound/{integrationId}` for every provider, and seed 004's destination shape
`/direct/webhook/big-commerce/order/{token}`, where the secret token names the integration. No API
key: the provider's signature (or, for old unsigned BigCommerce hooks, the secret header and token)
is the authentication. 200 means the delivery is committed; a redelivery answers 200 again.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel

from ledgerlink.api.envelope import ERROR_RESPONSES, Envelope, ok
from ledgerlink.api.inbound_lane import inbound_service, received
from ledgerlink.webhooks.receive import Inbound, Receiver

router = APIRouter(tags=["webhooks"], responses=ERROR_RESPONSES)

_RAW_BODY = {
    "requestBody": {
        "required": True,
        "description": "The provider's webhook body, verified over its raw bytes",
        "content": {"application/json": {"schema": {}}},
    }
}


class Received(BaseModel):
    received: bool
    id: str | None  # the inbox entry; None for a duplicate or a ping
    duplicate: bool


async def inbound(request: Request) -> Inbound:  # async: no thread hop
    return inbound_service(request.app)


async def _receive(inbound: Inbound, receiver: Receiver, request: Request) -> dict[str, Any]:
    return ok(received(await inbound.receive(receiver, request.headers, await request.body())))


@router.post(
    "/v1/webhooks/inbound/{integrationId}",
    response_model=Envelope[Received],
    summary="Receive a webhook from an upstream platform",
    openapi_extra=_RAW_BODY,
)
async def receive_webhook(
    request: Request,
    integrationId: str = Path(max_length=40),
    service: Inbound = Depends(inbound),
) -> dict[str, Any]:
    return await _receive(service, await service.receiver(integration_id=integrationId), request)


@router.post(
    "/direct/webhook/big-commerce/order/{token}",
    response_model=Envelope[Received],
    summary="Receive a BigCommerce order webhook (seed 004 destination)",
    openapi_extra=_RAW_BODY,
)
async def receive_bigcommerce_order(
    request: Request,
    token: str = Path(min_length=16, max_length=200),
    service: Inbound = Depends(inbound),
) -> dict[str, Any]:
    return await _receive(service, await service.receiver(token=token), request)
