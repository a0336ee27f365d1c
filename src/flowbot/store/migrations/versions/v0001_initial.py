"""Initial schema: conversations, transcript, payload_keys.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("bot_id", sa.String, nullable=False),
        sa.Column("channel", sa.String, nullable=False),
        sa.Column("user_key", sa.String, nullable=False),
        sa.Column("token", sa.String, nullable=False),
        sa.Column("state", sa.Text, nullable=True),
        sa.Column("version", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_seq", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("bot_id", "channel", "user_key", name="uq_conversations_user"),
    )
    op.create_index("ix_conversations_bot_updated", "conversations", ["bot_id", "updated_at"])
    op.create_table(
        "transcript",
        sa.Column(
            "conversation_id",
            sa.String(64),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "payload_keys",
        sa.Column("key", sa.String, primary_key=True),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("payload_keys")
    op.drop_table("transcript")
    op.drop_index("ix_conversations_bot_updated", table_name="conversations")
    op.drop_table("conversations")
