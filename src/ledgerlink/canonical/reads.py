"""Reading the canonical records back, with the upstream references each one has."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.errors import NotFound
from ledgerlink.models import (
    Customer,
    ExternalRef,
    InventoryLevel,
    Location,
    Order,
    OrderAddress,
    OrderDiscount,
    OrderLine,
    OrderShippingLine,
    OrderTaxLine,
    Product,
    ProductVariant,
    Refund,
    RefundLine,
)


async def external_refs(
    session: AsyncSession, workspace_id: str, canonical_ids: list[str]
) -> dict[str, list[dict[str, Any]]]:
    """canonical id -> [{integrationId, resourceType, externalId, upstreamUpdatedAt}]."""
    refs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if not canonical_ids:
        return refs
    rows = await session.execute(
        select(ExternalRef).where(ExternalRef.workspace_id == workspace_id, ExternalRef.canonical_id.in_(canonical_ids))
    )
    for ref in rows.scalars():
        refs[ref.canonical_id].append(
            {
                "integrationId": ref.integration_id,
                "resourceType": ref.resource_type,
                "externalId": ref.external_id,
                "upstreamUpdatedAt": ref.upstream_updated_at,
            }
        )
    return refs


def orders_query(
    workspace_id: str,
    *,
    integration_id: str | None = None,
    status: str | None = None,
    financial_status: str | None = None,
    updated_since: datetime | None = None,
    number: str | None = None,
) -> Select[Any]:
    query = select(Order).where(Order.workspace_id == workspace_id)
    if integration_id:
        query = query.where(Order.integration_id == integration_id)
    if status:
        query = query.where(Order.status == status)
    if financial_status:
        query = query.where(Order.financial_status == financial_status)
    if updated_since:
        query = query.where(Order.updated_at >= updated_since)
    if number:
        query = query.where(Order.number == number)
    return query


async def order_children(session: AsyncSession, order_id: str) -> dict[str, list[Any]]:
    async def rows(model: Any, *order: Any) -> list[Any]:
        return list((await session.execute(select(model).where(model.order_id == order_id).order_by(*order))).scalars())

    refunds = await rows(Refund, Refund.processed_at)
    refund_lines = (
        list(
            (
                await session.execute(select(RefundLine).where(RefundLine.refund_id.in_([r.id for r in refunds])))
            ).scalars()
        )
        if refunds
        else []
    )
    return {
        "lines": await rows(OrderLine, OrderLine.position),
        "tax_lines": await rows(OrderTaxLine, OrderTaxLine.position),
        "shipping_lines": await rows(OrderShippingLine, OrderShippingLine.position),
        "discounts": await rows(OrderDiscount, OrderDiscount.position),
        "addresses": await rows(OrderAddress, OrderAddress.kind),
        "refunds": refunds,
        "refund_lines": refund_lines,
    }


async def get_order(session: AsyncSession, workspace_id: str, order_id: str) -> Order:
    order = (
        await session.execute(select(Order).where(Order.id == order_id, Order.workspace_id == workspace_id))
    ).scalar_one_or_none()
    if order is None:
        raise NotFound(f"order '{order_id}' not found", {"id": order_id})
    return order


def products_query(
    workspace_id: str,
    *,
    status: str | None = None,
    sku: str | None = None,
    updated_since: datetime | None = None,
    integration_id: str | None = None,
) -> Select[Any]:
    query = select(Product).where(Product.workspace_id == workspace_id)
    if status:
        query = query.where(Product.status == status)
    if updated_since:
        query = query.where(Product.updated_at >= updated_since)
    if sku:
        query = query.where(
            Product.id.in_(
                select(ProductVariant.product_id).where(
                    ProductVariant.workspace_id == workspace_id, ProductVariant.sku == sku
                )
            )
        )
    if integration_id:
        query = query.where(
            Product.id.in_(
                select(ExternalRef.canonical_id).where(
                    ExternalRef.workspace_id == workspace_id,
                    ExternalRef.integration_id == integration_id,
                    ExternalRef.resource_type == "product",
                )
            )
        )
    return query


async def variants_of(session: AsyncSession, product_ids: list[str]) -> dict[str, list[ProductVariant]]:
    grouped: dict[str, list[ProductVariant]] = defaultdict(list)
    if product_ids:
        rows = await session.execute(
            select(ProductVariant).where(ProductVariant.product_id.in_(product_ids)).order_by(ProductVariant.position)
        )
        for v in rows.scalars():
            grouped[v.product_id].append(v)
    return grouped


def customers_query(
    workspace_id: str,
    *,
    email: str | None = None,
    updated_since: datetime | None = None,
    integration_id: str | None = None,
) -> Select[Any]:
    query = select(Customer).where(Customer.workspace_id == workspace_id)
    if email:
        query = query.where(Customer.email == email)
    if updated_since:
        query = query.where(Customer.updated_at >= updated_since)
    if integration_id:
        query = query.where(
            Customer.id.in_(
                select(ExternalRef.canonical_id).where(
                    ExternalRef.workspace_id == workspace_id,
                    ExternalRef.integration_id == integration_id,
                    ExternalRef.resource_type == "customer",
                )
            )
        )
    return query


def inventory_query(
    workspace_id: str, *, sku: str | None = None, location_id: str | None = None, updated_since: datetime | None = None
) -> Select[Any]:
    query = (
        select(InventoryLevel, ProductVariant.sku, Location.name.label("location_name"))
        .join(ProductVariant, ProductVariant.id == InventoryLevel.variant_id)
        .join(Location, Location.id == InventoryLevel.location_id)
        .where(InventoryLevel.workspace_id == workspace_id)
    )
    if sku:
        query = query.where(ProductVariant.sku == sku)
    if location_id:
        query = query.where(InventoryLevel.location_id == location_id)
    if updated_since:
        query = query.where(InventoryLevel.updated_at >= updated_since)
    return query


def locations_query(workspace_id: str) -> Select[Any]:
    return select(Location).where(Location.workspace_id == workspace_id)
