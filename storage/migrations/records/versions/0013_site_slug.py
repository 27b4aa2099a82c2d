"""sites.slug: a site's stable identifier, so that its display name can change

Before, a site was found by its display name: changing site_name in the config started
an empty site (no hosts, nobody on site). The slug is made once from the name (lower
case, ASCII, hyphens; a number added when two names give the same slug) and never
changes; the name becomes a label that a config change renames (storage.sites).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 21:40:00
"""

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _slug(name: str) -> str:
    # The same rule as kiosk.domain.sites.slugify, frozen here as migrations must be.
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:48] or "site"


def upgrade() -> None:
    with op.batch_alter_table("sites") as batch:
        batch.add_column(sa.Column("slug", sa.String(length=63), nullable=True))
    bind = op.get_bind()
    taken: set[str] = set()
    rows = bind.execute(sa.text("SELECT id, name FROM sites ORDER BY created_at")).all()
    for site_id, name in rows:
        base = slug = _slug(name)
        n = 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        taken.add(slug)
        bind.execute(
            sa.text("UPDATE sites SET slug = :slug WHERE id = :id"), {"slug": slug, "id": site_id}
        )
    with op.batch_alter_table("sites") as batch:
        batch.alter_column("slug", existing_type=sa.String(length=63), nullable=False)
        batch.create_unique_constraint("uq_sites_slug", ["slug"])


def downgrade() -> None:
    with op.batch_alter_table("sites") as batch:
        batch.drop_constraint("uq_sites_slug", type_="unique")
        batch.drop_column("slug")
