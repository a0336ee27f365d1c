"""A delivery id keeps the answer it was given: the web's messageId across processes.

A web request retried with the same `messageId` must get the first answer's
body even when another server process answered it; the answer is stored with
the delivery id, in the turn's transaction.

Revision ID: 0005
Revises: 0004
Create Date: 2027-03-01

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("answer", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("answer")
