"""Webhook events through a durable outbox: the outbox table.

A turn's events are written here in the turn's own transaction, and each
server process's relay (flowbot.events) claims and sends them, so an event
outlives the process that emitted it.

Revision ID: 0004
Revises: 0003
Create Date: 2027-02-01

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("webhook", sa.String, nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("event", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(9), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String, nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
    )
    op.create_index("ix_outbox_claim", "outbox", ["webhook", "status", "seq"])
    op.create_index("ix_outbox_done", "outbox", ["status", "done_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_done", table_name="outbox")
    op.drop_index("ix_outbox_claim", table_name="outbox")
    op.drop_table("outbox")
