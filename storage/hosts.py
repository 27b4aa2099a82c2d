"""The hosts directory: edits and bulk import (the Store lists and adds hosts)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage import audit
from storage.engine import db_errors
from storage.errors import DuplicateName, NotFound
from storage.models import Host

if TYPE_CHECKING:  # the Store imports refuse_taken_name from here
    from storage.store import Store


def refuse_taken_name(
    session: Session,
    site_id: uuid.UUID,
    name: str,
    name_key: Callable[[str], str],
    *,
    except_id: uuid.UUID | None = None,
) -> None:
    """Raise DuplicateName if another host of the site (active or not: it may come back)
    has a name equal to ``name`` under ``name_key``."""
    wanted = name_key(name)
    rows = session.execute(select(Host.id, Host.name, Host.active).where(Host.site_id == site_id))
    for host_id, other, active in rows:
        if host_id != except_id and name_key(other) == wanted:
            raise DuplicateName(host_id, active)


class HostDirectory:
    def __init__(self, store: Store, name_key: Callable[[str], str] = str.casefold) -> None:
        self.store = store
        self.name_key = name_key  # names equal under it are one host (see refuse_taken_name)

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
            current = s.scalar(select(Host.name).where(Host.id == host_id)) if name else None
            if (
                name is not None
                and current is not None
                and (self.name_key(current) != self.name_key(name))
            ):  # a new name (fixing one's e-mail works even beside a same-named host)
                refuse_taken_name(s, self.store.site_id, name, self.name_key, except_id=host_id)
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
        the directory (under ``name_key``) is updated, not doubled (an e-mail or language
        not given keeps the one it has). Returns (added, updated)."""
        added = updated = 0
        now = datetime.now(UTC)
        with db_errors(), self.store.write_session() as s, s.begin():
            existing = {
                self.name_key(h.name): h
                for h in s.scalars(select(Host).where(Host.site_id == self.store.site_id))
            }
            for name, email, language in hosts:
                found = existing.get(self.name_key(name))
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
                    existing[self.name_key(name)] = host
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
