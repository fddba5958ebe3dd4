"""Emitting domain events: the one way a change becomes visible to the rest of the system."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.db.copy import insert_rows
from ledgerlink.ids import new_id
from ledgerlink.models import Event


def emit(
    session: AsyncSession,
    *,
    workspace_id: str,
    type: str,
    source: str,
    data: dict[str, Any],
    integration_id: str | None = None,
    subject_id: str | None = None,
) -> Event:
    """Add the event to the caller's transaction: it exists exactly when the change does."""
    event = Event(
        id=new_id("evt"),
        workspace_id=workspace_id,
        type=type,
        source=source,
        integration_id=integration_id,
        subject_id=subject_id,
        data=data,
    )
    session.add(event)
    return event


def event_row(
    *,
    workspace_id: str,
    type: str,
    source: str,
    data: dict[str, Any],
    integration_id: str | None = None,
    subject_id: str | None = None,
) -> dict[str, Any]:
    """An event as a row for `emit_many` (bulk paths: a sync page emits hundreds)."""
    return {
        "id": new_id("evt"),
        "workspace_id": workspace_id,
        "type": type,
        "source": source,
        "integration_id": integration_id,
        "subject_id": subject_id,
        "data": data,
    }


async def emit_many(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await insert_rows(session, Event.__table__, rows)
