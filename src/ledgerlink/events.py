"""Emitting domain events: the one way a change becomes visible to the rest of the system."""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.db.copy import insert_tuples
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


class EventRow(NamedTuple):
    """An event as a row of the events table, for `emit_many`: a tuple of its columns, which COPY
    takes as it is (bulk paths emit hundreds a page)."""

    id: str
    workspace_id: str
    type: str
    source: str
    integration_id: str | None
    subject_id: str | None
    data: dict[str, Any]


def event_row(
    *,
    workspace_id: str,
    type: str,
    source: str,
    data: dict[str, Any],
    integration_id: str | None = None,
    subject_id: str | None = None,
) -> EventRow:
    """A new event (its id minted now) as a row for `emit_many`."""
    return EventRow(new_id("evt"), workspace_id, type, source, integration_id, subject_id, data)


async def emit_many(session: AsyncSession, rows: list[EventRow]) -> None:
    await insert_tuples(session, Event.__table__, EventRow._fields, rows)
