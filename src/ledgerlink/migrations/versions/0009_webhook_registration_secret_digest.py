"""webhook registrations: a digest of the secret each hook was made with

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 00:30:00.000000

Where the hub chooses the secret that signs an upstream's deliveries (WooCommerce), changing it in the
integration's credentials left every hook upstream signing with the old one, and every delivery then
failed verification. `secret_digest` records which secret each hook was made or last updated with (a
salted scrypt digest, never the secret), so the update path and the periodic health check find the hooks
that still sign with an old secret and bring them up to date. Existing rows start unknown (NULL), which
the health check treats as out of date: the hooks are handed the current secret once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("webhook_registrations", sa.Column("secret_digest", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("webhook_registrations", "secret_digest")
