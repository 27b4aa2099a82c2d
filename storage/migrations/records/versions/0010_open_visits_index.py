"""A partial index of the visits still open (no departure), by site and day

Several reads look only for visits nobody checked out: the automatic check-out (every
few minutes, over the last days), `kiosk status` (open visits of earlier days) and the
console's count of them. Without an index each read looked up the departure of every
visit of the days it covered: 80 ms over 150,000 visits, growing with retention. The
index holds only the open visits, a few per day once they are checked out, so those
reads cost what the open visits cost.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 20:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = sa.text("departed_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_visits_open",
        "visits",
        ["site_id", "local_day"],
        sqlite_where=_OPEN,
        postgresql_where=_OPEN,
    )


def downgrade() -> None:
    op.drop_index("ix_visits_open", "visits")
