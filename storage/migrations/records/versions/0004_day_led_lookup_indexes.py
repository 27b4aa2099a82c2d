"""Look-up indexes led by the visit's day; index invitations.used_visit_id

The badge hash and the e-mail and phone blind indexes are random values. Indexed on
their own, each purge batch of old visits touched nearly every page of those indexes and
wrote it to the WAL again: a million-row purge wrote about 6 GB. Led by the day (the
blind indexes by site, then day), old days sit together in each index. The badge hash
stays unique per day (codes are 60 random bits; look-ups search every day present).

Deleting a visit also looks for invitations that used it (ON DELETE SET NULL); without an
index that was a scan of the invitations per deleted visit.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 14:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite keeps the 0001 unique constraint unnamed; this names it for the batch rebuild.
_NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("visits", naming_convention=_NAMING) as batch:
        batch.drop_constraint(
            "uq_visits_badge_hash" if sqlite else "visits_badge_hash_key", type_="unique"
        )
        batch.drop_index("ix_visits_email_bidx")
        batch.drop_index("ix_visits_phone_bidx")
        batch.create_index("ix_visits_day_badge", ["local_day", "badge_hash"], unique=True)
        batch.create_index("ix_visits_day_email", ["site_id", "local_day", "email_bidx"])
        batch.create_index("ix_visits_day_phone", ["site_id", "local_day", "phone_bidx"])
    op.create_index("ix_invitations_used_visit_id", "invitations", ["used_visit_id"])


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.drop_index("ix_invitations_used_visit_id", "invitations")
    with op.batch_alter_table("visits", naming_convention=_NAMING) as batch:
        batch.drop_index("ix_visits_day_phone")
        batch.drop_index("ix_visits_day_email")
        batch.drop_index("ix_visits_day_badge")
        batch.create_index("ix_visits_phone_bidx", ["phone_bidx"])
        batch.create_index("ix_visits_email_bidx", ["email_bidx"])
        batch.create_unique_constraint(
            "uq_visits_badge_hash" if sqlite else "visits_badge_hash_key", ["badge_hash"]
        )
