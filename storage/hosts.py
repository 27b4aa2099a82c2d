"""The hosts directory: edits and bulk import (the Store lists and adds hosts)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select, update

from storage import audit
from storage.engine import db_errors
from storage.errors import NotFound
from storage.models import Host
from storage.store import Store


class HostDirectory:
    def __init__(self, store: Store) -> None:
        self.store = store

    def update(
        self,
        host_id: uuid.UUID,
        *,
        actor: str,
        name: str | None = None,
        email: str | None = None,
        active: bool | None = None,
        language: str | None = None,
    ) -> None:
        """Change what is given; an empty ``email`` removes the address, an empty
        ``language`` puts the host back on the site's."""
        values: dict[str, object] = {}
        if name is not None:
            values["name"] = name
        if email is not None:
            values["email"] = email or None
        if language is not None:
            values["language"] = language or None
        if active is not None:
            values["active"] = active
        with db_errors(), self.store.write_session() as s, s.begin():
            result = s.execute(
                update(Host)
                .where(Host.id == host_id, Host.site_id == self.store.site_id)
                .values(**values)
            )
            if not getattr(result, "rowcount", 0):
                raise NotFound(f"host {host_id} not found")
            audit.append(
                s,
                self.store.audit_key,
                at=datetime.now(UTC),
                actor=actor,
                action="host.update",
                object_id=str(host_id),
                details={"fields": sorted(values)},
            )

        self.store.sync_checkpoint()

    def import_many(
        self, hosts: list[tuple[str, str | None, str | None]], *, actor: str
    ) -> tuple[int, int]:
        """Add hosts by (name, e-mail, language) in one transaction; a name already in
        the directory is updated, not doubled (an e-mail or language not given keeps the
        one it has). Returns (added, updated)."""
        added = updated = 0
        now = datetime.now(UTC)
        with db_errors(), self.store.write_session() as s, s.begin():
            existing = {
                h.name.casefold(): h
                for h in s.scalars(select(Host).where(Host.site_id == self.store.site_id))
            }
            for name, email, language in hosts:
                found = existing.get(name.casefold())
                if found is not None:
                    found.email, found.active = email or found.email, True
                    found.language = language or found.language
                    updated += 1
                else:
                    host = Host(
                        id=uuid.uuid4(),
                        site_id=self.store.site_id,
                        name=name,
                        email=email,
                        language=language,
                        active=True,
                        created_at=now,
                    )
                    s.add(host)
                    existing[name.casefold()] = host
                    added += 1
            s.flush()
            audit.append(
                s,
                self.store.audit_key,
                at=now,
                actor=actor,
                action="host.import",
                details={"added": added, "updated": updated},
            )
        self.store.sync_checkpoint()
        return added, updated
