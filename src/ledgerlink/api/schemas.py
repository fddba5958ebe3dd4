"""Request and response bodies shared by several routers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

NAME = Field(min_length=1, max_length=200)


class StrictBody(BaseModel):
    """Request bodies refuse unknown fields, so a misspelt one is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class IntegrationOut(BaseModel):
    id: str
    provider: str
    name: str
    status: str
    connectedAt: datetime | None  # noqa: N815
    verifiedAt: datetime | None  # noqa: N815
    disabledAt: datetime | None  # noqa: N815
    settings: dict[str, Any]
    mapping: dict[str, Any]
    credentials: dict[str, Any] = Field(description="Plain fields, and secrets as **** with at most 4 characters")
    lastError: str | None  # noqa: N815
    createdAt: datetime  # noqa: N815
    updatedAt: datetime  # noqa: N815


class CatalogEntry(BaseModel):
    id: str
    name: str
    description: str
    category: str
    status: str = Field(description="active when this build's connector works; planned otherwise")
    features: list[str]
    setupRequired: bool  # noqa: N815
    webhookSupport: bool  # noqa: N815
    realTimeSync: bool  # noqa: N815
