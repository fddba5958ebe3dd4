"""v3 customers (customers.v3.yml)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from ledgerlink.sandbox.bigcommerce import query
from ledgerlink.sandbox.bigcommerce.context import Context
from ledgerlink.sandbox.bigcommerce.formats import ZERO, country_name, iso8601
from ledgerlink.sandbox.bigcommerce.responses import JSON
from ledgerlink.sandbox.bigcommerce.routing import ApiRoute
from ledgerlink.sandbox.dataset import Customer

ADDRESS_BASE = 70_000  # a customer's one address: id ADDRESS_BASE + customer id
SORTS: dict[str, Callable[[Customer], Any]] = {
    "date_created": lambda c: c.created_at,
    "date_modified": lambda c: c.updated_at,
    "last_name": lambda c: c.last_name,
}


def address_doc(customer: Customer) -> dict[str, Any]:
    a = customer.address
    return {
        "id": ADDRESS_BASE + customer.id,
        "customer_id": customer.id,
        "first_name": a.first_name,
        "last_name": a.last_name,
        "company": a.company,
        "address1": a.line1,
        "address2": a.line2,
        "city": a.city,
        "state_or_province": a.region,
        "postal_code": a.postal_code,
        "country_code": a.country_code,
        "country": country_name(a.country_code),
        "phone": a.phone,
        "address_type": "residential",
        "form_fields": [],
    }


def customer_doc(customer: Customer, include: set[str]) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": customer.id,
        "email": customer.email,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "company": customer.address.company,
        "phone": customer.phone,
        "registration_ip_address": "",
        "notes": "",
        "tax_exempt_category": "",
        "customer_group_id": 0,
        "date_created": iso8601(customer.created_at),
        "date_modified": iso8601(customer.updated_at),
        "address_count": 1,
        "attribute_count": 0,
        "authentication": {"force_password_reset": False},
        "accepts_product_review_abandoned_cart_emails": customer.accepts_marketing,
        "origin_channel_id": 1,
        "channel_ids": [1],
    }
    if "addresses" in include:
        doc["addresses"] = [address_doc(customer)]
    if "storecredit" in include:
        doc["store_credit_amounts"] = [{"amount": ZERO}]
    if "attributes" in include:
        doc["attributes"] = []
    if "formfields" in include:
        doc["form_fields"] = []
    return doc


@dataclass(frozen=True)
class CustomerFilter:
    ids: list[int] | None
    emails: set[str] | None
    created: tuple[datetime | None, datetime | None]
    modified: tuple[datetime | None, datetime | None]

    @classmethod
    def parse(cls, params: QueryParams) -> CustomerFilter:
        emails = query.strings(params, "email:in")
        return cls(
            ids=query.integers(params, "id:in"),
            emails={e.lower() for e in emails} if emails else None,
            created=(query.date(params, "date_created:min"), query.date(params, "date_created:max")),
            modified=(query.date(params, "date_modified:min"), query.date(params, "date_modified:max")),
        )

    def matches(self, customer: Customer) -> bool:
        return (
            (self.ids is None or customer.id in self.ids)
            and (self.emails is None or customer.email.lower() in self.emails)
            and query.within(query.shown(customer.created_at), *self.created)
            and query.within(query.shown(customer.updated_at), *self.modified)
        )


async def list_customers(ctx: Context, request: Request) -> Response:
    params = request.query_params
    sort = query.choice(params, "sort", [f"{f}:{d}" for f in SORTS for d in ("asc", "desc")])
    query.page_and_limit(params)
    flt = CustomerFilter.parse(params)
    customers = [c for c in ctx.store.customers if flt.matches(c)]
    if sort:
        field, _, direction = sort.partition(":")
        customers.sort(key=lambda c: (SORTS[field](c), c.id), reverse=direction == "desc")
    include = set(query.strings(params, "include") or [])
    return JSON(query.collection(request, customers, lambda c: customer_doc(c, include)))


ROUTES = [ApiRoute("v3", "GET", "/v3/customers", list_customers)]
