"""The canonical commerce model: exact money round-trips, SKU and inventory rules, external refs."""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from ledgerlink.auth import access
from ledgerlink.canonical.external_refs import Outcome, RefConflict, lookup_ref, payload_hash, record_ref
from ledgerlink.ids import new_id
from ledgerlink.models import (
    Customer,
    ExternalRef,
    Integration,
    InventoryLevel,
    Location,
    Order,
    OrderAddress,
    OrderDiscount,
    OrderLine,
    OrderShippingLine,
    OrderTaxLine,
    Payment,
    Product,
    ProductVariant,
    Refund,
    RefundLine,
)

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


async def make_integration(runtime, workspace_id: str, provider: str = "shopify") -> str:
    integration_id = new_id("int")
    async with runtime.sessions() as session:
        session.add(
            Integration(
                id=integration_id,
                workspace_id=workspace_id,
                provider=provider,
                name=f"{provider}-{secrets.token_hex(4)}",
                status="active",
                credentials_encrypted=runtime.secrets.encrypt_json({"access_token": "test"}),
            )
        )
        await session.commit()
    return integration_id


async def make_variant(session, workspace_id: str, sku: str | None) -> ProductVariant:
    product = Product(id=new_id("prd"), workspace_id=workspace_id, title="Tee")
    variant = ProductVariant(
        id=new_id("var"),
        workspace_id=workspace_id,
        product_id=product.id,
        sku=sku,
        currency="EUR",
        price_amount=2500,
    )
    session.add_all([product, variant])
    await session.flush()
    return variant


@pytest.fixture
async def integration_id(runtime, tenant) -> str:
    return await make_integration(runtime, tenant.workspace_id)


# --------------------------------------------------------------------------------------------------
# Orders, refunds and payments


