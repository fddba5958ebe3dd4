"""Sync endpoints (seed 000): per-channel sync-orders/-products/-customers, a processor's
sync-payments, retry-failed, runs."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field, model_validator
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.api.deps import db_session, get_runtime, requires
from ledgerlink.api.envelope import ERROR_RESPONSES, Envelope, PageEnvelope, PageParams, ok, page_params, paged
from ledgerlink.api.provider_integration import provider_integration
from ledgerlink.api.schemas import StrictBody
from ledgerlink.auth.principal import Principal
from ledgerlink.runtime import Runtime
from ledgerlink.sync import payment_runs, runs
from ledgerlink.sync.retry import start_retry
from ledgerlink.sync.views import run_view

router = APIRouter(tags=["sync"], responses=ERROR_RESPONSES)

IntegrationId = Path(pattern=r"^int_[0-9a-z]{26}$", description="An integration instance id (int_…)")
ProviderId = Path(max_length=40, description="Provider id, e.g. shopify")


class DateRange(BaseModel):
    from_: date | datetime | None = Field(default=None, alias="from")
    to: date | datetime | None = None

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        start, end = _start(self.from_), _end(self.to)
        if start and end and start > end:
            raise ValueError("dateRange.from is after dateRange.to")
        return self


def _start(value: date | datetime | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.combine(value, time.min, UTC)


def _end(value: date | datetime | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.combine(value, time.max, UTC)


def _window(date_range: DateRange | None, sync_type: str) -> tuple[str, datetime | None, datetime | None]:
    """A request's dateRange and syncType as a run's (sync type, since, until): a start date makes it a
    full sync of that range."""
    dates = date_range or DateRange()
    since = _start(dates.from_)
    return ("full" if since else sync_type), since, _end(dates.to)


class SyncBody(StrictBody):
    integrationId: str = Field(pattern=r"^int_[0-9a-z]{26}$")
    credentials: dict[str, Any] | None = Field(default=None, description="Replaces stored credentials first")
    dateRange: DateRange | None = None
    orderStatus: list[str] | None = Field(default=None, max_length=20)
    fulfillmentStatus: list[str] | None = Field(default=None, max_length=20)
    batchSize: int = Field(default=100, ge=1, le=250)
    syncType: Literal["incremental", "full"] = "incremental"
    includeVariants: bool = True
    includeInventory: bool = False
    publishedStatus: Literal["published", "unpublished", "any"] | None = None


class RetryBody(StrictBody):
    syncId: str = Field(pattern=r"^sync_[0-9a-z]{26}$")
    retryType: Literal["failed_only"] = "failed_only"
    maxRetries: int = Field(default=3, ge=1, le=20)


class StreamBody(StrictBody):
    stream: Literal[
        "orders",
        "products",
        "customers",
        "locations",
        "inventory",
        "payments",
        "refunds",
        "disputes",
        "balance_transactions",
        "payouts",
    ]
    syncType: Literal["incremental", "full"] = "incremental"
    dateRange: DateRange | None = None
    batchSize: int = Field(default=100, ge=1, le=250)


async def _start_sync(
    session: AsyncSession, runtime: Runtime, principal: Principal, provider_id: str, stream: str, body: SyncBody
) -> dict[str, Any]:
    integration = await provider_integration(
        session, runtime, principal.workspace_id, provider_id, body.integrationId, body.credentials
    )
    filters: dict[str, Any] = {}
    if body.orderStatus:
        filters["orderStatus"] = body.orderStatus
    if body.fulfillmentStatus:
        filters["fulfillmentStatus"] = body.fulfillmentStatus
    if body.publishedStatus and body.publishedStatus != "any":
        filters["publishedStatus"] = body.publishedStatus
    sync_type, since, until = _window(body.dateRange, body.syncType)
    run = await runs.start_run(
        session,
        principal.workspace_id,
        integration.id,
        runs.RunRequest(
            stream=stream,
            sync_type=sync_type,
            since=since,
            until=until,
            filters=filters,
            page_size=body.batchSize,
        ),
    )
    return ok(run_view(run))


def _stream_endpoint(stream: str) -> Any:
    async def endpoint(
        body: SyncBody,
        providerId: str = ProviderId,
        principal: Principal = Depends(requires("write:integrations")),
        session: AsyncSession = Depends(db_session),
        runtime: Runtime = Depends(get_runtime),
    ) -> dict[str, Any]:
        return await _start_sync(session, runtime, principal, providerId, stream, body)

    endpoint.__name__ = f"sync_{stream}"
    return endpoint


for _stream in ("orders", "products", "customers"):
    router.add_api_route(
        f"/v1/integrations/{{providerId}}/sync-{_stream}",
        _stream_endpoint(_stream),
        methods=["POST"],
        status_code=202,
        response_model=Envelope[dict[str, Any]],
        summary=f"Start a {_stream} sync",
    )


class PaymentSyncBody(StrictBody):
    integrationId: str = Field(pattern=r"^int_[0-9a-z]{26}$")
    credentials: dict[str, Any] | None = Field(default=None, description="Replaces stored credentials first")
    dateRange: DateRange | None = None
    includeRefunds: bool = True
    includeChargebacks: bool = True
    includeFees: bool = Field(default=True, description="Also the balance ledger: fees billed on their own")
    includePayouts: bool = True
    syncType: Literal["incremental", "full"] = "incremental"
    batchSize: int = Field(default=100, ge=1, le=250)


@router.post(
    "/v1/integrations/{providerId}/sync-payments",
    status_code=202,
    response_model=Envelope[dict[str, Any]],
    summary="Start a payment sync: payments, and refunds, chargebacks, fees and payouts as asked",
)
async def sync_payments(
    body: PaymentSyncBody,
    providerId: str = ProviderId,
    principal: Principal = Depends(requires("write:integrations")),
    session: AsyncSession = Depends(db_session),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    """One run per stream; `syncId` is the payments run's, whose view carries seed 000's counters
    for them all (sync/payment_runs.py says what each counts)."""
    integration = await provider_integration(
        session, runtime, principal.workspace_id, providerId, body.integrationId, body.credentials
    )
    sync_type, since, until = _window(body.dateRange, body.syncType)
    lead = await payment_runs.start_payment_sync(
        session,
        principal.workspace_id,
        integration.id,
        include={
            "includeRefunds": body.includeRefunds,
            "includeChargebacks": body.includeChargebacks,
            "includeFees": body.includeFees,
            "includePayouts": body.includePayouts,
        },
        sync_type=sync_type,
        since=since,
        until=until,
        page_size=body.batchSize,
    )
    return ok(await _run_view(session, lead))


@router.post(
    "/v1/integrations/paypal/sync-transactions",
    status_code=202,
    response_model=Envelope[dict[str, Any]],
    summary="Start a PayPal transaction sync (seed 000): payments, refunds, chargebacks and fees",
)
async def sync_paypal_transactions(
    body: PaymentSyncBody,
    principal: Principal = Depends(requires("write:integrations")),
    session: AsyncSession = Depends(db_session),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    """Seed 000's PayPal path: the payment sync of sync-payments, read from Transaction Search."""
    return await sync_payments(body, "paypal", principal, session, runtime)


