"""outbox.channel, outbox.handled_at, hosts.webhook: notifications by webhook, and
reception's fallback

A host notification is now written by the check-in as one row on channel "host" (to
this host, by whatever reaches them); the sender turns it into one row per channel
("email", "webhook") when it first handles it, so each channel is retried on its own.
Rows written before this revision were e-mails. ``handled_at``: when reception took
over a notification that did not reach its host (phoned them). ``hosts.webhook``: a
host's own webhook, "FORMAT URL" (set by an admin or the directory sync, never by a
visitor; no secret in it).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(
            sa.Column("channel", sa.String(16), nullable=False, server_default="email")
        )
        batch.add_column(
            sa.Column("handled_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("hosts") as batch:
        batch.add_column(sa.Column("webhook", sa.String(600), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("hosts") as batch:
        batch.drop_column("webhook")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("handled_at")
        batch.drop_column("channel")
