"""nda_acceptances: the signer's contact, encrypted, and its blind indexes

An NDA acceptance is kept two years, its visit a month: once the visit was purged, a
rights request (found by e-mail or phone) could reach the acceptance no more, neither to
hand it over nor to erase it. A new acceptance carries the signer's e-mail and phone,
sealed under the NDA's own key (shredded with it), and their blind indexes, so it is
found without its visit; a candidate the truncated index finds is confirmed against the
decrypted contact. Acceptances signed before this keep neither (their contact was never
stored with them): they are found through their visit while it exists.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("nda_acceptances") as batch:
        batch.add_column(sa.Column("email_bidx", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("phone_bidx", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("contact_ct", sa.LargeBinary(), nullable=True))
    op.create_index("ix_nda_email", "nda_acceptances", ["site_id", "email_bidx"])
    op.create_index("ix_nda_phone", "nda_acceptances", ["site_id", "phone_bidx"])


def downgrade() -> None:
    op.drop_index("ix_nda_phone", table_name="nda_acceptances")
    op.drop_index("ix_nda_email", table_name="nda_acceptances")
    with op.batch_alter_table("nda_acceptances") as batch:
        batch.drop_column("contact_ct")
        batch.drop_column("phone_bidx")
        batch.drop_column("email_bidx")
