"""Reading what was synced: /v1/orders, /v1/products, /v1/customers, /v1/inventory, /v1/locations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.api.deps import db_session, requires
from ledgerlink.api.envelope import ERROR_RESPONSES, Envelope, PageEnvelope, PageParams, ok, page_params, paged
from ledgerlink.api.record_views import customer_view, location_view, order_view, product_view
from ledgerlink.auth.principal import Principal
from ledgerlink.canonical import reads
from ledgerlink.db.paging import fetch_page
from ledgerlink.models import Customer, InventoryLevel, Location, Order, Product

router = APIRouter(prefix="/v1", tags=["records"], responses=ERROR_RESPONSES)
Since = Query(None, description="Only records changed in the hub at or after this time (ISO 8601)")


@router.get("/orders", response_model=PageEnvelope[dict[str, Any]], summary="Orders")
async def list_orders(
    integrationId: str | None = Query(None, max_length=40),
    status: str | None = Query(None, max_length=20),
    financialStatus: str | None = Query(None, max_length=30),
    number: str | None = Query(None, max_length=64),
    updatedSince: datetime | None = Since,
    params: PageParams = Depends(page_params),
    principal: Principal = Depends(requires("read:orders")),
    session: AsyncSession = Depends(db_session),
) -> dict[str, Any]:
    query = reads.orders_query(
        principal.workspace_id,
        integration_id=integrationId,
        status=status,
        financial_status=financialStatus,
        updated_since=updatedSince,
        number=number,
    )
    rows, total = await fetch_page(session, query, order_by=Order.id.desc(), offset=params.offset, limit=params.limit)
    refs = await reads.external_refs(session, principal.workspace_id, [o.id for o in rows])
    return paged([order_view(o, refs.get(o.id, [])) for o in rows], params, total)


@router.get("/orders/{orderId}", response_model=Envelope[dict[str, Any]], summary="An order with its lines")
async def get_order(
    orderId: str = Path(max_length=40),
    principal: Principal = Depends(requires("read:orders")),
    session: AsyncSession = Depends(db_session),
) -> dict[str, Any]:
    order = await reads.get_order(session, principal.workspace_id, orderId)
    refs = await reads.external_refs(session, principal.workspace_id, [order.id])
    return ok(order_view(order, refs.get(order.id, []), await reads.order_children(session, order.id)))


@router.get("/products", response_model=PageEnvelope[dict[str, Any]], summary="Products with variants")
async def list_products(
    integrationId: str | None = Query(None, max_length=40),
    status: str | None = Query(None, max_length=20),
    sku: str | None = Query(None, max_length=255),
    updatedSince: datetime | None = Since,
    params: PageParams = Depends(page_params),
    principal: Principal = Depends(requires("read:products")),
    session: AsyncSession = Depends(db_session),
) -> dict[str, Any]:
    query = reads.products_query(
        principal.workspace_id, status=status, sku=sku, updated_since=updatedSince, integration_id=integrationId
    )
    rows, total = await fetch_page(session, query, order_by=Product.id, offset=params.offset, limit=params.limit)
    ids = [p.id for p in rows]
    variants = await reads.variants_of(session, ids)
    refs = await reads.external_refs(session, principal.workspace_id, ids)
    return paged([product_view(p, variants.get(p.id, []), refs.get(p.id, [])) for p in rows], params, total)


@router.get("/customers", response_model=PageEnvelope[dict[str, Any]], summary="Customers")
async def list_customers(
    integrationId: str | None = Query(None, max_length=40),
    email: str | None = Query(None, max_length=320),
    updatedSince: datetime | None = Since,
    params: PageParams = Depends(page_params),
    principal: Principal = Depends(requires("read:customers")),
    session: AsyncSession = Depends(db_session),
) -> dict[str, Any]:
    query = reads.customers_query(
        principal.workspace_id, email=email, updated_since=updatedSince, integration_id=integrationId
    )
    rows, total = await fetch_page(session, query, order_by=Customer.id, offset=params.offset, limit=params.limit)
    refs = await reads.external_refs(session, principal.workspace_id, [c.id for c in rows])
    return paged([customer_view(c, refs.get(c.id, [])) for c in rows], params, total)


@router.get("/inventory", response_model=PageEnvelope[dict[str, Any]], summary="Inventory per SKU and location")
async def list_inventory(
    sku: str | None = Query(None, max_length=255),
    locationId: str | None = Query(None, max_length=40),
    updatedSince: datetime | None = Since,
    params: PageParams = Depends(page_params),
    principal: Principal = Depends(requires("read:inventory")),
    session: AsyncSession = Depends(db_session),
) -> dict[str, Any]:
    query = reads.inventory_query(principal.workspace_id, sku=sku, location_id=locationId, updated_since=updatedSince)
    rows, total = await fetch_page(
        session, query, order_by=InventoryLevel.id, offset=params.offset, limit=params.limit, scalars=False
    )
    return paged(
        [
            {
                "id": level.id,
                "sku": sku_,
                "variantId": level.variant_id,
                "locationId": level.location_id,
                "locationName": name,
                "onHand": level.on_hand,
                "reserved": level.reserved,
                "available": level.available,
                "updatedAt": level.updated_at,
            }
            for level, sku_, name in rows
        ],
        params,
        total,
    )


@router.get("/locations", response_model=PageEnvelope[dict[str, Any]], summary="Stock locations")
async def list_locations(
    params: PageParams = Depends(page_params),
    principal: Principal = Depends(requires("read:inventory")),
    session: AsyncSession = Depends(db_session),
) -> dict[str, Any]:
    rows, total = await fetch_page(
        session,
        reads.locations_query(principal.workspace_id),
        order_by=Location.id,
        offset=params.offset,
        limit=params.limit,
    )
    refs = await reads.external_refs(session, principal.workspace_id, [loc.id for loc in rows])
    return paged([location_view(loc, refs.get(loc.id, [])) for loc in rows], params, total)
