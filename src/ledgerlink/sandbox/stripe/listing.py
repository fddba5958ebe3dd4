"""Stripe's list endpoints: newest first, cursor paging by object id, and filters.

`starting_after=<id>` answers the objects after that one (older), `ending_before=<id>` the ones
just before it (newer), both newest first; `has_more` says whether the list goes on in that direction.
A cursor must name an object of the list's kind (`resource_missing` otherwise), as on Stripe.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ledgerlink.sandbox.stripe import params as p
from ledgerlink.sandbox.stripe.errors import invalid
from ledgerlink.sandbox.stripe.objects import KINDS, expand_all
from ledgerlink.sandbox.stripe.world import Collection, World

# A filter: (world, fact, the parameter's value) -> does the fact match.
Filter = Callable[[World, Any, p.Value], bool]
COMMON = ("limit", "starting_after", "ending_before", "expand", "created")


def equals(attribute: str) -> Filter:
    return lambda world, fact, value: getattr(fact, attribute) == value


@dataclass(frozen=True)
class ListEndpoint:
    path: str  # as the list's `url` says it: /v1/charges
    prefix: str  # the listed kind's id prefix
    filters: Mapping[str, Filter] = field(default_factory=dict)
    check: Callable[[World, p.Params], None] | None = None  # refuses what Stripe refuses up front

    def answer(self, world: World, query: list[tuple[str, str]]) -> dict[str, Any]:
        params = p.parse(query, (*COMMON, *self.filters))
        if self.check is not None:
            self.check(world, params)
        if "starting_after" in params and "ending_before" in params:
            raise invalid("You may only specify one of these parameters: ending_before, starting_after.")
        kind = KINDS[self.prefix]
        data, has_more = self._page(world, world.collection(kind.name), params)
        body = {
            "object": "list",
            "data": [kind.render(world, fact, world.now) for fact in data],
            "has_more": has_more,
            "url": self.path,
        }
        return expand_all(world, body, p.strings(params, "expand"), world.now)

    def _matches(self, world: World, params: p.Params) -> Callable[[Any], bool]:
        created = p.time_range(params, "created")
        active = [(self.filters[name], value) for name, value in params.items() if name in self.filters]
        return lambda fact: created(fact.created) and all(test(world, fact, value) for test, value in active)

    def _page(self, world: World, listed: Collection[Any], params: p.Params) -> tuple[list[Any], bool]:
        size, matches, items = p.limit(params), self._matches(world, params), listed.items
        before = p.text(params, "ending_before")
        if before is not None:
            newer = [fact for fact in items[: self._position(listed, before, "ending_before")] if matches(fact)]
            return newer[-size:], len(newer) > size
        after = p.text(params, "starting_after")
        start = self._position(listed, after, "starting_after") + 1 if after is not None else 0
        floor = p.lower_bound(params, "created")
        found: list[Any] = []
        for fact in items[start:]:
            if floor is not None and fact.created < floor:
                break  # newest first: nothing further down can match
            if matches(fact):
                if len(found) == size:
                    return found, True
                found.append(fact)
        return found, False

    def _position(self, listed: Collection[Any], object_id: str, param: str) -> int:
        position = listed.position.get(object_id)
        if position is None:
            raise invalid(f"No such {KINDS[self.prefix].name}: '{object_id}'", param, "resource_missing")
        return position
