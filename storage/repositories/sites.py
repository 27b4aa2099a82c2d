"""Sites sharing one database (several lobbies or offices on PostgreSQL)."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update

from storage.database import Database
from storage.engine import db_errors
from storage.errors import NotFound
from storage.models import Site
from storage.sites import SiteInfo, list_sites, visit_counts


class SiteRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    def named(self, name: str) -> uuid.UUID:
        """The id of a site sharing this database, by its id (slug) or display name."""
        with db_errors(), self.db.read_session() as s:
            found = s.scalar(select(Site.id).where((Site.slug == name) | (Site.name == name)))
        if found is None:
            raise NotFound(f"no site {name!r} in this database (see: kiosk site list)")
        return found

    def all(self) -> list[SiteInfo]:
        with db_errors():
            return list_sites(self.db.engine)

    def visit_counts(self) -> dict[uuid.UUID, int]:
        with db_errors():
            return visit_counts(self.db.engine)

    def audit_added(self, site_id: uuid.UUID) -> None:
        with self.db.uow("system") as tx:
            tx.audit("site.add", str(site_id))

    def rename(self, site_id: uuid.UUID, name: str) -> None:
        """Give a site a new display name (the config's site_name changed), audited."""
        with self.db.uow("system") as tx:
            tx.session.execute(update(Site).where(Site.id == site_id).values(name=name))
            tx.audit("site.rename", str(site_id))
