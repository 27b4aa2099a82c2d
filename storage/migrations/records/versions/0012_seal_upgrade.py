"""visits.seal_mac, and seal_upgrade: rows written before their columns were sealed

visits.seal_mac seals a visit's columns that lists do not show (storage.sealing); the
others are sealed in its envelope's associated data.

Every column of a visit outside its envelope (and of an NDA acceptance and an
invitation outside theirs) is now covered by the ciphertext's authentication
(storage.sealing). Rows written before carry ciphertexts without that seal; a migration
cannot seal them (it has no keys), so it leaves a mark here when there are any, and the
first start with the master key seals them and removes the mark (storage.reseal). Until
then they would read as failing their integrity check.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 01:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("visits") as batch:
        batch.add_column(sa.Column("seal_mac", sa.LargeBinary(32), nullable=True))
    op.create_table("seal_upgrade", sa.Column("id", sa.Integer(), primary_key=True))
    op.execute(
        "INSERT INTO seal_upgrade (id) SELECT 1 WHERE EXISTS (SELECT 1 FROM visits) "
        "OR EXISTS (SELECT 1 FROM nda_acceptances) OR EXISTS (SELECT 1 FROM invitations)"
    )


def downgrade() -> None:
    op.drop_table("seal_upgrade")
    with op.batch_alter_table("visits") as batch:
        batch.drop_column("seal_mac")