async def test_order_in_two_currencies_round_trips_exactly(runtime, tenant, integration_id):
    ws = tenant.workspace_id
    big = 9_007_199_254_740_993  # beyond 2**53 and 2**31: a float or a 32-bit int would corrupt it
    rate = Decimal("148.2719350000")  # JPY per EUR, trailing zeros as the source sent them
    async with runtime.sessions() as session:
        variant = await make_variant(session, ws, f"SKU-{secrets.token_hex(4)}")
        customer = Customer(id=new_id("cus"), workspace_id=ws, email="ada@example.test", currency="JPY")
        location = Location(id=new_id("loc"), workspace_id=ws, name="Main")
        order = Order(
            id=new_id("ord"),
            workspace_id=ws,
            integration_id=integration_id,
            customer_id=customer.id,
            number="#1001",
            currency="EUR",
            presentment_currency="JPY",
            exchange_rate=rate,
            taxes_included=True,
            subtotal_amount=big,
            subtotal_presentment_amount=1_234_567,
            discount_amount=500,
            discount_presentment_amount=74,
            shipping_amount=499,
            shipping_presentment_amount=740,
            tax_amount=1_596,
            tax_presentment_amount=2_366,
            total_amount=big - 1,
            total_presentment_amount=1_235_233,
            placed_at=datetime(2025, 3, 1, 10, 30, tzinfo=timezone(timedelta(hours=9))),
            tags=["vip"],
            attributes={"channel": "online_store"},
        )
        line = OrderLine(
            id=new_id("oli"),
            workspace_id=ws,
            order_id=order.id,
            variant_id=variant.id,
            sku=variant.sku,
            title="Tee",
            variant_title="M / Blue",
            quantity=3,
            unit_price_amount=2_999,
            unit_price_presentment_amount=444,
            discount_amount=500,
            discount_presentment_amount=74,
            attributes={"engraving": "A.L."},
        )
        shipping = OrderShippingLine(
            id=new_id("shl"),
            workspace_id=ws,
            order_id=order.id,
            title="Standard",
            code="STD",
            amount=499,
            presentment_amount=740,
        )
        session.add_all([customer, location, order, line, shipping])
        await session.flush()
        session.add_all(
            [
                OrderTaxLine(
                    id=new_id("tax"),
                    workspace_id=ws,
                    order_id=order.id,
                    order_line_id=line.id,
                    title="MwSt",
                    rate=Decimal("0.19"),
                    amount=1_437,
                    presentment_amount=2_130,
                    price_includes_tax=True,
                ),
                OrderTaxLine(
                    id=new_id("tax"),
                    workspace_id=ws,
                    order_id=order.id,
                    shipping_line_id=shipping.id,
                    title="State tax",
                    rate=Decimal("0.0825"),
                    amount=159,
                    presentment_amount=236,
                    price_includes_tax=True,
                    position=1,
                ),
                OrderAddress(
                    id=new_id("adr"),
                    workspace_id=ws,
                    order_id=order.id,
                    kind="billing",
                    name="Ada L.",
                    line1="1 Analytical Way",
                    city="Berlin",
                    postal_code="10115",
                    country_code="DE",
                ),
                OrderAddress(
                    id=new_id("adr"),
                    workspace_id=ws,
                    order_id=order.id,
                    kind="shipping",
                    name="Ada L.",
                    line1="2-1 Chiyoda",
                    city="Tokyo",
                    region_code="13",
                    country_code="JP",
                ),
                OrderDiscount(
                    id=new_id("dsc"),
                    workspace_id=ws,
                    order_id=order.id,
                    kind="code",
                    code="SPRING10",
                    value_type="percentage",
                    value=Decimal("10.0"),
                    amount=500,
                    presentment_amount=74,
                ),
            ]
        )
        # Two partial refunds, each its own record with lines.
        refund_1 = Refund(
            id=new_id("rfd"),
            workspace_id=ws,
            order_id=order.id,
            amount=2_999,
            presentment_amount=444,
        )
        refund_2 = Refund(
            id=new_id("rfd"),
            workspace_id=ws,
            order_id=order.id,
            amount=3_498,
            presentment_amount=518,
            shipping_amount=499,
            shipping_presentment_amount=74,
        )
        session.add_all([refund_1, refund_2])
        await session.flush()
        session.add_all(
            [
                RefundLine(
                    id=new_id("rfl"),
                    workspace_id=ws,
                    refund_id=refund_1.id,
                    order_line_id=line.id,
                    quantity=1,
                    amount=2_520,
                    presentment_amount=373,
                    tax_amount=479,
                    tax_presentment_amount=71,
                    restock_type="return",
                    location_id=location.id,
                ),
                RefundLine(
                    id=new_id("rfl"),
                    workspace_id=ws,
                    refund_id=refund_2.id,
                    order_line_id=line.id,
                    quantity=1,
                    amount=2_520,
                    presentment_amount=373,
                    tax_amount=479,
                    tax_presentment_amount=71,
                ),
            ]
        )
        charge = Payment(
            id=new_id("pay"),
            workspace_id=ws,
            kind="charge",
            status="succeeded",
            order_id=order.id,
            amount=1_235_233,
            currency="JPY",
            settlement_amount=big - 1,
            settlement_currency="EUR",
            exchange_rate=Decimal("0.006744321"),
        )
        session.add(charge)
        await session.flush()
        payout = Payment(
            id=new_id("pay"), workspace_id=ws, kind="payout", status="succeeded", amount=big, currency="EUR"
        )
        session.add(payout)
        await session.flush()
        session.add_all(
            [
                Payment(
                    id=new_id("pay"),
                    workspace_id=ws,
                    kind=kind,
                    status="succeeded",
                    order_id=order.id,
                    parent_id=charge.id,
                    payout_id=payout.id,
                    amount=amount,
                    currency="EUR",
                    refund_id=refund_1.id if kind == "refund" else None,
                )
                for kind, amount in (("refund", 2_999), ("fee", 37), ("chargeback", 1_000))
            ]
        )
        await session.commit()
        order_id = order.id

    async with runtime.sessions() as session:
        got = await session.get(Order, order_id)
        assert got is not None
        assert (got.currency, got.presentment_currency) == ("EUR", "JPY")
        assert got.exchange_rate == rate and str(got.exchange_rate) == "148.2719350000"
        assert got.subtotal_amount == big and got.total_amount == big - 1
        assert got.subtotal_presentment_amount == 1_234_567
        assert got.taxes_included is True
        assert got.placed_at == datetime(2025, 3, 1, 1, 30, tzinfo=UTC)
        assert got.attributes == {"channel": "online_store"} and got.tags == ["vip"]

        taxes = (
            await session.scalars(
                select(OrderTaxLine).where(OrderTaxLine.order_id == order_id).order_by(OrderTaxLine.position)
            )
        ).all()
        assert [(t.title, t.rate, t.amount, t.presentment_amount, t.price_includes_tax) for t in taxes] == [
            ("MwSt", Decimal("0.19"), 1_437, 2_130, True),
            ("State tax", Decimal("0.0825"), 159, 236, True),
        ]
        assert all(isinstance(t.rate, Decimal) for t in taxes)
        assert str(taxes[1].rate) == "0.0825"

        lines = (await session.scalars(select(OrderLine).where(OrderLine.order_id == order_id))).all()
        assert [(li.quantity, li.unit_price_amount, li.unit_price_presentment_amount) for li in lines] == [
            (3, 2_999, 444)
        ]
        addresses = (await session.scalars(select(OrderAddress).where(OrderAddress.order_id == order_id))).all()
        assert sorted((a.kind, a.country_code) for a in addresses) == [("billing", "DE"), ("shipping", "JP")]
        discount = (await session.scalars(select(OrderDiscount).where(OrderDiscount.order_id == order_id))).one()
        assert discount.value == Decimal("10.0") and discount.amount == 500

        refunds = (await session.scalars(select(Refund).where(Refund.order_id == order_id))).all()
        assert sorted(r.amount for r in refunds) == [2_999, 3_498]
        refunded_units = await session.scalar(
            select(func.sum(RefundLine.quantity)).where(RefundLine.order_line_id == lines[0].id)
        )
        assert refunded_units == 2

        payments = (await session.scalars(select(Payment).where(Payment.workspace_id == ws))).all()
        assert sorted(p.kind for p in payments) == ["charge", "chargeback", "fee", "payout", "refund"]
        charge_row = next(p for p in payments if p.kind == "charge")
        assert charge_row.exchange_rate == Decimal("0.006744321") and charge_row.settlement_amount == big - 1
        assert next(p for p in payments if p.kind == "payout").amount == big


