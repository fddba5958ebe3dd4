"""Which version of each gateway document the books stand for (`ledger_gateway_versions`, migration
0008), so that a gateway row changed after it was posted (a fee corrected, an amount changed upstream,
a dispute won) is found again and reposted as a reversal and a new entry (store.post,
ledger/revisions.py), and an unchanged one is not read again.

A version is a digest of the row's fields the posting rules read (books/gateway.py), computed in SQL
so that the job selects changed rows by comparing it with the recorded one. It is recorded once the
row has posted (or, its rules posting nothing, was found to post nothing), in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.ledger.journal import Document
from ledgerlink.models import LedgerGatewayVersion

# Bumped when the rules start reading another field: every row is then compared (and, the store
# finding its entry unchanged, merely re-recorded) once.
DIGEST_SCHEME = "v1"

VERSIONS = LedgerGatewayVersion.__table__


def digest_sql(*expressions: str) -> str:
    """SQL for the digest of these expressions' values (NULL kept apart from any value)."""
    parts = ", ".join(f"coalesce(({e})::text, '\\N')" for e in expressions)
    return f"md5(concat_ws('|', '{DIGEST_SCHEME}', {parts}))"


def changed_sql(kind_sql: str, external: str, digest: str) -> str:
    """SQL: the document has a recorded version that differs from `digest` (False when none)."""
    return f"""
       EXISTS (SELECT 1 FROM ledger_gateway_versions v
                WHERE v.integration_id = i.id AND v.source_kind = {kind_sql} AND v.source_external_id = {external}
                  AND v.fingerprint <> {digest})
    """


def unrecorded_sql(kind_sql: str, external: str) -> str:
    """SQL: no version of the document recorded yet."""
    return f"""
       NOT EXISTS (SELECT 1 FROM ledger_gateway_versions v
                    WHERE v.integration_id = i.id AND v.source_kind = {kind_sql} AND v.source_external_id = {external})
    """


async def record(session: AsyncSession, versions: Sequence[tuple[str, Document, str]]) -> None:
    """(workspace, document, fingerprint) triples: the version each document's books now stand for."""
    rows = {
        document: {
            "workspace_id": workspace_id,
            "integration_id": document[0],
            "source_kind": str(document[1]),
            "source_external_id": document[2],
            "fingerprint": fingerprint,
        }
        for workspace_id, document, fingerprint in versions
    }
    if not rows:
        return
    statement = insert(VERSIONS).values(list(rows.values()))
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["integration_id", "source_kind", "source_external_id"],
            set_={"fingerprint": statement.excluded.fingerprint, "posted_at": func.now()},
        )
    )
