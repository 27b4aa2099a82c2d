"""Sites sharing one database (several lobbies or offices on PostgreSQL)."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from storage.database import Database
from storage.engine import db_errors
from storage.errors import NotFound
from storage.models import Site


class SiteRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    def named(self, name: str) -> uuid.UUID:
        """The id of a site sharing this database."""
        with db_errors(), self.db.read_session() as s:
            found = s.scalar(select(Site.id).where(Site.name == name))
        if found is None:
            raise NotFound(f"no site named {name!r} in this database")
        return found
