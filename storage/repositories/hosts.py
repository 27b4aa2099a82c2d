"""The hosts directory: the hosts of this site, added, edited and imported."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterable, Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kiosk.domain.hosts import DirectoryHost, HostEntry, SyncSummary
from kiosk.domain.text import search_key
from storage.database import Database
from storage.engine import db_errors
from storage.errors import DuplicateName, NotFound
from storage.models import Host
from storage.unit_of_work import UnitOfWork


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


class HostRepository:
    """``name_key``: how visitors' typing compares names; two names equal under it are
    one host to a visitor, who could not choose between them (see refuse_taken_name)."""

    def __init__(self, db: Database, name_key: Callable[[str], str] = search_key) -> None:
        self.db = db
        self.name_key = name_key

    def all(self, *, active_only: bool = True, site_id: uuid.UUID | None = None) -> list[HostEntry]:
        """The site's hosts (or another site's, sharing the database), by name."""
        stmt = select(Host).where(Host.site_id == (site_id or self.db.site_id)).order_by(Host.name)
        if active_only:
            stmt = stmt.where(Host.active.is_(True))
        with db_errors(), self.db.read_session() as s:
            return [
                HostEntry(h.id, h.name, h.email, h.active, h.language, h.webhook)
                for h in s.scalars(stmt)
            ]

    def any_webhook(self) -> bool:
        """Whether an active host of this site has a webhook of their own."""
        stmt = (
            select(Host.id)
            .where(
                Host.site_id == self.db.site_id,
                Host.active.is_(True),
                Host.webhook.is_not(None),
            )
            .limit(1)
        )
        with db_errors(), self.db.read_connection() as conn:
            return conn.execute(stmt).first() is not None

    def names(self, host_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
        """The names of these hosts (of any site, active or not) by id."""
        wanted = set(host_ids)
        if not wanted:
            return {}
        stmt = select(Host.id, Host.name).where(Host.id.in_(wanted))
        with db_errors(), self.db.read_connection() as conn:
            return {host_id: name for host_id, name in conn.execute(stmt)}

    def add(
        self, tx: UnitOfWork, name: str, email: str | None = None, language: str | None = None
    ) -> uuid.UUID:
        """Add a host to this site's directory. Raises DuplicateName when a host already
        has a name equal to it under ``name_key``: a visitor could not choose between the
        two, and neither would be told."""
        host = self._new(tx, name, email, language)
        refuse_taken_name(tx.session, self.db.site_id, name, self.name_key)
        tx.session.add(host)
        tx.session.flush()
        tx.audit("host.add", str(host.id), {"email": email is not None, "language": language})
        return host.id

    def _new(self, tx: UnitOfWork, name: str, email: str | None, language: str | None) -> Host:
        return Host(
            id=uuid.uuid4(),
            site_id=self.db.site_id,
            name=name,
            email=email,
            language=language,
            active=True,
            created_at=tx.now,
        )

    def update(
        self,
        tx: UnitOfWork,
        host_id: uuid.UUID,
        *,
        name: str | None = None,
        email: str | None = None,
        active: bool | None = None,
        language: str | None = None,
        webhook: str | None = None,
    ) -> None:
        """Change what is given; an empty ``email`` removes the address, an empty
        ``language`` puts the host back on the site's, an empty ``webhook`` removes it."""
        values: dict[str, object] = {}
        if webhook is not None:
            values["webhook"] = webhook or None
        if name is not None:
            values["name"] = name
        if email is not None:
            values["email"] = email or None
        if language is not None:
            values["language"] = language or None
        if active is not None:
            values["active"] = active
        s = tx.session
        current = s.scalar(select(Host.name).where(Host.id == host_id)) if name else None
        if (
            name is not None
            and current is not None
            and self.name_key(current) != self.name_key(name)
        ):
            # A new name (fixing one's e-mail works even beside a same-named host).
            refuse_taken_name(s, self.db.site_id, name, self.name_key, except_id=host_id)
        result = s.execute(
            update(Host).where(Host.id == host_id, Host.site_id == self.db.site_id).values(**values)
        )
        if not getattr(result, "rowcount", 0):
            raise NotFound(f"host {host_id} not found")
        tx.audit("host.update", str(host_id), {"fields": sorted(values)})

    def import_many(
        self, tx: UnitOfWork, hosts: list[tuple[str, str | None, str | None]]
    ) -> tuple[int, int]:
        """Add hosts by (name, e-mail, language); a name already in the directory (under
        ``name_key``) is updated, not doubled (an e-mail or language not given keeps the
        one it has). Returns (added, updated)."""
        added = updated = 0
        s = tx.session
        existing = {
            self.name_key(h.name): h
            for h in s.scalars(select(Host).where(Host.site_id == self.db.site_id))
        }
        for name, email, language in hosts:
            found = existing.get(self.name_key(name))
            if found is not None:
                found.email, found.active = email or found.email, True
                found.language = language or found.language
                updated += 1
            else:
                host = self._new(tx, name, email, language)
                s.add(host)
                existing[self.name_key(name)] = host
                added += 1
        s.flush()
        tx.audit("host.import", details={"added": added, "updated": updated})
        return added, updated

    def sync(
        self, tx: UnitOfWork, found: Sequence[DirectoryHost], *, webhooks: bool, unusable: int = 0
    ) -> SyncSummary:
        """Make the site's hosts what the company directory lists: a host is known by
        its directory id (a host added by hand with the same name is taken over); new
        ones are added, changed ones updated (their webhook too when ``webhooks``: the
        sync reads them), those gone deactivated, never deleted (past visits keep their
        host's name); one that comes back (by a new entry of the same name) is active
        again. An entry whose name another
        host has (as visitors' typing compares names) is skipped: visitors could not
        choose between the two. ``unusable``: entries the caller left out (no name),
        counted as read and skipped. Audited with the counts."""
        s = tx.session
        hosts = list(s.scalars(select(Host).where(Host.site_id == self.db.site_id)))
        by_id = {h.directory_id: h for h in hosts if h.directory_id}
        # Taken over by name: a host added by hand, or one whose entry is gone (a person
        # who left and came back has a new entry).
        listed = {entry.directory_id for entry in found}
        by_hand = {
            self.name_key(h.name): h
            for h in hosts
            if not h.directory_id or h.directory_id not in listed
        }
        names = {self.name_key(h.name): h for h in hosts}
        seen: set[str] = set()
        added = changed = skipped = 0
        for entry in found:
            if entry.directory_id in seen:
                continue
            seen.add(entry.directory_id)
            key = self.name_key(entry.name)
            host = by_id.get(entry.directory_id)
            if host is None and key in by_hand:
                host = by_hand.pop(key)
                by_id.pop(host.directory_id or "", None)
                host.directory_id = entry.directory_id
                by_id[entry.directory_id] = host
            if host is None:
                if key in names:
                    skipped += 1
                    continue
                host = self._new(tx, entry.name, entry.email, entry.language)
                host.directory_id = entry.directory_id
                host.webhook = entry.webhook if webhooks else None
                s.add(host)
                names[key] = by_id[entry.directory_id] = host
                added += 1
                continue
            before = (host.name, host.email, host.language, host.webhook, host.active)
            if self.name_key(host.name) != key:
                if key in names and names[key] is not host:
                    skipped += 1  # renamed to a name another host has: keep the old one
                else:
                    names.pop(self.name_key(host.name), None)
                    names[key] = host
                    host.name = entry.name
            elif host.name != entry.name:
                host.name = entry.name  # the same to visitors; spelt as the directory has it
            host.email, host.language, host.active = entry.email, entry.language, True
            if webhooks:
                host.webhook = entry.webhook
            if (host.name, host.email, host.language, host.webhook, host.active) != before:
                changed += 1
        deactivated = 0
        for directory_id, host in by_id.items():
            if directory_id not in seen and host.active:
                host.active = False
                deactivated += 1
        s.flush()
        summary = SyncSummary(
            len(found) + unusable, added, changed, deactivated, skipped + unusable
        )
        tx.audit("hosts.sync", details=dataclasses.asdict(summary))
        return summary
