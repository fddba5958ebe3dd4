"""Writing a batch of records in bulk (sync/loader.write_items): what several upstream pages written as
one transaction must survive."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from ledgerlink.canonical import records as rec
from ledgerlink.canonical.external_refs import payload_hash
from ledgerlink.ids import new_id
from ledgerlink.models import ExternalRef, Integration, Order, OrderLine, ProductVariant
from ledgerlink.sync.context import Item, LoadContext, LoadResult
from ledgerlink.sync.loader import write_items
from tests.conftest import make_tenant


def _order(external_id: str, updated: datetime, quantity: int) -> rec.Order:
    line = rec.OrderLine(
        external_id=f"{external_id}-1",
        sku="SKU-1",
        title="Widget",
        quantity=quantity,
        unit_price=500,
        unit_price_presentment=500,
    )
    total = 500 * quantity
    return rec.Order(
        external_id=external_id,
        currency="USD",
        presentment_currency="USD",
        subtotal=total,
        subtotal_presentment=total,
        total=total,
        total_presentment=total,
        updated_at=updated,
        lines=(line,),
    )


async def _integrations(runtime, workspace_id: str, *names: str) -> list[Integration]:
    """WooCommerce integrations of a workspace (rows only: these tests write what a sync would)."""
    integrations = [
        Integration(
            id=new_id("int"),
            workspace_id=workspace_id,
            provider="woocommerce",
            name=name,
            # Sealed like any other: `secrets rotate` (tests/test_cli.py) opens every integration's.
            credentials_encrypted=runtime.secrets.encrypt_json({}),
            status="active",
            settings={},
        )
        for name in names
    ]
    async with runtime.sessions.begin() as session:
        session.add_all(integrations)
    return integrations


async def _store(runtime) -> LoadContext:
    tenant = await make_tenant(runtime)
    [integration] = await _integrations(runtime, tenant.workspace_id, "shop")
    return LoadContext(tenant.workspace_id, integration.id, "woocommerce")


def _item(order: rec.Order) -> Item:
    return Item(order.external_id, order, payload_hash(order.model_dump(mode="json")), order.updated_at, True)


async def test_a_record_on_two_pages_of_one_batch_is_written_once_as_its_newest_copy(runtime) -> None:
    """An order edited while a run reads moves to a later page: one batch may hold it twice."""
    ctx = await _store(runtime)
    t = datetime(2024, 5, 1, tzinfo=UTC)
    items = [_item(_order("7", t, 1)), _item(_order("8", t, 1)), _item(_order("7", t + timedelta(minutes=5), 3))]
    async with runtime.sessions.begin() as session:
        result = await write_items(session, ctx, "order", items)
    assert (result.created, result.updated, result.unchanged, result.failed) == (2, 0, 1, 0)
    async with runtime.sessions() as session:
        orders = (
            (await session.execute(select(Order).where(Order.integration_id == ctx.integration_id))).scalars().all()
        )
        assert sorted(o.total_amount for o in orders) == [500, 1500]  # order 7 as its newest copy (3 units)
        lines = await session.scalar(
            select(func.count()).select_from(OrderLine).where(OrderLine.order_id.in_([o.id for o in orders]))
        )
        assert lines == 2  # the older copy's line was not written beside the newer one's


async def test_a_record_the_database_refuses_in_a_bulk_copy_fails_alone(runtime) -> None:
    """COPY runs on the driver's own connection: its refusals must reach the record-by-record fallback
    as every other statement's do (they escaped it as the driver's exceptions, failing the whole run)."""
    ctx = await _store(runtime)
    t = datetime(2024, 5, 1, tzinfo=UTC)
    items = [_item(_order("1", t, 1)), _item(_order("2", t, 10**12)), _item(_order("3", t, 2))]  # past integer
    async with runtime.sessions.begin() as session:
        result = await write_items(session, ctx, "order", items)
    assert (result.created, result.failed) == (2, 1)
    assert [e.external_id for e in result.errors] == ["2"] and "out of range" in result.errors[0].message


async def test_an_order_line_links_to_the_catalogue_by_variant_else_by_sku(runtime) -> None:
    """A line names a variant this store's sync knows, or only a SKU another channel's product has."""
    tenant = await make_tenant(runtime)
    shop, other = await _integrations(runtime, tenant.workspace_id, "shop", "other channel")
    catalogue = {
        shop.id: rec.Product(external_id="p1", title="Widget", variants=(rec.Variant(external_id="p1/v1", sku="W-1"),)),
        other.id: rec.Product(
            external_id="q9", title="Gadget", variants=(rec.Variant(external_id="q9/v9", sku="G-9"),)
        ),
    }
    async with runtime.sessions.begin() as session:
        for iid, product in catalogue.items():
            item = Item(product.external_id, product, payload_hash(product.model_dump(mode="json")), None)
            await write_items(session, LoadContext(tenant.workspace_id, iid, "woocommerce"), "product", [item])
    lines = (
        rec.OrderLine(
            external_id="1",
            sku="W-1",
            title="Widget",
            variant_external_id="p1/v1",
            quantity=1,
            unit_price=100,
            unit_price_presentment=100,
        ),
        rec.OrderLine(
            external_id="2",
            sku="G-9",
            title="Gadget",
            variant_external_id="x/unknown",
            quantity=1,
            unit_price=100,
            unit_price_presentment=100,
        ),
        rec.OrderLine(
            external_id="3", sku="NOPE", title="Custom", quantity=1, unit_price=100, unit_price_presentment=100
        ),
    )
    order = rec.Order(
        external_id="o1",
        currency="USD",
        presentment_currency="USD",
        subtotal=300,
        subtotal_presentment=300,
        total=300,
        total_presentment=300,
        lines=lines,
    )
    async with runtime.sessions.begin() as session:
        await write_items(session, LoadContext(tenant.workspace_id, shop.id, "woocommerce"), "order", [_item(order)])
    async with runtime.sessions() as session:
        variants = dict(
            (
                await session.execute(
                    select(ProductVariant.sku, ProductVariant.id).where(
                        ProductVariant.workspace_id == tenant.workspace_id
                    )
                )
            ).all()
        )
        linked = dict(
            (
                await session.execute(
                    select(OrderLine.sku, OrderLine.variant_id)
                    .join(Order, Order.id == OrderLine.order_id)
                    .where(Order.integration_id == shop.id)
                )
            ).all()
        )
    assert linked == {"W-1": variants["W-1"], "G-9": variants["G-9"], "NOPE": None}


async def test_a_record_another_writer_creates_meanwhile_is_written_once(runtime, caplog) -> None:
    """Two writers see the same new order at once (a sync batch and a webhook, or two overlapping batches
    of a run): neither finds its reference, both insert one. The second waits for the first, loses,
    and counts the order as unchanged: one order, one reference, no failure, and its batch is not
    refused as a whole (written again record by record)."""
    caplog.set_level(logging.INFO, logger="ledgerlink.sync.loader")
    ctx = await _store(runtime)
    item = _item(_order("42", datetime(2024, 5, 1, tzinfo=UTC), 2))

    async def second_writer() -> LoadResult:
        async with runtime.sessions.begin() as session:
            return await write_items(session, ctx, "order", [item])

    async with runtime.sessions.begin() as first:
        assert (await write_items(first, ctx, "order", [item])).created == 1
        second = asyncio.create_task(second_writer())
        await asyncio.sleep(0.3)
        assert not second.done()  # waiting on the first's uncommitted reference
    result = await asyncio.wait_for(second, 10)
    assert (result.created, result.updated, result.unchanged, result.failed) == (0, 0, 1, 0)
    async with runtime.sessions() as session:
        orders = await session.scalar(
            select(func.count()).select_from(Order).where(Order.integration_id == ctx.integration_id)
        )
        refs = await session.scalar(
            select(func.count()).select_from(ExternalRef).where(ExternalRef.integration_id == ctx.integration_id)
        )
    assert (orders, refs) == (1, 1)
    assert not [r for r in caplog.records if "record by record" in r.getMessage()]
