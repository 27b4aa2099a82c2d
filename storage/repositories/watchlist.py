"""The watchlist (kiosk.domain.watchlist), encrypted: each entry's e-mail, phone, name,
reason and author sealed under a watchlist key of the day it expires; its blind indexes
(e-mail, phone, normalised name) in columns. Check-ins look candidates up in a cached
copy of the entries as stored (no query), then decrypt and confirm.
Every change and every match is audited with ids only."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select, update

from kiosk.domain.codes import names_record
from kiosk.domain.notifications import WATCH_ALERT
from kiosk.domain.retention import Category
from kiosk.domain.watchlist import NewWatchEntry, WatchEntry, matches
from storage.codec import seal, unseal
from storage.database import Database
from storage.engine import db_errors
from storage.errors import KeyDestroyed, NotFound, RecordTampered
from storage.ids import time_ordered_id
from storage.models import OutboxMessage, WatchlistAlert, WatchlistEntry
from storage.repositories.outbox import message_row
from storage.unit_of_work import UnitOfWork

TABLE, COLUMN = "watchlist", "entry"
INDEXES_FRESH_S = 30.0
"""How long a process trusts its copy of the entries (as stored: sealed): an entry added
by another process (the command line, another desk) is matched within this time; one
added or removed here, at once."""


def _seal_text(row: dict[str, Any]) -> str:
    """An entry's columns its ciphertext is bound to: moved onto other indexes or another
    expiry day, it no longer opens."""
    return "\x1f".join(
        str(row[c]) for c in ("site_id", "expires_on", "email_bidx", "phone_bidx", "name_bidx")
    )


_ROW = ("id", "site_id", "key_id", "created_at", "expires_on", "email_bidx", "phone_bidx",
        "name_bidx", "entry_ct")  # fmt: skip


@dataclass
class _Cached:
    """A process's copy of the entries as stored, by blind index."""

    read_at: float
    email: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    phone: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    name: dict[int, list[dict[str, Any]]] = field(default_factory=dict)


