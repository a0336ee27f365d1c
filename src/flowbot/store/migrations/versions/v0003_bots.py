"""Bots imported through the API: the bots table.

A bot imported under an id the config does not name (or one imported so
before) has no file to be written to; its CLOSER JSON is kept here and loaded
at start-up.

Revision ID: 0003
Revises: 0002
Create Date: 2027-01-15

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bots",
        sa.Column("bot_id", sa.String(100), primary_key=True),
        sa.Column("bot", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("bots")
