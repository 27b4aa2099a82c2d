"""visit_seal_upgrade: visits written before their columns were sealed, to seal once

Every column of a visit outside its envelope is now covered by the envelope's
authentication (storage.sealing). Rows written before carry envelopes without that
seal; a migration cannot seal them (it has no keys), so it leaves a mark here when
there are any, and the first start with the master key seals them and removes the mark
(storage.open). Until then they would read as failing their integrity check.

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
    op.create_table("visit_seal_upgrade", sa.Column("id", sa.Integer(), primary_key=True))
    op.execute("INSERT INTO visit_seal_upgrade (id) SELECT 1 WHERE EXISTS (SELECT 1 FROM visits)")


def downgrade() -> None:
    op.drop_table("visit_seal_upgrade")
