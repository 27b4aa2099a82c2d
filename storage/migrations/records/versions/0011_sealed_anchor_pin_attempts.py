"""audit_anchor.mac, and PIN failures counted per name and terminal in pin_attempts

The purge anchor (where the audit chain starts after old events were purged) was a bare
(seq, hash): anyone who could write to the database could copy the newest event's hash
into it and delete every event, and the trail still verified. It is now sealed with a
MAC keyed from the master key; an anchor without a valid seal fails verification.

PIN failures were two columns of the account, read before the PIN was checked: parallel
guesses each read the same count, and a lobby visitor's wrong PINs locked the account at
the reception console too. They now live in pin_attempts, one row per (keyed hash of the
name typed, terminal kind: lobby or console), raised by one atomic statement before the
PIN is checked; names that are no account get rows too, so they answer alike.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 01:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_anchor") as batch:
        batch.add_column(sa.Column("mac", sa.LargeBinary(32), nullable=True))
    op.create_table(
        "pin_attempts",
        sa.Column("name_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("scope", sa.String(8), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name_hash", "scope"),
    )
    with op.batch_alter_table("staff_accounts") as batch:
        batch.drop_column("failed_attempts")
        batch.drop_column("locked_until")


def downgrade() -> None:
    with op.batch_alter_table("staff_accounts") as batch:
        batch.add_column(
            sa.Column("failed_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("locked_until", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
    op.drop_table("pin_attempts")
    with op.batch_alter_table("audit_anchor") as batch:
        batch.drop_column("mac")
