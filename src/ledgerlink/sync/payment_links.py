"""The links of a processor's records to what they belong to, resolved in SQL from what the processor
stated, in both directions, so the order records arrive in does not matter:

- order: `order_source` + `order_external_id` name an order of the workspace's integration of that
  provider (through its external refs); without an id, an order number unique in the workspace (or
  among that provider's integrations) will do. A refund or chargeback follows its charge: its own
  reference counts only when it names no charge, or a charge that names no order. Nothing unique to go
  by leaves `order_id` NULL, and an order synced later links the movements waiting for it
  (`write_orders_linking_payments`, the `order` writer), their refunds and chargebacks with them.
- parent: a refund's or chargeback's charge (`parent_external_id`), whichever is written second.
- payout: a movement or balance entry is in the payout whose items list its balance transaction.

Links are resolved by whoever writes second, and both writers serialise on a per-integration
advisory lock held to the end of their page's transaction, so two concurrent pages (a refunds page and
a charges page, an orders page and a charges page) can never both miss the link.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from ledgerlink.connectors.registry import PROVIDERS
from ledgerlink.db import advisory
from ledgerlink.sync.context import Item, LoadContext, LoadResult
from ledgerlink.sync.write_orders import write_orders

PAYMENT_FEATURE = "payment_sync"


# --------------------------------------------------------------------------------------------------
# Serialising the writers of one processor integration


async def serialise_writers(session: AsyncSession, integration_ids: Iterable[str]) -> None:
    """Wait for (and hold to the end of this transaction) each integration's payment-writing lock, in
    a fixed order so two holders of several never deadlock."""
    for integration_id in sorted(set(integration_ids)):
        await advisory.xact_lock(session, f"payments:{integration_id}")


# --------------------------------------------------------------------------------------------------
# Resolving links (each statement fills only what is still NULL, or what points elsewhere)

_LINK_ORDERS = text(
    """
    WITH target AS (
        SELECT p.id, p.workspace_id, p.order_source, p.order_external_id, p.order_number,
               parent.order_id AS parent_order_id
          FROM payments p LEFT JOIN payments parent ON parent.id = p.parent_id
         WHERE p.id = ANY(:ids) AND p.order_id IS NULL
           -- A refund or chargeback follows its charge: its own reference counts only when it names
           -- no charge, or a charge that names no order.
           AND (p.parent_external_id IS NULL OR parent.order_id IS NOT NULL
                OR (parent.id IS NOT NULL AND parent.order_source IS NULL
                    AND parent.order_external_id IS NULL AND parent.order_number IS NULL))
    ),
    candidate AS (
        SELECT t.id, t.parent_order_id AS order_id, 0 AS rank
          FROM target t WHERE t.parent_order_id IS NOT NULL
        UNION ALL
        SELECT t.id, o.id, 1
          FROM target t
          JOIN integrations i
            ON i.workspace_id = t.workspace_id AND (t.order_source IS NULL OR i.provider = t.order_source)
          JOIN external_refs r
            ON r.workspace_id = t.workspace_id AND r.integration_id = i.id
           AND r.resource_type = 'order' AND r.external_id = t.order_external_id
          JOIN orders o ON o.id = r.canonical_id
        UNION ALL
        SELECT t.id, o.id, 2
          FROM target t
          JOIN orders o
            ON o.workspace_id = t.workspace_id AND o.number IN (t.order_number, '#' || t.order_number)
          JOIN integrations i
            ON i.id = o.integration_id AND (t.order_source IS NULL OR i.provider = t.order_source)
         WHERE t.order_external_id IS NULL
    ),
    best AS (SELECT id, min(rank) AS rank FROM candidate GROUP BY id),
    picked AS (
        SELECT c.id, min(c.order_id) AS order_id
          FROM candidate c JOIN best b ON b.id = c.id AND b.rank = c.rank
         GROUP BY c.id
        HAVING count(DISTINCT c.order_id) = 1
    )
    UPDATE payments p SET order_id = picked.order_id, updated_at = now()
      FROM picked WHERE p.id = picked.id
    RETURNING p.id, p.order_id
    """
)

_LINK_PARENTS = text(
    """
    UPDATE payments c SET parent_id = p.id, updated_at = now()
      FROM payments p
     WHERE c.id = ANY(:ids) AND c.parent_id IS NULL AND c.parent_external_id IS NOT NULL
       AND p.integration_id = c.integration_id AND p.kind = 'charge' AND p.external_id = c.parent_external_id
    """
)

_LINK_PAYOUTS = text(
    """
    UPDATE payments m SET payout_id = pi.payout_id, updated_at = now()
      FROM payout_items pi
     WHERE m.id = ANY(:ids) AND m.payout_id IS NULL AND m.settlement_external_id IS NOT NULL
       AND pi.integration_id = m.integration_id AND pi.external_id = m.settlement_external_id
       AND pi.payout_id <> m.id
    """
)

_WAITING_CHILDREN = text(
    """
    SELECT id FROM payments
     WHERE integration_id = :integration_id AND parent_external_id = ANY(:external_ids)
       AND (parent_id IS NULL OR order_id IS NULL)
    """
)

_ENTRIES_OF_MOVEMENTS = text(
    """
    UPDATE balance_entries b SET payment_id = p.id, updated_at = now()
      FROM payments p
     WHERE p.id = ANY(:ids) AND b.integration_id = p.integration_id
       AND b.source_external_id = p.external_id AND b.payment_id IS DISTINCT FROM p.id
    """
)

_ENTRY_LINKS = text(
    """
    UPDATE balance_entries b
       SET payment_id = coalesce(b.payment_id, (
               SELECT p.id FROM payments p
                WHERE p.integration_id = b.integration_id AND p.external_id = b.source_external_id
                ORDER BY p.id LIMIT 1)),
           payout_id = coalesce(b.payout_id, (
               SELECT pi.payout_id FROM payout_items pi
                WHERE pi.integration_id = b.integration_id AND pi.external_id = b.external_id
                ORDER BY pi.payout_id LIMIT 1)),
           updated_at = now()
     WHERE b.id = ANY(:ids)
    """
)

_PAID_OUT_MOVEMENTS = text(
    """
    UPDATE payments m SET payout_id = pi.payout_id, updated_at = now()
      FROM payout_items pi
     WHERE pi.payout_id = ANY(:ids) AND m.integration_id = pi.integration_id
       AND m.settlement_external_id = pi.external_id AND m.id <> pi.payout_id
       AND m.payout_id IS DISTINCT FROM pi.payout_id
    """
)

_PAID_OUT_ENTRIES = text(
    """
    UPDATE balance_entries b SET payout_id = pi.payout_id, updated_at = now()
      FROM payout_items pi
     WHERE pi.payout_id = ANY(:ids) AND b.integration_id = pi.integration_id
       AND b.external_id = pi.external_id AND b.payout_id IS DISTINCT FROM pi.payout_id
    """
)

_WAITING_FOR_ORDERS = text(
    """
    SELECT id FROM payments
     WHERE workspace_id = :workspace_id AND order_id IS NULL
       AND (order_external_id = ANY(:external_ids)
            OR (order_external_id IS NULL AND order_number = ANY(:numbers)))
    """
)

_UNLINKED_CHILDREN = text("SELECT id FROM payments WHERE parent_id = ANY(:ids) AND order_id IS NULL")

_PROCESSORS = text(
    "SELECT id FROM integrations WHERE workspace_id = :workspace_id AND provider = ANY(:providers) ORDER BY id"
)


async def link_orders(session: AsyncSession, payment_ids: list[str]) -> dict[str, str]:
    """Resolve the orders of these movements where still unknown; returns {payment id: order id} of
    those linked now. A refund's or chargeback's charge's order first, else the stated order."""
    if not payment_ids:
        return {}
    rows = await session.execute(_LINK_ORDERS, {"ids": payment_ids})
    return {row.id: row.order_id for row in rows}


