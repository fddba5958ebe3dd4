"""Field tables: for each GraphQL object type, how each field is read from a dataset object.

A plain entry is `fn(source, ctx)`; `WithArgs(fn)` gets the field's arguments too and `WithInfo(fn)`
the whole GraphQLResolveInfo (for directives). Fields missing from a table are read from dict sources
or resolve to null (see resolvers.resolve_field).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLResolveInfo

from ledgerlink.sandbox.shopify.context import Ctx


@dataclass(frozen=True, slots=True)
class WithArgs:
    fn: Callable[[Any, Ctx, dict[str, Any]], Any]


@dataclass(frozen=True, slots=True)
class WithInfo:
    fn: Callable[[Any, GraphQLResolveInfo, dict[str, Any]], Any]


FieldMap = dict[str, Callable[[Any, Ctx], Any] | WithArgs | WithInfo]


class Blank(dict[str, Any]):
    """Stands in for a non-null object the sandbox does not model: every field takes its default."""
