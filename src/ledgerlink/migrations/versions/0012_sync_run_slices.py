"""sync runs: slices, so that several workers share one large run

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 10:40:00.000000

A run was read and written by one worker, whatever its size: a first sync of a large store used one
core of one machine while the others idled. A large run is now cut into slices, ranges of the
upstream's updated-at, each with its own resume token; any worker holding a slice reads and writes it,
and whoever completes the last one finishes the run (sync/slices.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_run_slices",
        sa.Column("sync_run_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("token", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("taken_by", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["sync_run_id"], ["sync_runs.id"], name=op.f("fk_sync_run_slices_sync_run_id_sync_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("sync_run_id", "position", name=op.f("pk_sync_run_slices")),
    )


def downgrade() -> None:
    op.drop_table("sync_run_slices")
