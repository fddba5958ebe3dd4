"""Posting the gateway money (books/gateway.py) to the books, from the periodic ledger task (tasks.py).

No events announce most gateway movements (write_payments.py), so the job does not follow a cursor:
each run selects, batch by batch in id order, the rows whose books are not current: settled rows of a
document (integration, source kind, external id) with no version recorded yet, and rows whose digest
of the fields the rules read differs from the version recorded when they posted (revisions_store.py).
Each is posted through the store as orders are: nothing when its entry stands, else a reversal of
what it posted and its new entry (ledger/revisions.py), or only the reversal when it no longer posts
(a payout that failed after all). A charge whose fee is corrected, a dispute won after its funds were
withdrawn: a reversal and the new entry, never an edit. Rows not settled yet (a pending refund, a
payout in transit) are not selected until their status says so. Running twice, or re-syncing an
unchanged row, selects nothing.

A row the rules refuse is recorded in `ledger_posting_errors` (as orders are, posting._record) and
left alone for RETRY_AFTER_MINUTES; the next run after that tries it again, and a row that posts
clears its error.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.books import gateway, revisions_store, store
from ledgerlink.books.context import in_currency
from ledgerlink.books.posting import RETRY_AFTER_MINUTES, Failure, PostingRun, _contexts, _record
from ledgerlink.errors import LedgerlinkError
from ledgerlink.ledger.errors import LedgerConfigError, PostingError
from ledgerlink.ledger.gateway_posting import post_event
from ledgerlink.ledger.inputs import GatewayEvent
from ledgerlink.ledger.journal import Document
from ledgerlink.runtime import Runtime

log = logging.getLogger(__name__)

ROWS_PER_BATCH = 500
MAX_BATCHES = 40

_KIND_OF_PAYMENT = (
    "CASE p.kind "
    + " ".join(f"WHEN '{kind}' THEN '{source}'" for kind, source in gateway.PAYMENT_SOURCE_KINDS.items())
    + " END"
)
_KIND_OF_FEE = (
    "CASE WHEN i.provider IN ("
    + ", ".join(f"'{p}'" for p in sorted(gateway.MARKETPLACES))
    + ") THEN 'marketplace_fee' ELSE 'processor_fee' END"
)


def _due(kind_sql: str, external: str, digest: str, settled: str) -> str:
    """Not posted yet and settled, or posted as another version; no refusal recorded for it lately."""
    return f"""
       (({revisions_store.unrecorded_sql(kind_sql, external)} AND ({settled}))
        OR {revisions_store.changed_sql(kind_sql, external, digest)})
       AND NOT EXISTS (SELECT 1 FROM ledger_posting_errors f
                    WHERE f.integration_id = i.id AND f.source_kind = {kind_sql} AND f.source_external_id = {external}
                      AND f.last_failed_at > now() - interval '{RETRY_AFTER_MINUTES} minutes')
    """


# The fields gateway.py reads of each row: a change to any of them may change its entry.
_PAYMENT_DIGEST = revisions_store.digest_sql(
    "p.kind", "p.status", "p.amount", "p.currency", "p.captured_amount", "p.settlement_amount",
    "p.settlement_currency", "p.settlement_fee", "extract(epoch FROM p.processed_at)",
    "extract(epoch FROM p.created_at)", "p.order_external_id",
)  # fmt: skip
_FEE_DIGEST = revisions_store.digest_sql(
    "i.provider", "b.net", "b.currency", "extract(epoch FROM b.occurred_at)", "b.source_external_id"
)
# The settled test here only narrows the selection; gateway.py decides (and says) what is settled.
_PAYMENT_SETTLED = """
    (p.kind IN ('charge', 'refund') AND p.status = 'succeeded')
    OR (p.kind = 'chargeback' AND p.settlement_amount IS NOT NULL)
    OR (p.kind = 'payout' AND p.status = 'paid')
"""
_PAYMENTS = text(
    f"""
    SELECT p.*, i.provider, {_PAYMENT_DIGEST} AS fingerprint
      FROM payments p JOIN integrations i ON i.id = p.integration_id
     WHERE p.id > :after AND p.external_id IS NOT NULL AND p.external_id <> ''
       AND {_due(_KIND_OF_PAYMENT, "p.external_id", _PAYMENT_DIGEST, _PAYMENT_SETTLED)}
     ORDER BY p.id LIMIT :limit
    """
)
_FEES = text(
    f"""
    SELECT b.*, i.provider, {_FEE_DIGEST} AS fingerprint
      FROM balance_entries b JOIN integrations i ON i.id = b.integration_id
     WHERE b.id > :after AND b.kind = 'fee'
       AND {_due(_KIND_OF_FEE, "b.external_id", _FEE_DIGEST, "b.net <> 0")}
     ORDER BY b.id LIMIT :limit
    """
)


@dataclass(frozen=True, slots=True)
class _Source:
    query: Any
    adapt: Any  # row -> GatewayEvent

    def kind(self, row: Any) -> str:
        if self.query is _FEES:
            return str(gateway.fee_source_kind(row.provider))
        return str(gateway.PAYMENT_SOURCE_KINDS[row.kind])


_SOURCES = (
    _Source(_PAYMENTS, gateway.from_payment),
    _Source(_FEES, lambda row: gateway.from_fee_entry(row, row.provider)),
)


async def post_gateway_pending(
    runtime: Runtime, *, batch: int = ROWS_PER_BATCH, max_batches: int = MAX_BATCHES
) -> PostingRun:
    """Post every settled gateway row not posted yet, and repost every row changed since it posted,
    `batch` rows per transaction; stops after `max_batches` per source (the next run goes on)."""
    run = PostingRun()
    for source in _SOURCES:
        after = ""
        for _ in range(max_batches):
            async with runtime.sessions.begin() as session:
                rows = (await session.execute(source.query, {"after": after, "limit": batch})).all()
                if not rows:
                    break
                done = await post_rows(session, source, rows)
                run.add(done)
                after = rows[-1].id
            if done.entries or done.failed:
                log.info("gateway posting", extra={"entries": done.entries, "failed": done.failed})
            if len(rows) < batch:
                break
    return run


async def post_rows(session: AsyncSession, source: _Source, rows: list[Any]) -> PostingRun:
    contexts = await _contexts(session, {row.integration_id for row in rows})
    postings: list[store.Posting] = []
    failures: list[Failure] = []
    versions: list[tuple[str, Document, str]] = []
    for row in rows:
        document: Document = (row.integration_id, source.kind(row), row.external_id)
        setup = contexts.get(row.integration_id) or LedgerConfigError(
            f"integration {row.integration_id} no longer exists", {"integrationId": row.integration_id}
        )
        try:
            if isinstance(setup, LedgerlinkError):
                raise setup
            try:
                event: GatewayEvent = source.adapt(row)
            except ValueError as error:  # the input refused the row's figures
                raise PostingError(str(error), {"externalId": row.external_id}) from error
            entry = post_event(event, in_currency(setup, event.currency))
        except LedgerlinkError as error:
            failures.append(Failure(row.workspace_id, document, row.id, None, error.code, error.message, error.details))
            continue
        # None too: a row that posted and no longer does (unsettled again) has its entry reversed.
        postings.append(store.Posting(row.workspace_id, document, entry))
        versions.append((row.workspace_id, document, row.fingerprint))
    added = await store.post(session, postings)
    await revisions_store.record(session, versions)
    await _record(session, failures, [p.document for p in postings])
    return PostingRun(documents=len(postings) + len(failures), entries=len(added), failed=len(failures))
