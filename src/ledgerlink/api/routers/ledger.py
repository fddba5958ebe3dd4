"""The ledger: /v1/ledger/accounts, /journal-entries, /trial-balance, /reconciliation, /posting-errors.

Every amount is given twice: integer minor units (`…Minor`) and a decimal string at the currency's
exponent. Entries are posted by the ledger job from synced documents (books/posting.py), never here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.api.deps import db_session, requires
from ledgerlink.api.envelope import ERROR_RESPONSES, Envelope, PageEnvelope, PageParams, ok, page_params, paged
from ledgerlink.api.schemas import StrictBody
from ledgerlink.auth.principal import Principal
from ledgerlink.books import chart, reconciliation, reports
from ledgerlink.db.paging import fetch_page
from ledgerlink.ledger.render import trial_balance_view
from ledgerlink.models import LedgerAccount, LedgerPostingError

router = APIRouter(prefix="/v1/ledger", tags=["ledger"], responses=ERROR_RESPONSES)

AccountTypeName = Literal["asset", "liability", "equity", "revenue", "contra-revenue", "expense"]
IntegrationId = Query(None, max_length=40, description="Only entries posted from this integration")
From = Query(None, alias="from", description="Entries dated on or after this day (YYYY-MM-DD)")
To = Query(None, alias="to", description="Entries dated on or before this day (YYYY-MM-DD)")
Currency = Query(None, pattern="^[A-Z]{3}$", description="Only entries in this currency")


class AccountBody(StrictBody):
    code: str = Field(min_length=1, max_length=40, description="The account's code; an existing code is edited")
    name: str = Field(min_length=1, max_length=200)
    type: AccountTypeName
    active: bool = True


def _account_view(a: LedgerAccount) -> dict[str, Any]:
    return {
        "id": a.id,
        "code": a.code,
        "name": a.name,
        "type": a.type,
        "normalBalance": a.normal_balance,
        "active": a.active,
        "createdAt": a.created_at,
        "updatedAt": a.updated_at,
    }


@router.get("/accounts", response_model=Envelope[list[dict[str, Any]]], summary="The chart of accounts")
async def list_accounts(
    principal: Principal = Depends(requires("read:ledger")),
    session: AsyncSession = Depends(db_session),
) -> dict[str, Any]:
    rows = await chart.accounts(session, principal.workspace_id)
    await session.commit()  # the default chart, written on first use
    return ok([_account_view(a) for a in rows])


@router.post(
    "/accounts",
    status_code=201,
    response_model=Envelope[dict[str, Any]],
    summary="Add an account, or edit the one with this code (201 added, 200 edited)",
    responses={200: {"model": Envelope[dict[str, Any]], "description": "The account with this code, edited"}},
)
async def save_account(
    body: AccountBody,
    response: Response,
    principal: Principal = Depends(requires("write:ledger")),
    session: AsyncSession = Depends(db_session),
) -> dict[str, Any]:
    account, created = await chart.save_account(
        session, principal.workspace_id, body.code, body.name, body.type, body.active
    )
    view = _account_view(account)
    await session.commit()
    response.status_code = 201 if created else 200
    return ok(view)


@router.get("/journal-entries", response_model=PageEnvelope[dict[str, Any]], summary="Journal entries, newest first")
async def list_entries(
    integrationId: str | None = IntegrationId,
    source: str | None = Query(None, max_length=30, description="The source kind: order, refund, charge, payout…"),
    account: str | None = Query(None, max_length=40, description="Only entries with a line on this account code"),
    currency: str | None = Currency,
    date_from: date | None = From,
    date_to: date | None = To,
    params: PageParams = Depends(page_params),
    principal: Principal = Depends(requires("read:ledger")),
    session: AsyncSession = Depends(db_session),
) -> dict[str, Any]:
    where = reports.EntryFilter(integrationId, source, date_from, date_to, account, currency)
    query = reports.entries_query(principal.workspace_id, where).order_by(*reports.ENTRY_ORDER[:-1])
    rows, total = await fetch_page(
        session, query, order_by=reports.ENTRY_ORDER[-1], offset=params.offset, limit=params.limit
    )
    return paged(await reports.entry_views(session, rows), params, total)


@router.get("/journal-entries/{entryId}", response_model=Envelope[dict[str, Any]], summary="A journal entry")
async def get_entry(
    entryId: str = Path(max_length=40),
    principal: Principal = Depends(requires("read:ledger")),
    session: AsyncSession = Depends(db_session),
) -> dict[str, Any]:
    return ok(await reports.get_entry(session, principal.workspace_id, entryId))


@router.get(
    "/trial-balance", response_model=Envelope[list[dict[str, Any]]], summary="The trial balance, one per currency"
)
async def trial_balance(
    integrationId: str | None = IntegrationId,
    currency: str | None = Currency,
    date_from: date | None = From,
    date_to: date | None = To,
    principal: Principal = Depends(requires("read:ledger")),
    session: AsyncSession = Depends(db_session),
) -> dict[str, Any]:
    where = reports.EntryFilter(integrationId, None, date_from, date_to, None, currency)
    balances = await reports.trial_balances(session, principal.workspace_id, where)
    await session.commit()  # the default chart, written on first use
    return ok([trial_balance_view(b) for b in balances])


@router.get(
    "/reconciliation",
    response_model=PageEnvelope[dict[str, Any]],
    summary="Payouts against the transactions they contain, with mismatches and amounts",
)
async def list_reconciliation(
    integrationId: str | None = Query(None, max_length=40),
    params: PageParams = Depends(page_params),
    principal: Principal = Depends(requires("read:ledger")),
    session: AsyncSession = Depends(db_session),
) -> dict[str, Any]:
    items, total = await reconciliation.payout_reconciliations(
        session, principal.workspace_id, integration_id=integrationId, offset=params.offset, limit=params.limit
    )
    return paged(items, params, total)


class PostingErrorOut(BaseModel):
    integrationId: str
    source: str
    externalId: str
    recordId: str
    eventId: str | None
    code: str
    message: str
    details: Any
    attempts: int
    firstFailedAt: datetime
    lastFailedAt: datetime


@router.get(
    "/posting-errors",
    response_model=PageEnvelope[PostingErrorOut],
    summary="Documents the posting rules refused (nothing posted for them until fixed)",
)
async def list_posting_errors(
    integrationId: str | None = Query(None, max_length=40),
    params: PageParams = Depends(page_params),
    principal: Principal = Depends(requires("read:ledger")),
    session: AsyncSession = Depends(db_session),
) -> dict[str, Any]:
    query = select(LedgerPostingError).where(LedgerPostingError.workspace_id == principal.workspace_id)
    if integrationId:
        query = query.where(LedgerPostingError.integration_id == integrationId)
    query = query.order_by(LedgerPostingError.last_failed_at.desc())
    rows, total = await fetch_page(
        session, query, order_by=LedgerPostingError.source_external_id, offset=params.offset, limit=params.limit
    )
    items = [
        {
            "integrationId": e.integration_id,
            "source": e.source_kind,
            "externalId": e.source_external_id,
            "recordId": e.canonical_id,
            "eventId": e.event_id,
            "code": e.code,
            "message": e.message,
            "details": e.details,
            "attempts": e.attempts,
            "firstFailedAt": e.first_failed_at,
            "lastFailedAt": e.last_failed_at,
        }
        for e in rows
    ]
    return paged(items, params, total)