async def test_payment_kind_and_currency_are_checked(runtime, tenant):
    for bad in ({"kind": "gift"}, {"currency": "usd"}, {"currency": "US"}):
        values: dict[str, Any] = {"kind": "charge", "currency": "USD", **bad}
        async with runtime.sessions() as session:
            ws = tenant.workspace_id
            session.add(Payment(id=new_id("pay"), workspace_id=ws, status="succeeded", amount=1, **values))
            with pytest.raises(IntegrityError):
                await session.commit()


async def test_deleting_an_order_cascades_through_lines_and_refunds(runtime, tenant):
    ws = tenant.workspace_id
    async with runtime.sessions() as session:
        order = Order(id=new_id("ord"), workspace_id=ws, currency="USD", presentment_currency="USD")
        line = OrderLine(
            id=new_id("oli"),
            workspace_id=ws,
            order_id=order.id,
            title="x",
            quantity=1,
            unit_price_amount=100,
            unit_price_presentment_amount=100,
        )
        refund = Refund(id=new_id("rfd"), workspace_id=ws, order_id=order.id, amount=100, presentment_amount=100)
        session.add_all([order, line, refund])
        await session.flush()
        session.add(
            RefundLine(
                id=new_id("rfl"),
                workspace_id=ws,
                refund_id=refund.id,
                order_line_id=line.id,
                quantity=1,
                amount=100,
                presentment_amount=100,
            )
        )
        await session.commit()
        order_id, line_id = order.id, line.id

        # A refunded line cannot disappear on its own...
        with pytest.raises(IntegrityError):
            await session.execute(text("DELETE FROM order_lines WHERE id = :id"), {"id": line_id})
            await session.commit()
        await session.rollback()
        # ...but the whole order can.
        await session.execute(text("DELETE FROM orders WHERE id = :id"), {"id": order_id})
        await session.commit()
        left = await session.scalar(select(func.count()).where(RefundLine.workspace_id == ws))
        assert left == 0


