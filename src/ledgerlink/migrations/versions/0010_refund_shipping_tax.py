"""refunds: the tax on refunded shipping, in the shop's and the buyer's currency

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 00:45:00.000000

A refund kept the shipping it gave back but not the tax on it, so the books could not post a shipping
refund right: on tax-exclusive orders that tax fell into the refund's "not itemised" returns line, on
tax-inclusive ones it stayed inside shipping refunds instead of going back to the tax account the order
credited. Existing rows start at 0 (unknown); the Shopify orders whose refunds gave shipping back have
their stored payload hash cleared, so the next read of each (a full sync, a drift re-read, a webhook)
writes it again with the tax instead of finding it unchanged.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

COLUMNS = ("shipping_tax_amount", "shipping_tax_presentment_amount")


def upgrade() -> None:
    for column in COLUMNS:
        op.add_column("refunds", sa.Column(column, sa.BigInteger(), server_default="0", nullable=False))
        op.alter_column("refunds", column, server_default=None)
    op.execute(
        """
        UPDATE external_refs AS ref SET payload_hash = ''
        FROM integrations AS i
        WHERE ref.integration_id = i.id AND i.provider = 'shopify' AND ref.resource_type = 'order'
          AND EXISTS (
            SELECT 1 FROM refunds AS r
            WHERE r.order_id = ref.canonical_id AND r.workspace_id = ref.workspace_id AND r.shipping_amount <> 0
          )
        """
    )


def downgrade() -> None:
    for column in reversed(COLUMNS):
        op.drop_column("refunds", column)
