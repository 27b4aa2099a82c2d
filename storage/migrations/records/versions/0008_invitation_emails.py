"""outbox.invitation_id: an invitation e-mailed to the expected visitor

The outbox held host notifications only. An invitation's e-mail is tied to the
invitation, and deleted with it (a rights erasure, or its expiry).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("invitation_id", sa.Uuid(), nullable=True))
        batch.create_index("ix_outbox_invitation_id", ["invitation_id"])
        batch.create_foreign_key(
            "fk_outbox_invitation_id_invitations",
            "invitations",
            ["invitation_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint("fk_outbox_invitation_id_invitations", type_="foreignkey")
        batch.drop_index("ix_outbox_invitation_id")
        batch.drop_column("invitation_id")
