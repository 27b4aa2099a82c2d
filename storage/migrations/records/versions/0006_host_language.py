"""hosts.language: the language of the e-mails a host gets

Before, every host of a site got their arrival e-mails in notify.language; an office
with English- and Dutch-speaking staff could not serve both. NULL keeps the site's.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 03:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("hosts") as batch:
        batch.add_column(sa.Column("language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("hosts") as batch:
        batch.drop_column("language")
