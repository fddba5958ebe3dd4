"""Liveness and readiness probes (no auth: they reveal nothing but up or down)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.api.deps import db_session
from ledgerlink.db.migrate import head_revision
from ledgerlink.db.schema_state import schema_revision

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, object]:
    return {"success": True, "data": {"status": "ok"}}


@router.get(
    "/readyz",
    summary="The database is reachable and its schema is current",
    responses={503: {"description": "Not ready"}},
)
async def readyz(session: AsyncSession = Depends(db_session)) -> JSONResponse:
    checks: dict[str, object] = {}
    try:
        current = await schema_revision(session)
        checks["database"] = "ok"
    except Exception as exc:  # reported, not raised: the probe's answer is the report
        checks["database"] = f"unreachable: {type(exc).__name__}"
        return JSONResponse(
            {"success": False, "error": {"code": "NOT_READY", "message": "database unreachable", "details": checks}},
            status_code=503,
        )
    head = head_revision()
    checks["schema"] = "current" if current == head else f"at {current}, expected {head}"
    if current != head:
        return JSONResponse(
            {"success": False, "error": {"code": "NOT_READY", "message": "schema is not current", "details": checks}},
            status_code=503,
        )
    return JSONResponse({"success": True, "data": {"status": "ready", "checks": checks}})
