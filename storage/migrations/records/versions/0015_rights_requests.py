"""rights_requests: the register of visitors' rights requests

What a visitor asked (access, rectification, erasure, restriction, objection,
portability, withdrawal of consent), how and when it came in, when the answer is due (a
month, once extendable by up to two with a reason), how it ended, and what was done for
it. The person's contact, reasons, notes and actions are sealed in personal_ct under a
data key of the new "request" category; the blind indexes find a person's requests.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 01:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rights_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("key_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("received_on", storage.types.IsoDate(), nullable=False),
        sa.Column("due_on", storage.types.IsoDate(), nullable=False),
        sa.Column("extended_months", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("closed_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("email_bidx", sa.BigInteger(), nullable=True),
        sa.Column("phone_bidx", sa.BigInteger(), nullable=True),
        sa.Column("personal_ct", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rights_requests_created_at", "rights_requests", ["created_at"])
    op.create_index("ix_rights_requests_closed_at", "rights_requests", ["closed_at"])
    op.create_index("ix_requests_email", "rights_requests", ["site_id", "email_bidx"])
    op.create_index("ix_requests_phone", "rights_requests", ["site_id", "phone_bidx"])
    op.create_index("ix_requests_open", "rights_requests", ["site_id", "status", "due_on"])


def downgrade() -> None:
    op.drop_table("rights_requests")
