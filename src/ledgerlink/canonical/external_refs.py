"""Mapping upstream objects to canonical records, and deciding whether an upstream copy is news.

`record_ref` is what a sync page and a webhook both call after fetching an upstream object. The
decision (new, changed, unchanged, or older than what is stored) is taken by one INSERT … ON CONFLICT
DO UPDATE … WHERE statement, so two writers racing on the same object serialise on its row: exactly
one of them creates it, and an older payload can never overwrite a newer one.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.ids import new_id
from ledgerlink.models import ExternalRef


class Outcome(enum.StrEnum):
    CREATED = "created"  # first time this upstream object was seen
    UPDATED = "updated"  # seen before, and the payload changed (and is not older)
    UNCHANGED = "unchanged"  # same payload hash as stored: nothing to do
    STALE = "stale"  # the stored copy is newer than this one: this one must not be applied


class RefConflict(Exception):
    """The upstream object is already mapped to a different canonical record than the one given.

    Usually a lost race: two writers each made a canonical record for the same new upstream object and
    the other one's mapping won. Roll back and adopt `existing_canonical_id`.
    """

    def __init__(self, resource_type: str, external_id: str, existing_canonical_id: str, given: str) -> None:
        super().__init__(f"{resource_type} {external_id!r} is already mapped to {existing_canonical_id}, not {given}")
        self.existing_canonical_id = existing_canonical_id


# ---------------------------------------------------------------------------------------------------
# Payload hashing


def payload_hash(payload: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the payload's canonical JSON: keys sorted, no whitespace, UTF-8.

    Equal JSON documents hash equal whatever their key order. Decimals are written as strings of
    their exact digits (`Decimal("1.50")` as `"1.50"`); datetimes as ISO 8601 strings, aware ones in
    UTC; dates, times and UUIDs as ISO strings. Anything else JSON cannot express is a TypeError, as
    are non-string keys (JSON would silently turn `1` and `"1"` into the same key). orjson does the
    work: this runs for every record of every sync page.
    """
    try:
        encoded = orjson.dumps(payload, option=_OPTIONS, default=_default)
    except orjson.JSONEncodeError:
        # orjson stops at 64-bit integers; the standard library writes the same canonical form.
        _check_keys(payload)
        encoded = json.dumps(
            payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default, allow_nan=False
        ).encode()
    return hashlib.sha256(encoded).hexdigest()


def _check_keys(value: Any) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"payload keys must be strings, got {key!r}")
            _check_keys(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_keys(item)


_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise TypeError(f"cannot hash non-finite Decimal {value!r}")
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None and value.utcoffset() is not None:
            value = value.astimezone(UTC)
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"cannot hash a {type(value).__name__} in a payload")


# ---------------------------------------------------------------------------------------------------
# Recording and looking up references


async def record_ref(
    session: AsyncSession,
    *,
    workspace_id: str,
    integration_id: str,
    resource_type: str,
    external_id: str,
    canonical_id: str,
    upstream_updated_at: datetime | None,
    payload_hash: str,
) -> Outcome:
    """Record that `external_id` (of `resource_type`, from `integration_id`) is `canonical_id`.

    CREATED: a new mapping was inserted. UPDATED: the payload hash changed and the incoming copy is
    not older than the stored one (when both have an upstream `updated_at`); hash, `updated_at` and
    `last_seen_at` were updated. UNCHANGED: same hash; nothing was written. STALE: the stored
    `updated_at` is newer; nothing was written. Without an incoming `updated_at` a changed hash
    counts as UPDATED and the stored `updated_at` is kept.

    Raises RefConflict if the object is already mapped to another canonical id (nothing is written).
    Runs in the caller's transaction; on UPDATED/UNCHANGED/STALE the row stays locked until it ends,
    so the caller can apply the payload to the canonical record without a concurrent writer
    interleaving.
    """
    table = ExternalRef.__table__
    stmt = insert(table).values(
        id=new_id("ref"),
        workspace_id=workspace_id,
        integration_id=integration_id,
        resource_type=resource_type,
        external_id=external_id,
        canonical_id=canonical_id,
        upstream_updated_at=upstream_updated_at,
        payload_hash=payload_hash,
    )
    incoming = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        constraint="uq_external_refs_key",
        set_={
            "payload_hash": incoming.payload_hash,
            "upstream_updated_at": func.coalesce(incoming.upstream_updated_at, table.c.upstream_updated_at),
            "last_seen_at": func.now(),
        },
        where=(
            (table.c.canonical_id == incoming.canonical_id)
            & (table.c.payload_hash != incoming.payload_hash)
            & or_(
                table.c.upstream_updated_at.is_(None),
                incoming.upstream_updated_at.is_(None),
                table.c.upstream_updated_at <= incoming.upstream_updated_at,
            )
        ),
    ).returning(literal_column("xmax = 0").label("inserted"))
    row = (await session.execute(stmt)).first()
    if row is not None:
        return Outcome.CREATED if row.inserted else Outcome.UPDATED

    # Nothing was written. ON CONFLICT DO UPDATE locked the existing row even though its WHERE
    # refused the update, so this read sees the version the decision was made against.
    stored = (
        await session.execute(
            select(table.c.canonical_id, table.c.payload_hash, table.c.upstream_updated_at).where(
                table.c.workspace_id == workspace_id,
                table.c.integration_id == integration_id,
                table.c.resource_type == resource_type,
                table.c.external_id == external_id,
            )
        )
    ).one()
    if stored.canonical_id != canonical_id:
        raise RefConflict(resource_type, external_id, stored.canonical_id, canonical_id)
    if stored.payload_hash == payload_hash:
        return Outcome.UNCHANGED
    return Outcome.STALE


async def lookup_ref(
    session: AsyncSession,
    *,
    workspace_id: str,
    integration_id: str,
    resource_type: str,
    external_id: str,
) -> str | None:
    """The canonical id `external_id` is mapped to, or None if it has not been seen."""
    return (
        await session.execute(
            select(ExternalRef.canonical_id).where(
                ExternalRef.workspace_id == workspace_id,
                ExternalRef.integration_id == integration_id,
                ExternalRef.resource_type == resource_type,
                ExternalRef.external_id == external_id,
            )
        )
    ).scalar_one_or_none()
