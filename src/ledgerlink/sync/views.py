"""How a sync run reads in the API (seed 000's counters, prefixed by what the run syncs).

Payment streams read in seed 000's payment words (a disputes run counts `chargebacks…`); the money
totals and the grouping of a payment sync request are added by `sync.payment_runs.payment_views`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ledgerlink.models import SyncItemError, SyncRun

PUBLIC_STATUS = {"queued": "processing", "running": "processing", "succeeded": "completed"}
NOUN = {
    "orders": "orders",
    "products": "products",
    "customers": "customers",
    "locations": "locations",
    "inventory": "inventory",
    "payments": "payments",
    "refunds": "refunds",
    "disputes": "chargebacks",
    "balance_transactions": "balanceEntries",
    "payouts": "payouts",
}
# What an item error names its record by, where "<stream without its s>Id" would not read.
ID_KEY = {"disputes": "chargebackId", "balance_transactions": "balanceEntryId"}


def estimated_completion(run: SyncRun) -> datetime | None:
    if run.finished_at:
        return run.finished_at
    if not (run.started_at and run.to_process and run.processed):
        return None
    elapsed = datetime.now(UTC) - run.started_at
    return run.started_at + elapsed * (run.to_process / run.processed)


def error_view(error: SyncItemError, stream: str) -> dict[str, Any]:
    id_key = ID_KEY.get(stream) or f"{stream[:-1] if stream.endswith('s') else stream}Id"
    return {
        "timestamp": error.occurred_at,
        "type": error.error_type,
        "message": error.message,
        id_key: error.external_id,
        "externalId": error.external_id,
        "resolved": error.resolved_at is not None,
    }


def run_view(run: SyncRun, errors: list[SyncItemError] | None = None) -> dict[str, Any]:
    noun = NOUN.get(run.stream, run.stream)
    return {
        "syncId": run.id,
        "integrationId": run.integration_id,
        "stream": run.stream,
        "syncType": run.sync_type,
        "status": PUBLIC_STATUS.get(run.status, run.status),
        "state": run.status,
        f"{noun}ToProcess": run.to_process,
        f"{noun}Processed": run.processed,
        f"{noun}Created": run.created,
        f"{noun}Updated": run.updated,
        f"{noun}Unchanged": run.unchanged,
        f"{noun}Failed": run.failed,
        "pages": run.pages,
        "attempts": run.attempts,
        "trigger": run.trigger,
        "retryOf": run.retry_of,
        "window": run.window,
        "createdAt": run.created_at,
        "startedAt": run.started_at,
        "estimatedCompletion": estimated_completion(run),
        "finishedAt": run.finished_at,
        "errorCode": run.error_code,
        "errorMessage": run.error_message,
        "recentErrors": [error_view(e, run.stream) for e in errors or []],
    }
