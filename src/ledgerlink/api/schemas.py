"""Request and response bodies shared by several routers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

NAME = Field(min_length=1, max_length=200)


def _find_nul(value: Any, path: str) -> str | None:
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _find_nul(key, path) or _find_nul(item, f"{path}.{key}" if path else str(key))
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _find_nul(item, f"{path}.{index}" if path else str(index))
            if found:
                return found
    return None


class StrictBody(BaseModel):
    """Request bodies refuse unknown fields, so a misspelt one is an error, not silently ignored,
    and NUL characters anywhere, which PostgreSQL cannot store in text."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul_characters(cls, data: Any) -> Any:
        where = _find_nul(data, "")
        if where is not None:
            raise PydanticCustomError(
                "nul_character", "text may not contain NUL (\\u0000) characters", {"field": where}
            )
        return data


class IntegrationOut(BaseModel):
    id: str
    provider: str
    name: str
    status: str
    connectedAt: datetime | None
    verifiedAt: datetime | None
    disabledAt: datetime | None
    settings: dict[str, Any]
    mapping: dict[str, Any]
    credentials: dict[str, Any] = Field(description="Plain fields, and secrets as **** with at most 4 characters")
    lastError: str | None
    createdAt: datetime
    updatedAt: datetime


class CatalogEntry(BaseModel):
    id: str
    name: str
    description: str
    category: str
    status: str = Field(description="active when this build's connector works; planned otherwise")
    features: list[str]
    setupRequired: bool
    webhookSupport: bool
    realTimeSync: bool
