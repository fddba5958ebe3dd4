"""Procrastinate's job-queue schema, from the installed procrastinate version

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op
from procrastinate.schema import SchemaManager

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Executed through the driver directly: the schema holds PL/pgSQL with '%' that must not be
    # taken for parameter markers.
    driver_connection = op.get_bind().connection.driver_connection
    driver_connection.execute(SchemaManager.get_schema())


def downgrade() -> None:
    raise RuntimeError("the job-queue schema is not removed by a downgrade")
