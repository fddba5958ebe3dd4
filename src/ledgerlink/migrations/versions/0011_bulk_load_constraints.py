"""order children: no workspace constraint or index of their own, tax lines tied to their order only

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 03:10:00.000000

An order sync writes a dozen child rows per order (lines, tax lines, shipping lines, discounts,
addresses, refund lines). Each carried a foreign key to workspaces and an index on workspace_id,
though the order's own foreign key already cascades a workspace's removal down to them and nothing
looks them up by workspace alone: one more constraint check and one more index entry per row, a
quarter of the cost of inserting them. A tax line's link to its line or shipping line is resolved
within its order (read, rebuilt and deleted with it), so its two more constraints and indexes only cost
writes. Orders, external refs and events kept a single-column workspace index beside composite
indexes that lead with workspace_id.
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

CHILDREN = (
    "order_lines",
    "order_addresses",
    "order_shipping_lines",
    "order_tax_lines",
    "order_discounts",
    "refund_lines",
)
COVERED = ("orders", "external_refs", "events")  # composite indexes lead with workspace_id
TAX_TARGETS = {"order_line_id": "order_lines", "shipping_line_id": "order_shipping_lines"}


def upgrade() -> None:
    for table in CHILDREN:
        op.drop_constraint(f"fk_{table}_workspace_id_workspaces", table, type_="foreignkey")
        op.drop_index(f"ix_{table}_workspace_id", table_name=table)
    for table in COVERED:
        op.drop_index(f"ix_{table}_workspace_id", table_name=table)
    for column, parent in TAX_TARGETS.items():
        op.drop_constraint(f"fk_order_tax_lines_{column}_{parent}", "order_tax_lines", type_="foreignkey")
        op.drop_index(f"ix_order_tax_lines_{column}", table_name="order_tax_lines")


def downgrade() -> None:
    for column, parent in TAX_TARGETS.items():
        op.create_index(f"ix_order_tax_lines_{column}", "order_tax_lines", [column])
        op.create_foreign_key(
            f"fk_order_tax_lines_{column}_{parent}", "order_tax_lines", parent, [column], ["id"], ondelete="CASCADE"
        )
    for table in COVERED:
        op.create_index(f"ix_{table}_workspace_id", table, ["workspace_id"])
    for table in CHILDREN:
        op.create_index(f"ix_{table}_workspace_id", table, ["workspace_id"])
        op.create_foreign_key(
            f"fk_{table}_workspace_id_workspaces", table, "workspaces", ["workspace_id"], ["id"], ondelete="CASCADE"
        )
