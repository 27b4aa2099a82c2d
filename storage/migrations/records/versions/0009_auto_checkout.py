"""visits.auto_checkout: the departure is the automatic check-out, not a recorded one

A visitor who forgets to check out stayed "on site" for good: on the log, and on the
next day's evacuation list. With kiosk.auto_checkout set, such visits are checked out at
that time of day, and this column says that nobody recorded the departure.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("visits") as batch:
        batch.add_column(
            sa.Column("auto_checkout", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("visits") as batch:
        batch.drop_column("auto_checkout")
