"""The studio: bot versions, and what each turn ran (for the statistics).

- `bot_versions`: every bot saved through the API (PUT, rollback, flow
  import), numbered per bot, with its CLOSER JSON as exported and the
  revision (sha256 of the canonical JSON) the editor's If-Match names.
- `transcript.trace`: on a turn's "in" row, the compact trace of the turn
  (the nodes it ran and the edges it followed, `flowbot.studio.traces`);
  null on other rows and on turns saved before. One more value in the
  INSERT the turn already makes.

Revision ID: 0006
Revises: 0005
Create Date: 2027-03-15

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("transcript") as batch:
        batch.add_column(sa.Column("trace", sa.Text, nullable=True))
    op.create_table(
        "bot_versions",
        sa.Column("bot_id", sa.String(100), primary_key=True),
        sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.String(64), nullable=False),
        sa.Column("flows", sa.Integer, nullable=False),
        sa.Column("nodes", sa.Integer, nullable=False),
        sa.Column("bot", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("bot_versions")
    with op.batch_alter_table("transcript") as batch:
        batch.drop_column("trace")
