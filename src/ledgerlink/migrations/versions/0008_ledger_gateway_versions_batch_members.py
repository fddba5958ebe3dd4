"""ledger: which version of each gateway document the books stand for; batch period members

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 00:10:00.000000

`ledger_gateway_versions` lets the gateway job (books/gateway_job.py) find rows changed since they
were posted (a fee corrected, a dispute won) instead of only rows never posted. `ledger_batch_members`
holds, for integrations with a batch period (seed 003), what each order or refund contributes to its
period's summarised entry now (`staged`) and what posted batch entries already hold of it (`posted`);
books/batching.py posts the difference once the period has closed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _workspace_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["workspace_id"], ["workspaces.id"], name=f"fk_{table}_workspace_id_workspaces", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "ledger_gateway_versions",
        sa.Column("integration_id", sa.String(length=40), nullable=False),
        sa.Column("source_kind", sa.String(length=30), nullable=False),
        sa.Column("source_external_id", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        _workspace_fk("ledger_gateway_versions"),
        sa.PrimaryKeyConstraint(
            "integration_id", "source_kind", "source_external_id", name="pk_ledger_gateway_versions"
        ),
    )
    op.create_index(
        "ix_ledger_gateway_versions_workspace_id", "ledger_gateway_versions", ["workspace_id"], unique=False
    )
    op.create_table(
        "ledger_batch_members",
        sa.Column("integration_id", sa.String(length=40), nullable=False),
        sa.Column("source_kind", sa.String(length=30), nullable=False),
        sa.Column("source_external_id", sa.String(length=255), nullable=False),
        sa.Column("batch_key", sa.String(length=255), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("base_currency", sa.String(length=3), nullable=True),
        sa.Column("base_rate", sa.Numeric(), nullable=True),
        sa.Column("staged", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("staged_version", sa.String(length=80), nullable=False),
        sa.Column("posted", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("posted_version", sa.String(length=80), nullable=True),
        sa.Column("entry_id", sa.String(length=40), nullable=True),
        sa.Column("event_id", sa.String(length=40), nullable=True),
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name="ck_ledger_batch_members_currency_iso4217"),
        sa.CheckConstraint("period IN ('daily', 'weekly', 'monthly')", name="ck_ledger_batch_members_period"),
        _workspace_fk("ledger_batch_members"),
        sa.PrimaryKeyConstraint(
            "integration_id", "source_kind", "source_external_id", "batch_key", name="pk_ledger_batch_members"
        ),
    )
    op.create_index("ix_ledger_batch_members_workspace_id", "ledger_batch_members", ["workspace_id"], unique=False)
    # What the batch job looks for: members whose contribution changed since posted, by period end.
    op.create_index(
        "ix_ledger_batch_members_due",
        "ledger_batch_members",
        ["period_end", "integration_id", "batch_key"],
        unique=False,
        postgresql_where=sa.text("posted_version IS DISTINCT FROM staged_version"),
    )


def downgrade() -> None:
    op.drop_index("ix_ledger_batch_members_due", table_name="ledger_batch_members")
    op.drop_index("ix_ledger_batch_members_workspace_id", table_name="ledger_batch_members")
    op.drop_table("ledger_batch_members")
    op.drop_index("ix_ledger_gateway_versions_workspace_id", table_name="ledger_gateway_versions")
    op.drop_table("ledger_gateway_versions")
