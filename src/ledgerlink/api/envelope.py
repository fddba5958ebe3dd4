"""The response envelope every endpoint uses, and the paging shape every list uses."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")

MAX_PAGE_SIZE = 250
DEFAULT_PAGE_SIZE = 50


class ApiModel(BaseModel):
    """Base of every response body model: camelCase on the wire as the seeds show it."""

    model_config = ConfigDict(populate_by_name=True, from_attributes=True)


class Envelope(BaseModel, Generic[T]):
    success: Literal[True] = True
    data: T


class Pagination(BaseModel):
    page: int
    limit: int
    total: int
    hasMore: bool


class PageEnvelope(BaseModel, Generic[T]):
    success: Literal[True] = True
    data: list[T]
    pagination: Pagination


class ErrorBody(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorEnvelope(BaseModel):
    success: Literal[False] = False
    error: ErrorBody


class PageParams(BaseModel):
    page: int = Field(1, ge=1, le=1_000_000)
    limit: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


async def page_params(
    page: int = Query(1, ge=1, le=1_000_000, description="Page number, from 1"),
    limit: int = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="Items per page (max 250)"),
) -> PageParams:
    return PageParams(page=page, limit=limit)


def ok(data: Any) -> dict[str, Any]:
    return {"success": True, "data": data}


def paged(items: list[Any], params: PageParams, total: int) -> dict[str, Any]:
    return {
        "success": True,
        "data": items,
        "pagination": {
            "page": params.page,
            "limit": params.limit,
            "total": total,
            "hasMore": params.offset + len(items) < total,
        },
    }


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorEnvelope, "description": description}
    for status, description in {
        400: "Invalid request (VALIDATION_ERROR, CONFIGURATION_ERROR, INVALID_CREDENTIALS)",
        401: "Missing or invalid credentials (AUTH_FAILED)",
        403: "Credential lacks the scope (INSUFFICIENT_SCOPE)",
        404: "No such record in this workspace (NOT_FOUND)",
        409: "Conflicts with a stored record (CONFLICT)",
        413: "Body over the size limit (PAYLOAD_TOO_LARGE)",
        429: "Rate limit exceeded (RATE_LIMIT_EXCEEDED)",
    }.items()
}
