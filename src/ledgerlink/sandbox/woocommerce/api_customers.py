"""GET /customers and /customers/{id}."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ledgerlink.sandbox.dataset import Customer, Store
from ledgerlink.sandbox.woocommerce.api_orders import orderby_include_check
from ledgerlink.sandbox.woocommerce.orders import PAID, address_json
from ledgerlink.sandbox.woocommerce.routing import Endpoint
from ledgerlink.sandbox.woocommerce.wire import (
    API_PREFIX,
    Params,
    Window,
    WooError,
    page_of,
    paginated,
    respond,
    site_url,
    wc_dates,
)

ORDERBY = ("id", "include", "name", "registered_date")
ROLES = ("all", "administrator", "editor", "author", "contributor", "subscriber", "customer", "shop_manager")
PAYING_SCAN = 2_000  # is_paying_customer comes from this many first orders (plus changed ones)


@dataclass(frozen=True)
class CustomerQuery:
    window: Window
    include: tuple[int, ...]
    exclude: frozenset[int]
    search: str | None
    email: str | None
    role: str
    orderby: str
    descending: bool

    @classmethod
    def parse(cls, request: Request) -> CustomerQuery:
        p = Params(request.query_params)
        order = p.enum("order", ("asc", "desc"), "asc")
        query = cls(
            window=p.window(),
            include=tuple(p.id_list("include")),
            exclude=frozenset(p.id_list("exclude")),
            search=p.string("search"),
            email=p.string("email"),
            role=p.enum("role", ROLES, "customer") or "",
            orderby=p.enum("orderby", ORDERBY, "name") or "name",
            descending=order == "desc",
        )
        p.check()
        orderby_include_check(query.orderby, list(query.include))
        return query


def username(customer: Customer) -> str:
    return customer.email.split("@")[0]


class CustomersAPI:
    def __init__(self, store: Store) -> None:
        self.store = store

    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint("/customers", "list", self.list_customers, self.parse_list),
            Endpoint("/customers/{customer_id:int}", "view", self.get_customer, self.parse_customer),
        ]

    @cached_property
    def _paying_generated(self) -> frozenset[int]:
        orders = (self.store.order(i) for i in range(min(PAYING_SCAN, self.store.orders_count)))
        return frozenset(o.customer_id for o in orders if o.customer_id and o.financial_status in PAID)

    def paying(self) -> frozenset[int]:
        changed = {o.customer_id for o in self.store.changed_orders() if o.customer_id and o.financial_status in PAID}
        return self._paying_generated | changed

    def customer_json(self, customer: Customer, site: str, paying: frozenset[int]) -> dict[str, Any]:
        avatar = hashlib.md5(customer.email.lower().encode(), usedforsecurity=False).hexdigest()
        return {
            "id": customer.id,
            **wc_dates("date_created", customer.created_at),
            **wc_dates("date_modified", customer.updated_at),
            "email": customer.email,
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "role": "customer",
            "username": username(customer),
            "billing": address_json(customer.address, customer.email),
            "shipping": address_json(customer.address),
            "is_paying_customer": customer.id in paying,
            "avatar_url": f"https://secure.gravatar.com/avatar/{avatar}?s=96&d=mm&r=g",
            "meta_data": [],
            "_links": {
                "self": [{"href": f"{site}{API_PREFIX}/customers/{customer.id}"}],
                "collection": [{"href": f"{site}{API_PREFIX}/customers"}],
            },
        }

    async def parse_list(self, request: Request) -> CustomerQuery:
        return CustomerQuery.parse(request)

    @staticmethod
    def _admitted(q: CustomerQuery, c: Customer) -> bool:
        text = f"{c.email} {username(c)} {c.first_name} {c.last_name}".casefold()
        return (
            (not q.include or c.id in q.include)
            and c.id not in q.exclude
            and (not q.search or q.search.casefold() in text)
            and (not q.email or c.email.lower() == q.email.lower())
            and q.role in ("all", "customer")
        )

    async def list_customers(self, request: Request, q: CustomerQuery) -> Response:
        found = [c for c in self.store.customers if self._admitted(q, c)]
        if q.orderby == "include":
            found.sort(key=lambda c: q.include.index(c.id))
        else:
            keys = {
                "id": lambda c: c.id,
                "registered_date": lambda c: (c.created_at, c.id),
                "name": lambda c: (f"{c.first_name} {c.last_name}".casefold(), c.id),
            }
            found.sort(key=keys[q.orderby], reverse=q.descending)
        site, paying = site_url(request), self.paying()
        items = [self.customer_json(c, site, paying) for c in page_of(found, q.window)]
        return paginated(request, items, len(found), q.window)

    async def parse_customer(self, request: Request) -> Customer:
        index = request.path_params["customer_id"] - 5000
        if not 0 <= index < len(self.store.customers):
            raise WooError(404, "woocommerce_rest_invalid_id", "Invalid resource ID.")
        return self.store.customers[index]

    async def get_customer(self, request: Request, customer: Customer) -> Response:
        return respond(request, self.customer_json(customer, site_url(request), self.paying()))
