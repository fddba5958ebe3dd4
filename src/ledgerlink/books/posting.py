"""Posting synced documents to the books, driven by domain events.

The job reads the events table by transaction horizon after its own cursor (`outbox_cursors` row
'ledger'; events_horizon.py), a bounded batch per transaction, and moves the cursor in the same
transaction as the entries it posts: a crash re-reads the batch, and re-posting is a no-op (entry ids
are deterministic, the store inserts each once).

Event -> posting rules (the stored order is read again, so an event is only a "look at this order"):
- order.created, order.updated, order.cancelled: the order's invoice (ledger.posting.post_order) and
  each of its refunds' credit notes, reposted against what they posted before (revisions.py): an
  unchanged document posts nothing; a changed one a reversal of its live entries and a new entry; an
  order now cancelled or voided only the reversal.
- refund.created (data.orderId): the same, for the refund's order. A refund is credited once settled:
  it has a processed date and its order's money was taken (financial status not pending, authorized
  or voided; documents.refund_settled). An unsettled refund is posted by a later event of its order.
- Orders entered by hand (no integration) or without an upstream id are not posted.
- An integration with a batch period for orders or refunds (seed 003) has those documents staged for
  their period's summarised entry instead (batching.py, posted by the task once the period closes);
  with `sync_sales_order_invoices_to_accounting` / `sync_sales_credit_to_accounting` off, the rules
  post (or stage) nothing for invoices / credit notes, and nothing is recorded as refused.
A document the rules refuse (totals that disagree, an unmapped account) is recorded in
`ledger_posting_errors` with the reason and retried every RETRY_AFTER; the rest of the batch posts.
(Gateway money - charges, fees, payouts… - is posted by gateway_job.py, which retries its own.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from sqlalchemy import ARRAY, String, bindparam, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink import events_horizon
from ledgerlink.books import batching, documents, store
from ledgerlink.books.context import in_currency, posting_context
from ledgerlink.errors import LedgerlinkError
from ledgerlink.ledger.batches import period_for
from ledgerlink.ledger.context import PostingContext
from ledgerlink.ledger.entries import JournalEntry, SourceKind
from ledgerlink.ledger.errors import LedgerConfigError
from ledgerlink.ledger.journal import Document
from ledgerlink.ledger.posting import post_order, post_refund
from ledgerlink.ledger.settings import BatchPeriod
from ledgerlink.models import Integration, LedgerPostingError
from ledgerlink.runtime import Runtime

log = logging.getLogger(__name__)

CURSOR = "ledger"
ORDER_EVENTS = ("order.created", "order.updated", "order.cancelled", "refund.created")
EVENTS_PER_BATCH = 500
MAX_BATCHES = 40
RETRY_AFTER_MINUTES = 10
RETRIES_PER_RUN = 200

_TYPES = bindparam("types", type_=ARRAY(String))
# Where a batch of at most `limit` events ends: at a transaction boundary (a transaction's events are
# never split), and past the first transaction however many events it wrote.
_BATCH_END = text(
    """
    SELECT txid FROM events WHERE txid >= :since AND txid < :upto AND type = ANY(:types)
     ORDER BY txid OFFSET :limit LIMIT 1
    """
).bindparams(_TYPES)
_NEXT_TX = text("SELECT min(txid) FROM events WHERE txid > :since AND txid < :upto AND type = ANY(:types)").bindparams(
    _TYPES
)
_EVENTS = text(
    """
    SELECT id, type, coalesce(data->>'orderId', subject_id) AS order_id FROM events
     WHERE txid >= :since AND txid < :upto AND type = ANY(:types)
     ORDER BY txid, seq
    """
).bindparams(_TYPES)
_CLEARED = text(
    """
    DELETE FROM ledger_posting_errors e
     USING unnest(:integrations, :kinds, :externals) AS d(integration_id, kind, external_id)
     WHERE e.integration_id = d.integration_id AND e.source_kind = d.kind AND e.source_external_id = d.external_id
    """
).bindparams(
    bindparam("integrations", type_=ARRAY(String)),
    bindparam("kinds", type_=ARRAY(String)),
    bindparam("externals", type_=ARRAY(String)),
)


@dataclass
class PostingRun:
    events: int = 0
    documents: int = 0
    entries: int = 0
    failed: int = 0
    staged: int = 0  # documents staged for a batch entry (batching.py) rather than posted

    def add(self, other: PostingRun) -> None:
        self.events += other.events
        self.documents += other.documents
        self.entries += other.entries
        self.failed += other.failed
        self.staged += other.staged


@dataclass(frozen=True, slots=True)
class Failure:
    workspace_id: str
    document: Document
    canonical_id: str
    event_id: str | None
    code: str
    message: str
    details: Any = None


async def post_pending(
    runtime: Runtime, *, batch: int = EVENTS_PER_BATCH, max_batches: int = MAX_BATCHES
) -> PostingRun:
    """Post what the events since the cursor call for, batch by batch; once caught up with the horizon,
    retry old failures. Stops after `max_batches` (the next run goes on), so a busy hub does not keep
    one job forever."""
    run = PostingRun()
    for _ in range(max_batches):
        async with runtime.sessions.begin() as session:
            claimed = await events_horizon.claim(session, CURSOR)  # also serialises concurrent runs
            caught_up = True
            if claimed is not None:
                upto = await _batch_end(session, claimed, batch)
                done = await _post_events(session, claimed.since, upto)
                run.add(done)
                await events_horizon.advance(session, CURSOR, upto)
                caught_up = upto == claimed.upto
                if done.entries or done.failed:
                    log.info(
                        "ledger posting", extra={"events": done.events, "entries": done.entries, "failed": done.failed}
                    )
            if caught_up:
                run.add(await retry_failures(session))
        if caught_up:
            break
    return run


async def _post_events(session: AsyncSession, since: int, upto: int) -> PostingRun:
    rows = (await session.execute(_EVENTS, {"since": since, "upto": upto, "types": list(ORDER_EVENTS)})).all()
    done = await post_orders(session, {row.order_id: row.id for row in rows if row.order_id})
    done.events = len(rows)
    return done


async def _batch_end(session: AsyncSession, claimed: events_horizon.HorizonRange, limit: int) -> int:
    params = {"since": claimed.since, "upto": claimed.upto, "types": list(ORDER_EVENTS)}
    cut = (await session.execute(_BATCH_END, {**params, "limit": limit})).scalar_one_or_none()
    if cut is None:
        return claimed.upto
    if cut > claimed.since:
        return int(cut)
    following = (await session.execute(_NEXT_TX, params)).scalar_one_or_none()
    return int(following) if following is not None else claimed.upto


async def post_orders(session: AsyncSession, orders: dict[str, str | None]) -> PostingRun:
    """Post (or repost) each order and its refunds; `orders` maps order id -> the event that asked."""
    return await _post_stored(session, await documents.load_orders(session, list(orders)), orders)


async def _post_stored(
    session: AsyncSession, stored: Sequence[documents.StoredOrder], orders: dict[str, str | None]
) -> PostingRun:
    contexts = await _contexts(session, {s.integration_id for s in stored})
    postings: list[store.Posting] = []
    batched: list[tuple[store.Posting, BatchPeriod]] = []
    failures: list[Failure] = []
    for order in stored:
        event_id = orders.get(order.id)
        setup = contexts.get(order.integration_id) or LedgerConfigError(
            f"integration {order.integration_id} no longer exists", {"integrationId": order.integration_id}
        )
        for document, rule in _rules(order):
            try:
                if isinstance(setup, LedgerlinkError):
                    raise setup
                ctx = in_currency(setup, order.currency)
                entry = rule(ctx)
            except LedgerlinkError as error:
                failure = Failure(
                    order.workspace_id, document, order.id, event_id, error.code, error.message, error.details
                )
                failures.append(failure)
                continue
            posting = store.Posting(order.workspace_id, document, entry, event_id)
            period = period_for(ctx.settings, document[1])
            if period is None:
                postings.append(posting)
                continue
            # Staged for its period's batch; what it posted on its own before is reversed.
            batched.append((posting, period))
            postings.append(replace(posting, entry=None))
    added = await store.post(session, postings)
    in_batches = {p.document for p, _ in batched}
    staged = await batching.stage(session, batched, [p.document for p in postings if p.document not in in_batches])
    await _record(session, failures, [p.document for p in postings])
    return PostingRun(documents=len(postings) + len(failures), entries=len(added), failed=len(failures), staged=staged)


Rule = Callable[[PostingContext], JournalEntry | None]


def _rules(order: documents.StoredOrder) -> list[tuple[Document, Rule]]:
    """The documents an order stands for (itself, each refund) and the rule that posts each."""
    iid, record = order.integration_id, order.record
    document: Document = (iid, SourceKind.ORDER, order.external_id)
    if record is None:
        return [(document, partial(_invalid, order.problem or "the stored order is invalid"))]
    rules: list[tuple[Document, Rule]] = [(document, partial(post_order, record))]
    for refund in record.refunds:
        settled = documents.refund_settled(record, refund)
        rules.append(
            ((iid, SourceKind.REFUND, refund.external_id), partial(post_refund, record, refund, settled=settled))
        )
    return rules


def _invalid(problem: str, ctx: PostingContext) -> JournalEntry | None:
    raise documents.StoredOrderInvalid(problem)


async def _contexts(session: AsyncSession, integration_ids: set[str]) -> dict[str, PostingContext | LedgerlinkError]:
    found: dict[str, PostingContext | LedgerlinkError] = {}
    if not integration_ids:
        return found
    for integration in (
        await session.execute(select(Integration).where(Integration.id.in_(integration_ids)))
    ).scalars():
        try:
            found[integration.id] = await posting_context(session, integration)
        except LedgerlinkError as error:
            found[integration.id] = error
    return found


async def _record(session: AsyncSession, failures: Sequence[Failure], posted: Sequence[Document]) -> None:
    """Failures replace what was recorded for their document; documents that posted clear theirs."""
    if posted:
        await session.execute(
            _CLEARED,
            {
                "integrations": [d[0] for d in posted],
                "kinds": [str(d[1]) for d in posted],
                "externals": [d[2] for d in posted],
            },
        )
    if not failures:
        return
    rows = {
        f.document: {
            "workspace_id": f.workspace_id,
            "integration_id": f.document[0],
            "source_kind": str(f.document[1]),
            "source_external_id": f.document[2],
            "canonical_id": f.canonical_id,
            "event_id": f.event_id,
            "code": f.code,
            "message": f.message,
            "details": f.details,
            "attempts": 1,
        }
        for f in failures
    }
    statement = insert(LedgerPostingError).values(list(rows.values()))
    excluded = statement.excluded
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["integration_id", "source_kind", "source_external_id"],
            set_={
                "canonical_id": excluded.canonical_id,
                "event_id": excluded.event_id,
                "code": excluded.code,
                "message": excluded.message,
                "details": excluded.details,
                "attempts": LedgerPostingError.attempts + 1,
                "last_failed_at": text("now()"),
            },
        )
    )
    for f in failures:
        log.warning(
            "ledger posting refused",
            extra={"document": "/".join(map(str, f.document)), "code": f.code, "reason": f.message},
        )


_DUE = text(
    f"""
    SELECT DISTINCT canonical_id FROM ledger_posting_errors
     WHERE source_kind IN ('order', 'refund') AND last_failed_at < now() - interval '{RETRY_AFTER_MINUTES} minutes'
     LIMIT {RETRIES_PER_RUN}
    """
)


_DROP = text("DELETE FROM ledger_posting_errors WHERE canonical_id = ANY(:ids)").bindparams(
    bindparam("ids", type_=ARRAY(String))
)


async def retry_failures(session: AsyncSession) -> PostingRun:
    """Post again the documents that failed a while ago (their mapping may have been fixed since);
    failures whose order is gone are dropped."""
    due = [row.canonical_id for row in await session.execute(_DUE)]
    if not due:
        return PostingRun()
    stored = await documents.load_orders(session, due)
    run = await _post_stored(session, stored, dict.fromkeys(due))
    remaining = {s.id for s in stored}
    gone = [i for i in due if i not in remaining]
    if gone:
        await session.execute(_DROP, {"ids": gone})
    return run
