"""Seed 003's `POST /api/big-commerce`: create a BigCommerce integration instance, then refresh its products
and orders. The body carries exactly the documented fields (plus `connection_settings.api_base_url`, the
base-URL override every credential schema has); every broken rule is one entry of the 400's details."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, StrictBool
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.api.deps import db_session, get_runtime, requires
from ledgerlink.api.envelope import ERROR_RESPONSES, Envelope, ErrorEnvelope, ok
from ledgerlink.api.schemas import NAME, StrictBody
from ledgerlink.auth.principal import Principal
from ledgerlink.integrations import bigcommerce_instances as instances
from ledgerlink.integrations.bigcommerce_instance_schema import (
    BigCommerceConnectionSettings,
    BigCommerceInstanceSettings,
    PositiveId,
)
from ledgerlink.runtime import Runtime

router = APIRouter(tags=["bigcommerce (seed 003)"], responses=ERROR_RESPONSES)

_INTEGRATION_ID_HELP = (
    "ID of the BigCommerce integration type, as the caller's own catalogue numbers it (a positive integer). "
    "This hub has one BigCommerce connector, so the id selects nothing here: it is stored with the instance "
    "(settings.integration_id) and echoed back."
)


class CreateBigCommerceBody(StrictBody):
    name: Annotated[str, NAME] = Field(
        description="Human-readable name for this integration instance; unique in the workspace (409 if taken)",
    )
    integration_id: PositiveId = Field(description=_INTEGRATION_ID_HELP)
    connection_settings: BigCommerceConnectionSettings
    integration_settings: BigCommerceInstanceSettings
    is_automatic_sync_enabled: StrictBool = Field(
        False, description="Enable automatic synchronization: incremental syncs every hour"
    )


class ConnectionSummary(BaseModel):
    access_token: str = Field(description="The token masked: **** and at most its last 4 characters")
    api_base_url: str | None = None


class RefreshRuns(BaseModel):
    products: str = Field(description="Sync run (sync_…) reading the catalogue; follow it at /v1/sync-runs/{id}")
    orders: str = Field(description="Sync run (sync_…) reading the orders changed since start_date")


class BigCommerceInstanceOut(BaseModel):
    id: str = Field(description="The instance (int_…), also served at /v1/integrations/{id}")
    name: str
    provider: Literal["bigcommerce"]
    status: str = Field(description="active: the token was verified against the store")
    integration_id: int
    connection_settings: ConnectionSummary
    integration_settings: BigCommerceInstanceSettings
    is_automatic_sync_enabled: bool
    created_at: datetime
    refresh_runs: RefreshRuns


@router.post(
    "/api/big-commerce",
    status_code=201,
    response_model=Envelope[BigCommerceInstanceOut],
    responses={502: {"model": ErrorEnvelope, "description": "BigCommerce could not be reached to verify the token"}},
    summary="Create Integration Instance",
    response_description="Created",
    description="Create a new BigCommerce integration instance. The token is verified against the store first "
    "(INVALID_CREDENTIALS if refused); after creation, the product and order refresh runs are dispatched "
    "(`refresh_runs`). Every broken field rule is one entry of the 400 VALIDATION_ERROR's details.",
)
async def create_big_commerce(
    body: CreateBigCommerceBody,
    principal: Principal = Depends(requires("write:integrations")),
    session: AsyncSession = Depends(db_session),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    created = await instances.create_instance(
        session,
        runtime.secrets,
        principal.workspace_id,
        instances.NewInstance(
            name=body.name,
            integration_type_id=body.integration_id,
            connection=body.connection_settings,
            settings=body.integration_settings,
            automatic_sync=body.is_automatic_sync_enabled,
        ),
    )
    run_ids = {stream: run.id for stream, run in created.refresh_runs.items()}
    return ok(instances.instance_view(created.integration, run_ids))