class WatchlistRepository:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._indexes: _Cached | None = None

    def _forget_indexes(self) -> None:
        self._indexes = None

    # -- changes ----------------------------------------------------------------------

    def add(self, tx: UnitOfWork, entry: NewWatchEntry) -> uuid.UUID:
        """A checked entry (kiosk.domain.watchlist.checked), added by ``tx``'s actor."""
        db = self.db
        key_id, aead = db.keystore.key_for_day(db.site_id, Category.WATCHLIST, entry.expires_on)
        row: dict[str, Any] = dict(
            id=time_ordered_id(tx.now),
            site_id=db.site_id,
            key_id=key_id,
            created_at=tx.now,
            expires_on=entry.expires_on,
            email_bidx=db.email_index(entry.email) if entry.email else None,
            phone_bidx=db.phone_index(entry.phone) if entry.phone else None,
            name_bidx=db.name_index(entry.name) if entry.name else None,
        )
        sealed = {
            "email": entry.email,
            "phone": entry.phone,
            "name": entry.name,
            "reason": entry.reason,
            "added_by": tx.actor,
        }
        text = json.dumps(sealed, ensure_ascii=False)
        row["entry_ct"] = seal(aead, TABLE, COLUMN, row["id"], key_id, text, sealed=_seal_text(row))
        tx.session.add(WatchlistEntry(**row))
        on = [k for k in ("email", "phone", "name") if sealed[k]]
        tx.audit(
            "watchlist.add",
            str(row["id"]),
            {"expires_on": entry.expires_on.isoformat(), "matches_on": on},
        )
        tx.after_commit(self._forget_indexes)
        return uuid.UUID(str(row["id"]))

    def remove(self, tx: UnitOfWork, ref: str) -> uuid.UUID:
        """Remove the entry ``ref`` names (kiosk.domain.codes.names_record)."""
        entry_id = self._find_id(ref)
        tx.session.execute(delete(WatchlistEntry).where(WatchlistEntry.id == entry_id))
        tx.audit("watchlist.remove", str(entry_id))
        tx.after_commit(self._forget_indexes)
        return entry_id

    def _find_id(self, ref: str) -> uuid.UUID:
        with db_errors(), self.db.read_connection() as conn:
            ids = conn.execute(
                select(WatchlistEntry.id).where(WatchlistEntry.site_id == self.db.site_id)
            ).scalars()
            found = [i for i in ids if names_record(ref, i)]
        if len(found) != 1:
            raise NotFound(f"no single watchlist entry {ref!r}")
        return found[0]

    # -- reading ----------------------------------------------------------------------

    def _entry(self, row: WatchlistEntry) -> WatchEntry:
        """Decrypted; KeyDestroyed or RecordTampered when it cannot be."""
        return self._entry_of({c: getattr(row, c) for c in _ROW})

    def _entry_of(self, row: dict[str, Any]) -> WatchEntry:
        aead = self.db.keystore.key_by_id(row["key_id"])
        text = unseal(aead, TABLE, COLUMN, row["id"], row["key_id"], row["entry_ct"],
                      sealed=_seal_text(row))  # fmt: skip
        p = json.loads(text or "{}")
        return WatchEntry(
            row["id"], row["created_at"], row["expires_on"], p.get("email"), p.get("phone"),
            p.get("name"), p.get("reason", ""), p.get("added_by", ""),
        )  # fmt: skip

    def all(self, today: date) -> list[WatchEntry]:
        """This site's entries in force (expiring today or later), soonest to expire
        first; one that cannot be read is left out."""
        with db_errors(), self.db.read_session() as s:
            rows = s.scalars(
                select(WatchlistEntry)
                .where(
                    WatchlistEntry.site_id == self.db.site_id,
                    WatchlistEntry.expires_on >= today,
                )
                .order_by(WatchlistEntry.expires_on, WatchlistEntry.created_at)
            )
            found = []
            for row in rows:
                try:
                    found.append(self._entry(row))
                except (KeyDestroyed, RecordTampered):
                    continue
        return found

    def _cached(self) -> _Cached:
        """This site's entries as stored (ciphertexts: no readable list), by each blind
        index; read again when older than INDEXES_FRESH_S."""
        held = self._indexes
        if held is None or time.monotonic() - held.read_at > INDEXES_FRESH_S:
            with db_errors(), self.db.read_connection() as conn:
                rows = conn.execute(
                    select(*(getattr(WatchlistEntry, c) for c in _ROW)).where(
                        WatchlistEntry.site_id == self.db.site_id
                    )
                ).all()
            held = _Cached(time.monotonic())
            for found in rows:
                row = dict(zip(_ROW, found, strict=True))
                for column, by in (("email_bidx", held.email), ("phone_bidx", held.phone),
                                   ("name_bidx", held.name)):  # fmt: skip
                    if row[column] is not None:
                        by.setdefault(row[column], []).append(row)
            self._indexes = held
        return held

    def matching(
        self, email: str | None, phone: str | None, name: str | None, today: date
    ) -> list[WatchEntry]:
        """The entries in force this visitor is the person of. Their blind indexes are
        looked up in the cached entries (nothing more for almost everyone); a candidate
        is decrypted and confirmed, so someone sharing only a truncated index is never
        matched. No query: a check-in pays a few dictionary look-ups."""
        cached = self._cached()
        db = self.db
        candidates: dict[uuid.UUID, dict[str, Any]] = {}
        if email and cached.email:
            for row in cached.email.get(db.email_index(email), ()):
                candidates[row["id"]] = row
        if phone and cached.phone:
            for row in cached.phone.get(db.phone_index(phone), ()):
                candidates[row["id"]] = row
        if name and cached.name:
            for row in cached.name.get(db.name_index(name), ()):
                candidates[row["id"]] = row
        found = []
        for row in candidates.values():
            if row["expires_on"] < today:
                continue
            try:
                entry = self._entry_of(row)
            except (KeyDestroyed, RecordTampered):
                continue
            if matches(entry, email, phone, name):
                found.append(entry)
        return sorted(found, key=lambda e: (e.expires_on, e.created_at))

    # -- alerts -----------------------------------------------------------------------

    def alert(
        self,
        tx: UnitOfWork,
        visit_id: uuid.UUID,
        entry_id: uuid.UUID,
        email_to: str | None = None,
    ) -> uuid.UUID:
        """Record, in a check-in's (fast) unit of work, that it matched an entry, for
        reception; audited (ids only). With ``email_to``, an e-mail there too, holding
        only the time: not linked to the visit, it is no part of what the visitor is
        handed."""
        alert_id = time_ordered_id(tx.now)
        values = dict(
            id=alert_id,
            site_id=self.db.site_id,
            created_at=tx.now,
            visit_id=visit_id,
            entry_id=entry_id,
            acknowledged_at=None,
            acknowledged_by=None,
        )
        tx.writes.insert(WatchlistAlert.__table__, values)  # type: ignore[arg-type]
        if email_to:
            payload = {"to": email_to, "arrived_at": tx.now.isoformat()}
            row = message_row(self.db, tx.now, WATCH_ALERT, payload)
            tx.writes.insert(OutboxMessage.__table__, row)  # type: ignore[arg-type]
        tx.audit("watchlist.match", str(alert_id), {"visit": str(visit_id),
                                                     "entry": str(entry_id)})  # fmt: skip
        return alert_id

    def open_alerts(self) -> list[tuple[uuid.UUID, datetime, uuid.UUID, WatchEntry | None]]:
        """This site's alerts not acknowledged yet, oldest first: (id, when, visit, the
        entry, None when it is gone or unreadable)."""
        with db_errors(), self.db.read_session() as s:
            rows = s.execute(
                select(WatchlistAlert, WatchlistEntry)
                .outerjoin(WatchlistEntry, WatchlistEntry.id == WatchlistAlert.entry_id)
                .where(
                    WatchlistAlert.site_id == self.db.site_id,
                    WatchlistAlert.acknowledged_at.is_(None),
                )
                .order_by(WatchlistAlert.created_at)
            ).all()
            found: list[tuple[uuid.UUID, datetime, uuid.UUID, WatchEntry | None]] = []
            for alert, row in rows:
                entry = None
                if row is not None:
                    try:
                        entry = self._entry(row)
                    except (KeyDestroyed, RecordTampered):
                        entry = None
                found.append((alert.id, alert.created_at, alert.visit_id, entry))
        return found

    def acknowledge(self, tx: UnitOfWork, alert_id: uuid.UUID) -> bool:
        """Reception has seen the alert; False when it was acknowledged already."""
        done = tx.session.execute(
            update(WatchlistAlert)
            .where(WatchlistAlert.id == alert_id, WatchlistAlert.acknowledged_at.is_(None))
            .values(acknowledged_at=tx.now, acknowledged_by=tx.actor)
        )
        changed = bool(getattr(done, "rowcount", 0))
        if changed:
            tx.audit("watchlist.acknowledge", str(alert_id))
        return changed
