"""Payment syncs (seed 000's `POST /v1/integrations/stripe/sync-payments`): one request starts a run
per stream it needs, and reads back as one sync with seed 000's counters.

The payments run leads: its id is the request's `syncId`, and `GET /v1/sync-runs/{syncId}` shows the
whole request's counters and state (processing until every run has finished). Each run remains a run
of its own (live, resumable, retryable), listed under `runs`.

Counters (over the request's runs; for a payment-stream run started on its own, over that run):

- `paymentsProcessed` / `paymentsCreated` / `paymentsUpdated`: the payments (charges) run's counters.
- `refundsProcessed`: the refunds run's processed; `chargebacksProcessed`: the disputes run's.
- `feesRecorded`: processor fees recorded: each charge's, refund's and dispute movement's non-zero fee,
  plus each fee billed on its own (balance entries of kind fee, when fees are included).
- `totalAmount`: the captured amount of the payments processed (failed and uncaptured ones count 0);
  `totalFees`: those fees' sum. Money of different currencies is never added: the scalar is the
  decimal amount when every payment (fee) was in one currency (0 when there were none) and null when
  there were several; `totalAmountByCurrency` / `totalFeesByCurrency` always give every currency, as a
  decimal string and in integer minor units. Fees are in the processor balance's currency.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.canonical.money import to_major
from ledgerlink.connectors.loading import connector_class
from ledgerlink.connectors.registry import get_provider
from ledgerlink.errors import ConfigurationError
from ledgerlink.integrations.service import get_integration
from ledgerlink.models import PaymentSyncRun, PaymentSyncTotal, SyncRun
from ledgerlink.sync import runs
from ledgerlink.sync.views import PUBLIC_STATUS

# stream -> the request flag that includes it (None: always)
PAYMENT_STREAMS: dict[str, str | None] = {
    "payments": None,
    "refunds": "includeRefunds",
    "disputes": "includeChargebacks",
    "balance_transactions": "includeFees",
    "payouts": "includePayouts",
}
ACTIVE = ("queued", "running")


async def start_payment_sync(
    session: AsyncSession,
    workspace_id: str,
    integration_id: str,
    *,
    include: dict[str, bool],
    sync_type: str = "incremental",
    since: datetime | None = None,
    until: datetime | None = None,
    page_size: int = 100,
) -> SyncRun:
    """Start the runs (all or none: one already active is a Conflict) and return the payments run."""
    integration = await get_integration(session, workspace_id, integration_id)
    provider = get_provider(integration.provider)
    available = connector_class(provider).stream_names
    if "payments" not in available:
        raise ConfigurationError(
            f"{provider.name} has no payments to sync", {"provider": provider.id, "available": list(available)}
        )
    streams = [s for s, flag in PAYMENT_STREAMS.items() if s in available and (flag is None or include.get(flag, True))]
    return await start_grouped_runs(
        session,
        workspace_id,
        integration.id,
        streams,
        sync_type=sync_type,
        since=since,
        until=until,
        page_size=page_size,
    )


async def start_grouped_runs(
    session: AsyncSession,
    workspace_id: str,
    integration_id: str,
    streams: list[str],
    *,
    sync_type: str = "incremental",
    since: datetime | None = None,
    until: datetime | None = None,
    page_size: int = 100,
) -> SyncRun:
    """Start one request's runs, one per stream (all or none: one already active is a Conflict),
    grouped under the first stream's run, which is returned (the request's `syncId`)."""
    started = []
    for stream in streams:
        request = runs.RunRequest(stream=stream, sync_type=sync_type, since=since, until=until, page_size=page_size)
        started.append(await runs.add_run(session, workspace_id, integration_id, request))
    lead = started[0]
    session.add_all(
        PaymentSyncRun(sync_run_id=run.id, lead_run_id=lead.id, stream=run.stream, workspace_id=workspace_id)
        for run in started
    )
    await session.commit()
    return lead


def _state(members: list[SyncRun]) -> str:
    states = {m.status for m in members}
    if states & set(ACTIVE):
        return "running" if states - {"queued"} else "queued"
    for state in ("failed", "cancelled", "completed_with_errors"):
        if state in states:
            return state
    return "succeeded"


def _scalar(by_currency: dict[str, list[int]]) -> float | int | None:
    if not by_currency:
        return 0
    if len(by_currency) > 1:
        return None
    ((currency, (_, amount)),) = by_currency.items()
    return float(to_major(amount, currency))


def _listing(by_currency: dict[str, list[int]], noun: str) -> list[dict[str, Any]]:
    return [
        {"currency": c, "amount": str(to_major(amount, c)), "amountMinor": amount, noun: records}
        for c, (records, amount) in sorted(by_currency.items())
    ]


def counters(members: list[SyncRun], totals: Iterable[PaymentSyncTotal]) -> dict[str, Any]:
    by_stream = {m.stream: m for m in members}
    sums: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for total in totals:
        held = sums[total.measure].setdefault(total.currency, [0, 0])
        held[0] += total.records
        held[1] += total.amount

    def count(stream: str, field: str = "processed") -> int:
        run = by_stream.get(stream)
        return int(getattr(run, field)) if run is not None else 0

    return {
        "paymentsProcessed": count("payments"),
        "paymentsCreated": count("payments", "created"),
        "paymentsUpdated": count("payments", "updated"),
        "refundsProcessed": count("refunds"),
        "chargebacksProcessed": count("disputes"),
        "feesRecorded": sum(records for records, _ in sums["fees"].values()),
        "totalAmount": _scalar(sums["payments"]),
        "totalFees": _scalar(sums["fees"]),
        "totalAmountByCurrency": _listing(sums["payments"], "payments"),
        "totalFeesByCurrency": _listing(sums["fees"], "fees"),
    }


def _member_view(run: SyncRun) -> dict[str, Any]:
    return {
        "stream": run.stream,
        "syncId": run.id,
        "state": run.status,
        "processed": run.processed,
        "created": run.created,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "failed": run.failed,
        "pages": run.pages,
        "errorCode": run.error_code,
    }


async def payment_views(session: AsyncSession, shown: list[SyncRun]) -> dict[str, dict[str, Any]]:
    """What a run started with others by one request, or a payment-stream run, adds to its view (run
    id -> keys): the request's runs, for its lead run the request's state, and where the request is a
    payment sync (led by a payment stream) seed 000's payment counters over its runs."""
    if not shown:
        return {}
    lead_of = {
        row.sync_run_id: row.lead_run_id
        for row in await session.execute(
            select(PaymentSyncRun.sync_run_id, PaymentSyncRun.lead_run_id).where(
                PaymentSyncRun.sync_run_id.in_([r.id for r in shown])
            )
        )
    }
    ids = [r.id for r in shown if r.id in lead_of or r.stream in PAYMENT_STREAMS]
    if not ids:
        return {}
    groups: dict[str, list[SyncRun]] = defaultdict(list)
    if lead_of:
        for member, lead in await session.execute(
            select(SyncRun, PaymentSyncRun.lead_run_id)
            .join(PaymentSyncRun, PaymentSyncRun.sync_run_id == SyncRun.id)
            .where(PaymentSyncRun.lead_run_id.in_(set(lead_of.values())))
            .order_by(SyncRun.id)
        ):
            groups[lead].append(member)
    shown_by_id = {r.id: r for r in shown}
    members_of = {i: groups[lead_of[i]] if i in lead_of else [shown_by_id[i]] for i in ids}
    run_ids = {m.id for members in members_of.values() for m in members}
    totals: dict[str, list[PaymentSyncTotal]] = defaultdict(list)
    for total in (
        await session.execute(select(PaymentSyncTotal).where(PaymentSyncTotal.sync_run_id.in_(run_ids)))
    ).scalars():
        totals[total.sync_run_id].append(total)

    views: dict[str, dict[str, Any]] = {}
    for run_id, members in members_of.items():
        lead_stream = next((m.stream for m in members if m.id == lead_of.get(run_id, run_id)), None)
        view = counters(members, (t for m in members for t in totals[m.id])) if lead_stream in PAYMENT_STREAMS else {}
        if run_id in lead_of:
            view["runs"] = [_member_view(m) for m in members]
            if lead_of[run_id] == run_id:
                state = _state(members)
                view["state"] = state
                view["status"] = PUBLIC_STATUS.get(state, state)
                view["finishedAt"] = (
                    None if state in ACTIVE else max((m.finished_at for m in members if m.finished_at), default=None)
                )
        views[run_id] = view
    return views