async def test_deleting_a_workspace_removes_its_whole_model(runtime):
    ws = await make_tenant_id(runtime)
    integration_id = await make_integration(runtime, ws)
    async with runtime.sessions() as session:
        variant = await make_variant(session, ws, "SKU-GONE")
        location = Location(id=new_id("loc"), workspace_id=ws, name="Main")
        customer = Customer(id=new_id("cus"), workspace_id=ws)
        order = Order(
            id=new_id("ord"),
            workspace_id=ws,
            integration_id=integration_id,
            customer_id=customer.id,
            currency="USD",
            presentment_currency="USD",
        )
        line = OrderLine(
            id=new_id("oli"),
            workspace_id=ws,
            order_id=order.id,
            variant_id=variant.id,
            title="x",
            quantity=1,
            unit_price_amount=100,
            unit_price_presentment_amount=100,
        )
        refund = Refund(id=new_id("rfd"), workspace_id=ws, order_id=order.id, amount=100, presentment_amount=100)
        charge = Payment(
            id=new_id("pay"),
            workspace_id=ws,
            kind="charge",
            status="succeeded",
            order_id=order.id,
            integration_id=integration_id,
            amount=100,
            currency="USD",
        )
        session.add_all([location, customer, order, line, refund, charge])
        await session.flush()
        session.add_all(
            [
                InventoryLevel(
                    id=new_id("inv"),
                    workspace_id=ws,
                    variant_id=variant.id,
                    location_id=location.id,
                    on_hand=5,
                ),
                RefundLine(
                    id=new_id("rfl"),
                    workspace_id=ws,
                    refund_id=refund.id,
                    order_line_id=line.id,
                    quantity=1,
                    amount=100,
                    presentment_amount=100,
                    location_id=location.id,
                ),
                Payment(
                    id=new_id("pay"),
                    workspace_id=ws,
                    kind="refund",
                    status="succeeded",
                    order_id=order.id,
                    refund_id=refund.id,
                    parent_id=charge.id,
                    amount=100,
                    currency="USD",
                ),
            ]
        )
        await session.commit()
        await record_ref(
            session,
            workspace_id=ws,
            integration_id=integration_id,
            resource_type="order",
            external_id="1",
            canonical_id=order.id,
            upstream_updated_at=None,
            payload_hash="0" * 64,
        )
        await session.commit()

        await session.execute(text("DELETE FROM workspaces WHERE id = :id"), {"id": ws})
        await session.commit()
        models = (Order, OrderLine, Refund, RefundLine, Payment, ProductVariant, InventoryLevel, ExternalRef)
        for model in models:
            assert await session.scalar(select(func.count()).where(model.workspace_id == ws)) == 0


# --------------------------------------------------------------------------------------------------
# Catalogue and inventory


async def test_sku_is_unique_per_workspace_only(runtime, tenant):
    other = await make_tenant_id(runtime)
    sku = f"SKU-{secrets.token_hex(4)}"
    async with runtime.sessions() as session:
        await make_variant(session, tenant.workspace_id, sku)
        await session.commit()

    async with runtime.sessions() as session:
        with pytest.raises(IntegrityError):
            await make_variant(session, tenant.workspace_id, sku)
        await session.rollback()

    async with runtime.sessions() as session:
        await make_variant(session, other, sku)  # the same SKU in another workspace is fine
        # Variants without a SKU do not collide with each other.
        await make_variant(session, tenant.workspace_id, None)
        await make_variant(session, tenant.workspace_id, None)
        await session.commit()

    async with runtime.sessions() as session:
        with pytest.raises(IntegrityError):  # "" is not a SKU: store NULL
            await make_variant(session, tenant.workspace_id, "")
        await session.rollback()


async def make_tenant_id(runtime) -> str:
    async with runtime.sessions() as session:
        return (await access.create_workspace(session, f"ws-{secrets.token_hex(6)}")).id


async def test_inventory_available_is_on_hand_minus_reserved(runtime, tenant):
    ws = tenant.workspace_id
    async with runtime.sessions() as session:
        variant = await make_variant(session, ws, f"SKU-{secrets.token_hex(4)}")
        location = Location(id=new_id("loc"), workspace_id=ws, name="Warehouse")
        session.add(location)
        await session.flush()
        key = {"workspace_id": ws, "variant_id": variant.id, "location_id": location.id}
        level = InventoryLevel(id=new_id("inv"), **key, on_hand=10, reserved=3)
        session.add(level)
        await session.commit()
        level_id = level.id
        await session.refresh(level)
        assert level.available == 7

        level.reserved = 12  # more reserved than on hand: available goes negative rather than lying
        await session.commit()
        await session.refresh(level)
        assert level.available == -2

        # The database computes it; nobody can store a value that disagrees.
        with pytest.raises(DBAPIError, match="available"):
            await session.execute(text("UPDATE inventory_levels SET available = 99 WHERE id = :id"), {"id": level_id})
        await session.rollback()

        with pytest.raises(IntegrityError):  # one level per variant and location
            session.add(InventoryLevel(id=new_id("inv"), **key, on_hand=1))
            await session.commit()
        await session.rollback()

    async with runtime.sessions() as session:
        row = await session.get(InventoryLevel, level_id)
        assert row is not None
        assert (row.on_hand, row.reserved, row.available) == (10, 12, -2)


