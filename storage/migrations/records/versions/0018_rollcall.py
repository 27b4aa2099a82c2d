"""rollcalls, rollcall_people: an evacuation roll call and its marks

A roll call lists everyone on site when it started (a row per person: their visit, or
only its id for a record that could not be read); marshals mark each safe (when, by
whom), several at once: a mark is set once, by a conditional update. The rows hold no
personal data; names are read from the visits. A roll call's people go with their
visits (the report is for security to export while the visits are held).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 04:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rollcalls",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("started_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_by", sa.String(64), nullable=False),
        sa.Column("ended_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(64), nullable=True),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rollcalls_site_id", "rollcalls", ["site_id"])
    op.create_table(
        "rollcall_people",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("rollcall_id", sa.Uuid(), nullable=False),
        sa.Column("visit_id", sa.Uuid(), nullable=True),
        sa.Column("record", sa.String(64), nullable=True),
        sa.Column("marked_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("marked_by", sa.String(64), nullable=True),
        sa.ForeignKeyConstraint(["rollcall_id"], ["rollcalls.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rollcall_people_rollcall_id", "rollcall_people", ["rollcall_id"])
    op.create_index("ix_rollcall_people_visit_id", "rollcall_people", ["visit_id"])


def downgrade() -> None:
    op.drop_table("rollcall_people")
    op.drop_table("rollcalls")
