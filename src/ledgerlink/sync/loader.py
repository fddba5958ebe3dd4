"""Loading one page of upstream records: map each, then write the page in bulk.

A record that cannot be mapped is an item error and the rest go on. A page whose bulk write the
database refuses (a constraint one record breaks) is written again record by record, each in its
own savepoint, so only the offending records fail.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import InvalidOperation
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.canonical.external_refs import payload_hash
from ledgerlink.connectors.framework.stream import Stream, fingerprint, updated_at_is_version
from ledgerlink.sync.context import Item, ItemError, LoadContext, LoadResult
from ledgerlink.sync.payment_links import write_orders_linking_payments
from ledgerlink.sync.refs import newest_per_id
from ledgerlink.sync.write_catalog import write_products
from ledgerlink.sync.write_customers import write_customers, write_locations
from ledgerlink.sync.write_inventory import write_inventory
from ledgerlink.sync.write_payments import (
    write_balance_entries,
    write_chargebacks,
    write_payment_refunds,
    write_payments,
    write_payouts,
)

log = logging.getLogger(__name__)

Writer = Callable[[AsyncSession, LoadContext, list[Item]], Awaitable[LoadResult]]


async def _customers_only(session: AsyncSession, ctx: LoadContext, items: list[Item]) -> LoadResult:
    return (await write_customers(session, ctx, items))[0]


WRITERS: dict[str, Writer] = {
    "order": write_orders_linking_payments,  # write_orders, then the processor payments naming them
    "product": write_products,
    "customer": _customers_only,
    "location": write_locations,
    "inventory_level": write_inventory,
    "payment": write_payments,
    "payment_refund": write_payment_refunds,
    "chargeback": write_chargebacks,
    "balance_entry": write_balance_entries,
    "payout": write_payouts,
}

MAPPING_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, ArithmeticError, InvalidOperation)


def _describe(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
    return f"{type(exc).__name__}: {exc}"[:1000]


def map_records(stream: Stream, raws: list[Any]) -> tuple[list[Item], LoadResult, datetime | None]:
    """Map every record; returns the items, the failures, and the newest upstream updated_at seen."""
    items: list[Item] = []
    result = LoadResult()
    newest: datetime | None = None
    versioned = updated_at_is_version(stream)
    for raw in raws:
        try:
            external_id = stream.external_id(raw)
        except MAPPING_ERRORS as exc:
            result.fail(ItemError("?", "mapping_error", f"record without an id: {_describe(exc)}"))
            continue
        updated_at = stream.updated_at(raw)
        if updated_at is not None and (newest is None or updated_at > newest):
            newest = updated_at
        try:
            record = stream.map(raw)
            items.append(Item(external_id, record, payload_hash(fingerprint(stream, raw)), updated_at, versioned))
        except ValidationError as exc:
            result.fail(ItemError(external_id, "validation_error", _describe(exc)))
        except MAPPING_ERRORS as exc:
            result.fail(ItemError(external_id, "mapping_error", _describe(exc)))
    return items, result, newest


# Records mapped between two turns of the event loop (see map_page): a few, so a statement of the
# batch being written waits at most this many mappings (~0.05 ms each) before it goes out. Measured
# (sync benchmark, interleaved runs): 8 beats 4 by ~5%; each turn of the loop has its own cost.
MAP_CHUNK = 8


@dataclass
class MappedPage:
    items: list[Item]
    result: LoadResult  # the records that could not be mapped
    newest: datetime | None


async def map_page(stream: Stream, raws: list[Any], chunk: int = MAP_CHUNK) -> MappedPage:
    """`map_records` for a page read ahead while the page before it is written: the event loop gets a
    turn every `chunk` records, so the writer's next statement is sent as soon as the database answers
    the last one, instead of after the whole page is mapped. Hub and database then work at once."""
    mapped = MappedPage([], LoadResult(), None)
    for start in range(0, len(raws), chunk):
        items, result, newest = map_records(stream, raws[start : start + chunk])
        mapped.items.extend(items)
        mapped.result.merge(result)
        if newest is not None and (mapped.newest is None or newest > mapped.newest):
            mapped.newest = newest
        await _after_waiting_io()
    return mapped


async def _after_waiting_io() -> None:
    """Yield to the event loop so that a task the I/O woke while the last chunk was mapped (the writer,
    its statement answered) runs before the next chunk, instead of waiting for it too. The loop runs
    its ready callbacks in order, one round at a time: this task's first turn was queued before the
    loop polled the sockets; in that round the socket's callback resolves the writer's future, which
    queues the writer's own turn behind this task's next one. Three turns put the next chunk behind
    the writer on asyncio's loop (uvloop needs two): tests/test_sync_map_page.py holds both."""
    for _ in range(3):
        await asyncio.sleep(0)


def newest_copies(items: list[Item]) -> tuple[list[Item], int]:
    """One item per external id, the newest copy (refs.newest_per_id, the rule `decide` applies), and
    how many older copies were dropped. A batch holds a record twice when it was edited while the run
    read (it moved to a later page); writing both would make one statement write the same row twice."""
    chosen = newest_per_id(items)
    return list(chosen.values()), len(items) - len(chosen)


async def write_items(session: AsyncSession, ctx: LoadContext, resource_type: str, items: list[Item]) -> LoadResult:
    """Write a batch in bulk; an older copy of a record the batch also holds newer counts as unchanged."""
    writer = WRITERS[resource_type]
    result = LoadResult()
    items, superseded = newest_copies(items)
    result.unchanged += superseded
    try:
        async with session.begin_nested():
            result.merge(await writer(session, ctx, items))
        return result
    except (IntegrityError, DataError) as exc:
        log.info("page refused as a whole; writing record by record", extra={"error": _describe(exc)[:300]})
    for item in items:
        try:
            async with session.begin_nested():
                result.merge(await writer(session, ctx, [item]))
        except (IntegrityError, DataError) as exc:
            result.fail(ItemError(item.external_id, "validation_error", _describe(exc)))
    return result


async def load_page(
    session: AsyncSession, ctx: LoadContext, stream: Stream, raws: list[Any]
) -> tuple[LoadResult, datetime | None]:
    items, result, newest = map_records(stream, raws)
    result.merge(await write_items(session, ctx, stream.resource_type, items))
    return result, newest
