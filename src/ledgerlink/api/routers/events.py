"""GET /v1/events: the workspace's domain events, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.api.deps import db_session, requires
from ledgerlink.api.envelope import ERROR_RESPONSES, PageEnvelope, PageParams, page_params, paged
from ledgerlink.auth.principal import Principal
from ledgerlink.db.paging import fetch_page
from ledgerlink.models import Event

router = APIRouter(prefix="/v1/events", tags=["events"], responses=ERROR_RESPONSES)


class EventOut(BaseModel):
    id: str
    event: str
    source: str
    integrationId: str | None
    timestamp: datetime
    data: dict[str, Any]


@router.get("", response_model=PageEnvelope[EventOut], summary="List domain events")
async def list_events(
    type: str | None = Query(None, max_length=80, description="e.g. order.created"),
    integrationId: str | None = Query(None, max_length=40),
    params: PageParams = Depends(page_params),
    principal: Principal = Depends(requires("read:webhooks")),
    session: AsyncSession = Depends(db_session),
) -> dict[str, Any]:
    query = select(Event).where(Event.workspace_id == principal.workspace_id)
    if type:
        query = query.where(Event.type == type)
    if integrationId:
        query = query.where(Event.integration_id == integrationId)
    rows, total = await fetch_page(session, query, order_by=Event.seq.desc(), offset=params.offset, limit=params.limit)
    items = [
        {
            "id": e.id,
            "event": e.type,
            "source": e.source,
            "integrationId": e.integration_id,
            "timestamp": e.occurred_at,
            "data": e.data,
        }
        for e in rows
    ]
    return paged(items, params, total)
