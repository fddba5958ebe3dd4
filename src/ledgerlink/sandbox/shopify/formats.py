"""How Shopify spells values: global ids, opaque cursors, DateTime, Decimal and Money scalars."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode

from graphql import GraphQLError

from ledgerlink.sandbox.dataset import money

GID_PREFIX = "gid://shopify/"


def gid(kind: str, ident: int, **params: Any) -> str:
    """`gid://shopify/Order/100005`, with a query string for composite ids (InventoryLevel…)."""
    query = f"?{urlencode(params)}" if params else ""
    return f"{GID_PREFIX}{kind}/{ident}{query}"


@dataclass(frozen=True)
class GlobalId:
    kind: str
    ident: int
    params: dict[str, str] = field(default_factory=dict)


def parse_gid(value: str) -> GlobalId:
    """Parse a global id; a malformed one is refused as Shopify does (an argument coercion error)."""
    if not isinstance(value, str) or not value.startswith(GID_PREFIX):
        raise invalid_id(value)
    path, _, query = value[len(GID_PREFIX) :].partition("?")
    kind, _, ident = path.partition("/")
    if not kind or not ident.isdigit():
        raise invalid_id(value)
    return GlobalId(kind, int(ident), dict(parse_qsl(query)))


def invalid_id(value: Any) -> GraphQLError:
    return GraphQLError(
        f"Invalid global id '{value}'", extensions={"code": "argumentLiteralsIncompatible", "typeName": "CoercionError"}
    )


def iso(moment: datetime | None) -> str | None:
    """DateTime scalar: UTC, whole seconds, `Z` suffix."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def decimal_str(amount: Decimal) -> str:
    """Decimal scalar (MoneyV2.amount) as Shopify prints it: `12.5`, `12.0`, `0.0`."""
    text = format(amount.normalize(), "f")
    return text if "." in text else f"{text}.0"


def money_str(amount: Decimal | None) -> str | None:
    """Money scalar (ProductVariant.price): two decimals."""
    return None if amount is None else str(money(amount))


def encode_cursor(value: Any, ident: int, issued: float | None = None) -> str:
    """Opaque cursor naming the last item seen: its sort value and id, as Shopify's own cursors do, and
    (root connections) when it was issued, so that it can expire."""
    if isinstance(value, datetime):
        value = value.isoformat()
    fields: dict[str, Any] = {"last_id": ident, "last_value": value}
    if issued is not None:
        fields["issued_at"] = round(issued, 3)
    raw = json.dumps(fields, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def invalid_cursor(cursor: str) -> GraphQLError:
    return GraphQLError(f"Invalid cursor provided: '{cursor}'", extensions={"code": "argumentLiteralsIncompatible"})


def decode_cursor(cursor: str) -> tuple[Any, int, float | None]:
    """(sort value, id, when it was issued or None)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        issued = data.get("issued_at")
        return data["last_value"], int(data["last_id"]), None if issued is None else float(issued)
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        raise invalid_cursor(cursor) from None
