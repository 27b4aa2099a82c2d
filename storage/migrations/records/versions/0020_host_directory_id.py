"""hosts.directory_id: the host's entry in the company directory (LDAP)

What stays the same when a person is renamed in the directory (entryUUID in OpenLDAP,
objectGUID in Active Directory): `kiosk hosts sync` finds the host by it, updates their
name, address, language and webhook, and deactivates a host whose entry is gone. NULL
for hosts added by hand.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("hosts") as batch:
        batch.add_column(sa.Column("directory_id", sa.String(128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("hosts") as batch:
        batch.drop_column("directory_id")