# --------------------------------------------------------------------------------------------------
# External references


def _key(ws: str, integration_id: str, external_id: str | None = None) -> dict[str, str]:
    return {
        "workspace_id": ws,
        "integration_id": integration_id,
        "resource_type": "order",
        "external_id": external_id or str(secrets.randbelow(10**12)),
    }


async def _record(runtime, key: dict[str, str], canonical_id: str, at: datetime | None, digest: str) -> Outcome:
    async with runtime.sessions() as session:
        outcome = await record_ref(
            session, **key, canonical_id=canonical_id, upstream_updated_at=at, payload_hash=digest
        )
        await session.commit()
    return outcome


async def _stored(runtime, key: dict[str, str]) -> ExternalRef:
    async with runtime.sessions() as session:
        return (
            await session.scalars(select(ExternalRef).where(*(getattr(ExternalRef, k) == v for k, v in key.items())))
        ).one()


async def test_record_ref_tells_created_unchanged_updated_and_stale(runtime, tenant, integration_id):
    key = _key(tenant.workspace_id, integration_id)
    order_id = new_id("ord")
    h1, h2, h3 = (payload_hash({"version": n}) for n in (1, 2, 3))

    async with runtime.sessions() as session:
        assert await lookup_ref(session, **key) is None

    assert await _record(runtime, key, order_id, T0, h1) is Outcome.CREATED
    first = await _stored(runtime, key)
    assert (first.canonical_id, first.payload_hash, first.upstream_updated_at) == (order_id, h1, T0)

    assert await _record(runtime, key, order_id, T0, h1) is Outcome.UNCHANGED
    # The same payload claimed newer is still the same payload: nothing to apply.
    assert await _record(runtime, key, order_id, T0 + timedelta(minutes=1), h1) is Outcome.UNCHANGED
    unchanged = await _stored(runtime, key)
    assert (unchanged.payload_hash, unchanged.upstream_updated_at, unchanged.last_seen_at) == (
        h1,
        T0,
        first.last_seen_at,
    )

    t2 = T0 + timedelta(hours=1)
    assert await _record(runtime, key, order_id, t2, h2) is Outcome.UPDATED
    updated = await _stored(runtime, key)
    assert (updated.payload_hash, updated.upstream_updated_at) == (h2, t2)
    assert updated.first_seen_at == first.first_seen_at
    assert updated.last_seen_at >= first.last_seen_at

    # An older copy arriving late (a delayed webhook) must not overwrite the newer one.
    assert await _record(runtime, key, order_id, T0 + timedelta(minutes=30), h3) is Outcome.STALE
    after_stale = await _stored(runtime, key)
    assert (after_stale.payload_hash, after_stale.upstream_updated_at, after_stale.last_seen_at) == (
        h2,
        t2,
        updated.last_seen_at,
    )

    # Same timestamp, different payload: not older, so it is applied.
    assert await _record(runtime, key, order_id, t2, h3) is Outcome.UPDATED
    # No timestamp from the source: the hash decides, and the known timestamp is kept.
    assert await _record(runtime, key, order_id, None, h1) is Outcome.UPDATED
    assert (await _stored(runtime, key)).upstream_updated_at == t2

    async with runtime.sessions() as session:
        assert await lookup_ref(session, **key) == order_id
        # The same upstream id from another resource type or integration is another object.
        assert await lookup_ref(session, **{**key, "resource_type": "customer"}) is None


async def test_record_ref_refuses_to_remap_to_another_canonical_record(runtime, tenant, integration_id):
    key = _key(tenant.workspace_id, integration_id)
    order_id = new_id("ord")
    assert await _record(runtime, key, order_id, T0, payload_hash({"a": 1})) is Outcome.CREATED
    with pytest.raises(RefConflict) as info:
        await _record(runtime, key, new_id("ord"), T0 + timedelta(hours=1), payload_hash({"a": 2}))
    assert info.value.existing_canonical_id == order_id
    stored = await _stored(runtime, key)
    assert (stored.canonical_id, stored.upstream_updated_at) == (order_id, T0)