async def _ids(session: AsyncSession, statement: Any, **params: Any) -> list[str]:
    return [row[0] for row in await session.execute(statement, params)]


async def write_orders_linking_payments(session: AsyncSession, ctx: LoadContext, items: list[Item]) -> LoadResult:
    """The `order` writer: orders as `write_orders` writes them, then the payments waiting for them."""
    result = await write_orders(session, ctx, items)
    if result.created:
        await link_payments_to_orders(session, ctx.workspace_id, [i.record for i in items])
    return result


async def link_payments_to_orders(session: AsyncSession, workspace_id: str, orders: list[Any]) -> None:
    """Link the movements of the workspace's processors that name these (just synced) orders."""
    providers = [p.id for p in PROVIDERS.values() if PAYMENT_FEATURE in p.features]
    processors = await _ids(session, _PROCESSORS, workspace_id=workspace_id, providers=providers)
    if not processors:
        return
    await serialise_writers(session, processors)
    numbers = {str(o.number) for o in orders if o.number}
    numbers |= {n.lstrip("#") for n in numbers}
    waiting = await _ids(
        session,
        _WAITING_FOR_ORDERS,
        workspace_id=workspace_id,
        external_ids=[o.external_id for o in orders],
        numbers=sorted(numbers),
    )
    linked = await link_orders(session, waiting)
    if linked:
        await link_orders(session, await _ids(session, _UNLINKED_CHILDREN, ids=list(linked)))


# --------------------------------------------------------------------------------------------------
# After a writer's upsert


async def link_movements(session: AsyncSession, payment_ids: list[str]) -> None:
    """Just-written movements: their charge, their payout, and the balance entries they are the source of."""
    await session.execute(_LINK_PARENTS, {"ids": payment_ids})
    await session.execute(_LINK_PAYOUTS, {"ids": payment_ids})
    await session.execute(_ENTRIES_OF_MOVEMENTS, {"ids": payment_ids})


async def link_waiting_children(session: AsyncSession, integration_id: str, charge_external_ids: list[str]) -> None:
    """The refunds and chargebacks written before these (just written) charges: their charge, its order."""
    children = await _ids(session, _WAITING_CHILDREN, integration_id=integration_id, external_ids=charge_external_ids)
    if children:
        await session.execute(_LINK_PARENTS, {"ids": children})
        await link_orders(session, children)


async def link_paid_out(session: AsyncSession, payout_ids: list[str]) -> None:
    """The movements and balance entries these payouts' (just written) items list."""
    await session.execute(_PAID_OUT_MOVEMENTS, {"ids": payout_ids})
    await session.execute(_PAID_OUT_ENTRIES, {"ids": payout_ids})


async def link_entries(session: AsyncSession, entry_ids: list[str]) -> None:
    """Just-written balance entries: the movement that is their source, the payout that paid them out."""
    await session.execute(_ENTRY_LINKS, {"ids": entry_ids})