class AmazonFeeSyncBody(StrictBody):
    integrationId: str = Field(pattern=r"^int_[0-9a-z]{26}$")
    credentials: dict[str, Any] | None = Field(default=None, description="Replaces stored credentials first")
    reportType: Literal["settlement"] = Field(
        default="settlement", description="The fees Amazon settles, read from the seller's financial events"
    )
    dateRange: DateRange | None = None
    syncType: Literal["incremental", "full"] = "incremental"
    batchSize: int = Field(default=100, ge=1, le=100)


@router.post(
    "/v1/integrations/amazon/sync-fees",
    status_code=202,
    response_model=Envelope[dict[str, Any]],
    summary="Start an Amazon fee sync (seed 000): marketplace fees from financial events, and settlements",
)
async def sync_amazon_fees(
    body: AmazonFeeSyncBody,
    principal: Principal = Depends(requires("write:integrations")),
    session: AsyncSession = Depends(db_session),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    """Seed 000's Amazon fee reconciliation (`reportType: settlement`): a run of the Amazon connector's
    `fees` stream (fees from financial events) leading a run of its `payouts` stream (the settlements,
    each with the transactions it paid out, for payout reconciliation)."""
    integration = await provider_integration(
        session, runtime, principal.workspace_id, "amazon", body.integrationId, body.credentials
    )
    sync_type, since, until = _window(body.dateRange, body.syncType)
    lead = await payment_runs.start_grouped_runs(
        session,
        principal.workspace_id,
        integration.id,
        ["fees", "payouts"],
        sync_type=sync_type,
        since=since,
        until=until,
        page_size=body.batchSize,
    )
    return ok(await _run_view(session, lead))


async def _run_view(session: AsyncSession, run: Any, errors: list[Any] | None = None) -> dict[str, Any]:
    extra = await payment_runs.payment_views(session, [run])
    return {**run_view(run, errors), **extra.get(run.id, {})}


@router.post(
    "/v1/integrations/{integrationId}/sync",
    status_code=202,
    response_model=Envelope[dict[str, Any]],
    summary="Start a sync of any stream the integration's connector has (orders, products, payments, …)",
)
async def sync_stream(
    body: StreamBody,
    integrationId: str = IntegrationId,
    principal: Principal = Depends(requires("write:integrations")),
    session: AsyncSession = Depends(db_session),
) -> dict[str, Any]:
    sync_type, since, until = _window(body.dateRange, body.syncType)
    run = await runs.start_run(
        session,
        principal.workspace_id,
        integrationId,
        runs.RunRequest(
            stream=body.stream,
            sync_type=sync_type,
            since=since,
            until=until,
            page_size=body.batchSize,
        ),
    )
    return ok(run_view(run))


@router.post(
    "/v1/integrations/{integrationId}/retry-failed",
    status_code=202,
    response_model=Envelope[dict[str, Any]],
    summary="Re-fetch and re-load a run's failed records",
)
async def retry_failed(
    body: RetryBody,
    integrationId: str = IntegrationId,
    principal: Principal = Depends(requires("write:integrations")),
    session: AsyncSession = Depends(db_session),
) -> dict[str, Any]:
    run = await start_retry(session, principal.workspace_id, integrationId, body.syncId, body.maxRetries)
    return ok(run_view(run))


@router.get("/v1/sync-runs", response_model=PageEnvelope[dict[str, Any]], summary="List sync runs")
async def list_runs(
    integrationId: str | None = Query(None, max_length=40),
    status: str | None = Query(None, max_length=30),
    params: PageParams = Depends(page_params),
    principal: Principal = Depends(requires("read:integrations")),
    session: AsyncSession = Depends(db_session),
) -> dict[str, Any]:
    rows, total = await runs.list_runs(
        session,
        principal.workspace_id,
        offset=params.offset,
        limit=params.limit,
        integration_id=integrationId,
        status=status,
    )
    extra = await payment_runs.payment_views(session, rows)
    return paged([{**run_view(r), **extra.get(r.id, {})} for r in rows], params, total)


@router.get("/v1/sync-runs/{syncId}", response_model=Envelope[dict[str, Any]], summary="A sync run, live")
async def get_run(
    syncId: str = Path(max_length=40),
    principal: Principal = Depends(requires("read:integrations")),
    session: AsyncSession = Depends(db_session),
) -> dict[str, Any]:
    run = await runs.get_run(session, principal.workspace_id, syncId)
    return ok(await _run_view(session, run, await runs.recent_errors(session, run.id)))