async def test_concurrent_record_ref_creates_exactly_once(runtime, tenant, integration_id):
    key = _key(tenant.workspace_id, integration_id)
    order_id = new_id("ord")
    digest = payload_hash({"id": key["external_id"], "total": "10.00"})
    outcomes = await asyncio.gather(*(_record(runtime, key, order_id, T0, digest) for _ in range(20)))
    assert outcomes.count(Outcome.CREATED) == 1
    assert outcomes.count(Outcome.UNCHANGED) == 19


async def test_concurrent_writers_never_let_an_older_payload_win(runtime, tenant, integration_id):
    key = _key(tenant.workspace_id, integration_id)
    order_id = new_id("ord")
    versions = [(T0 + timedelta(seconds=n), payload_hash({"version": n})) for n in range(20)]
    shuffled = versions[:]
    secrets.SystemRandom().shuffle(shuffled)
    outcomes = await asyncio.gather(*(_record(runtime, key, order_id, at, h) for at, h in shuffled))
    assert outcomes.count(Outcome.CREATED) == 1
    assert set(outcomes) <= {Outcome.CREATED, Outcome.UPDATED, Outcome.STALE}
    stored = await _stored(runtime, key)
    assert (stored.upstream_updated_at, stored.payload_hash) == versions[-1]


# --------------------------------------------------------------------------------------------------
# Payload hashing


def test_payload_hash_is_sha256_of_canonical_json():
    payload = {
        "b": [Decimal("1.50"), datetime(2025, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))],
        "a": {"z": None, "y": True, "é": 1.25},
    }
    expected = '{"a":{"y":true,"z":null,"é":1.25},"b":["1.50","2025-03-01T10:00:00+00:00"]}'
    assert payload_hash(payload) == hashlib.sha256(expected.encode()).hexdigest()
    # The same instant in another zone is the same value.
    same_instant = {**payload, "b": [Decimal("1.50"), datetime(2025, 3, 1, 10, 0, tzinfo=UTC)]}
    assert payload_hash(same_instant) == payload_hash(payload)
    with pytest.raises(TypeError):
        payload_hash({1: "non-string key"})  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        payload_hash({"a": {1, 2}})


json_leaves = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8)
)
json_values = st.recursive(
    json_leaves,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=20,
)
payloads = st.dictionaries(st.text(max_size=6), json_values, max_size=6)


def _strict(value: Any) -> str:
    """A representation that tells 1, 1.0, True and "1" apart (as JSON does)."""
    return json.dumps(value, sort_keys=True)


def _reorder(value: Any, rnd) -> Any:
    if isinstance(value, dict):
        items = [(k, _reorder(v, rnd)) for k, v in value.items()]
        rnd.shuffle(items)
        return dict(items)
    if isinstance(value, list):
        return [_reorder(v, rnd) for v in value]
    return value


def _mutate(node: dict | list, data) -> dict | list:
    """A copy of `node` with exactly one value somewhere inside it replaced by a different one."""
    keys = list(node.keys()) if isinstance(node, dict) else list(range(len(node)))
    key = data.draw(st.sampled_from(keys))
    child = node[key]
    if isinstance(child, dict | list) and child and data.draw(st.booleans()):
        new_child = _mutate(child, data)
    else:
        new_child = data.draw(json_values.filter(lambda v: _strict(v) != _strict(child)))
    copy = dict(node) if isinstance(node, dict) else list(node)
    copy[key] = new_child
    return copy


@settings(max_examples=200, deadline=None)
@given(payload=payloads, rnd=st.randoms(use_true_random=False))
def test_payload_hash_ignores_key_order(payload, rnd):
    reordered = _reorder(payload, rnd)
    assert reordered == payload
    assert payload_hash(reordered) == payload_hash(payload)


@settings(max_examples=200, deadline=None)
@given(payload=payloads.filter(bool), data=st.data())
def test_payload_hash_changes_with_any_value(payload, data):
    changed = _mutate(payload, data)
    assert _strict(changed) != _strict(payload)
    assert payload_hash(changed) != payload_hash(payload)
