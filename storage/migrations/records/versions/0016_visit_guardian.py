"""visits.guardian_ct: the parent or guardian of an under-16 visitor

An under-16 visitor checks in only with a parent or guardian, who consents for them and
signs the NDA. The guardian's name is sealed under the visit's data key (shredded with
it); NULL for every other visit.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 03:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("visits") as batch:
        batch.add_column(sa.Column("guardian_ct", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("visits") as batch:
        batch.drop_column("guardian_ct")
