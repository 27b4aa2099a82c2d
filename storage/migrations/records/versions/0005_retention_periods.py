"""retention_periods: the periods an admin set, shared by every machine on the database

Before, each machine purged by its own settings file, so on a shared database the
shortest period of any machine applied to all, and a machine's privacy notice could
state a longer one.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "retention_periods",
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("changed_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("category"),
    )


def downgrade() -> None:
    op.drop_table("retention_periods")
