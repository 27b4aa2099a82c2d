"""watchlist, watchlist_alerts: people the office must not let in unannounced

An entry's e-mail, phone, name and reason are sealed in entry_ct under a data key of the
"watchlist" category for the day it expires (shredded the day after); blind indexes of
the e-mail, phone and normalised name find candidates at check-in, each confirmed by
decrypting the entry. An alert is a check-in that matched: the visit and the entry, and
when reception acknowledged it; it goes with its visit.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "watchlist",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("key_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_on", storage.types.IsoDate(), nullable=False),
        sa.Column("email_bidx", sa.BigInteger(), nullable=True),
        sa.Column("phone_bidx", sa.BigInteger(), nullable=True),
        sa.Column("name_bidx", sa.BigInteger(), nullable=True),
        sa.Column("entry_ct", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_watchlist_expires_on", "watchlist", ["expires_on"])
    for column in ("email_bidx", "phone_bidx", "name_bidx"):
        op.create_index(f"ix_watchlist_{column}", "watchlist", [column])
    op.create_table(
        "watchlist_alerts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("visit_id", sa.Uuid(), nullable=False),
        sa.Column("entry_id", sa.Uuid(), nullable=True),
        sa.Column("acknowledged_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(64), nullable=True),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"]),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["entry_id"], ["watchlist.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_watchlist_alerts_visit_id", "watchlist_alerts", ["visit_id"])
    op.create_index("ix_watchlist_alerts_entry_id", "watchlist_alerts", ["entry_id"])
    op.create_index("ix_watchlist_alerts_open", "watchlist_alerts", ["site_id", "acknowledged_at"])


def downgrade() -> None:
    op.drop_table("watchlist_alerts")
    op.drop_table("watchlist")
