"""Turning pydantic validation errors into our VALIDATION_ERROR details: one entry per field problem."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ledgerlink.errors import ValidationFailed

_MAX_IN_MESSAGE = 5
M = TypeVar("M", bound=BaseModel)


def _field_path(loc: Sequence[Any]) -> str:
    return ".".join(str(p) for p in loc) if loc else "body"


def describe(errors: Sequence[Any], prefix: Sequence[str] = ()) -> tuple[str, list[dict[str, Any]]]:
    details: list[dict[str, Any]] = []
    for err in errors:
        loc = (*prefix, *tuple(err.get("loc", ())))
        nested = (err.get("ctx") or {}).get("field")
        if nested:  # a model-level check that names the field it found (e.g. a NUL character)
            loc = (*loc, nested)
        if err.get("type") == "json_invalid":
            position = loc[1] if len(loc) > 1 else None
            reason = (err.get("ctx") or {}).get("error", "invalid JSON")
            details.append(
                {"field": "body", "type": "json_invalid", "message": f"malformed JSON: {reason} at position {position}"}
            )
            continue
        details.append({"field": _field_path(loc), "type": err.get("type"), "message": err.get("msg")})
    summary = "; ".join(f"{d['field']}: {d['message']}" for d in details[:_MAX_IN_MESSAGE])
    if len(details) > _MAX_IN_MESSAGE:
        summary += f"; and {len(details) - _MAX_IN_MESSAGE} more"
    return f"request is invalid: {summary}", details


def validate_as(model: type[M], value: Any, *, at: Sequence[str]) -> M:
    """`model.model_validate(value)`, failing with VALIDATION_ERROR whose fields are prefixed by `at`."""
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        message, details = describe(exc.errors(include_url=False, include_input=False), prefix=at)
        raise ValidationFailed(message, details) from None
