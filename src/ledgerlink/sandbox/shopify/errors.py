"""Shopify's error bodies: bad token, missing query, validation, THROTTLED, MAX_COST_EXCEEDED, 5xx."""

from __future__ import annotations

import re
from typing import Any

from graphql import GraphQLError

RATE_LIMIT_DOCS = "https://shopify.dev/api/usage/rate-limits"
UNAUTHORIZED = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
MISSING_QUERY = {"errors": {"query": "Required parameter missing or invalid"}}
INTERNAL_ERROR = {
    "errors": [
        {
            "message": "Internal error. Looks like something went wrong on our end.",
            "extensions": {"code": "INTERNAL_SERVER_ERROR"},
        }
    ]
}

# graphql-core's validation messages -> the codes graphql-ruby (Shopify) reports for the same rule
_VALIDATION_CODES = [
    (re.compile(r"^Cannot query field"), "undefinedField"),
    (re.compile(r"is required, but it was not provided"), "missingRequiredArguments"),
    (re.compile(r"^Unknown argument"), "argumentNotAccepted"),
    (re.compile(r"cannot represent|^Expected value of type|^Expected type"), "argumentLiteralsIncompatible"),
    (re.compile(r"^Variable .* is never used"), "variableNotUsed"),
    (re.compile(r"^Variable .* is not defined"), "undefinedVariable"),
    (re.compile(r"^Variable .* of type .* used in position"), "variableMismatch"),
    (re.compile(r"^Unknown type"), "undefinedType"),
    (re.compile(r"must have a selection of subfields|must not have a selection"), "selectionMismatch"),
    (re.compile(r"^Unknown fragment"), "undefinedFragment"),
    (re.compile(r"^Fragment .* is never used"), "useAndDefineFragment"),
    (re.compile(r"^Unknown directive"), "undefinedDirective"),
    (re.compile(r"^There can be only one"), "duplicateName"),
    (re.compile(r"conflict because"), "fieldConflict"),
]


def validation_code(message: str) -> str:
    return next((code for pattern, code in _VALIDATION_CODES if pattern.search(message)), "validationError")


def format_error(error: GraphQLError, code: str | None = None) -> dict[str, Any]:
    formatted = error.formatted
    extensions = dict(formatted.get("extensions") or {})
    if code:
        extensions.setdefault("code", code)
    formatted = {key: value for key, value in formatted.items() if key != "extensions"}
    return {**formatted, "extensions": extensions} if extensions else formatted


def request_errors(errors: list[GraphQLError]) -> dict[str, Any]:
    """Parse and validation errors: no data, one entry per problem, each with a graphql-ruby style code."""
    return {
        "errors": [
            format_error(e, "parseError" if e.message.startswith("Syntax Error") else validation_code(e.message))
            for e in errors
        ]
    }


def throttled(cost: dict[str, Any]) -> dict[str, Any]:
    return {
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": RATE_LIMIT_DOCS}}],
        "extensions": {"cost": cost},
    }


def max_cost_exceeded(requested: int, limit: int, cost: dict[str, Any]) -> dict[str, Any]:
    message = (
        f"Query cost is {requested}, which exceeds the single query max cost limit ({limit}).\n\n"
        f"See {RATE_LIMIT_DOCS} for more information on how the\ncost of a query is calculated.\n\n"
        "To query larger amounts of data with fewer limits, bulk operations should be used instead.\n"
        "See https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n"
    )
    return {
        "errors": [
            {
                "message": message,
                "extensions": {
                    "code": "MAX_COST_EXCEEDED",
                    "cost": requested,
                    "maxCost": limit,
                    "documentation": RATE_LIMIT_DOCS,
                },
            }
        ],
        "extensions": {"cost": cost},
    }
