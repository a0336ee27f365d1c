"""Messenger channels: payload keys renewed on every store, remembered deliveries.

Also drops the conversations a failed first turn left behind (version 0, no
state): from here on a conversation is created with its first turn, and such
a row would hand its token to whoever asked for its user key first.

The payload_keys table of 0001 was never written by a released flowbot (no
channel used it), so it is recreated with `stored_at` instead of being
altered, which SQLite could only do by copying it anyway.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM conversations WHERE version = 0 AND state IS NULL")
    op.drop_table("payload_keys")
    op.create_table(
        "payload_keys",
        sa.Column("key", sa.String, primary_key=True),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_payload_keys_stored_at", "payload_keys", ["stored_at"])
    op.create_table(
        "deliveries",
        sa.Column("key", sa.String, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_deliveries_at", "deliveries", ["at"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_at", table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_index("ix_payload_keys_stored_at", table_name="payload_keys")
    op.drop_table("payload_keys")
    op.create_table(
        "payload_keys",
        sa.Column("key", sa.String, primary_key=True),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
