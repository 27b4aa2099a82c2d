"""Roll calls and their marks. A mark is set by a conditional update (only while the
person is unmarked), so two marshals marking at once never lose or overwrite one; every
change is audited with ids and counts."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update

from storage.database import Database
from storage.engine import db_errors
from storage.ids import time_ordered_id
from storage.models import RollCall, RollCallPerson
from storage.unit_of_work import UnitOfWork

Held = tuple[uuid.UUID, datetime, str, datetime | None, str | None]  # id, start, by, end, by
Person = tuple[uuid.UUID, uuid.UUID | None, str | None, datetime | None, str | None]


class RollCallRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    def start(self, tx: UnitOfWork, people: list[tuple[uuid.UUID | None, str]]) -> uuid.UUID:
        """A roll call of these people: (visit, or None for a record that could not be
        read; the record's id)."""
        rollcall_id = time_ordered_id(tx.now)
        s = tx.session
        s.add(RollCall(id=rollcall_id, site_id=self.db.site_id, started_at=tx.now,
                       started_by=tx.actor, ended_at=None, ended_by=None))  # fmt: skip
        s.flush()
        for visit_id, record in people:
            s.add(RollCallPerson(id=uuid.uuid4(), rollcall_id=rollcall_id, visit_id=visit_id,
                                 record=record, marked_at=None, marked_by=None))  # fmt: skip
        tx.audit("rollcall.start", str(rollcall_id), {"people": len(people)})
        return rollcall_id

    def _held(self, *where: object) -> list[Held]:
        stmt = (
            select(RollCall.id, RollCall.started_at, RollCall.started_by, RollCall.ended_at,
                   RollCall.ended_by)
            .where(RollCall.site_id == self.db.site_id, *where)  # type: ignore[arg-type]
            .order_by(RollCall.started_at.desc())
        )  # fmt: skip
        with db_errors(), self.db.read_connection() as conn:
            return [tuple(r) for r in conn.execute(stmt)]  # type: ignore[misc]

    def active(self) -> Held | None:
        """This site's roll call under way (the latest, if several were started at
        once from different desks)."""
        found = self._held(RollCall.ended_at.is_(None))
        return found[0] if found else None

    def get(self, rollcall_id: uuid.UUID) -> Held | None:
        found = self._held(RollCall.id == rollcall_id)
        return found[0] if found else None

    def recent(self, limit: int = 20) -> list[Held]:
        return self._held()[:limit]

    def people(self, rollcall_id: uuid.UUID) -> list[Person]:
        stmt = select(
            RollCallPerson.id,
            RollCallPerson.visit_id,
            RollCallPerson.record,
            RollCallPerson.marked_at,
            RollCallPerson.marked_by,
        ).where(RollCallPerson.rollcall_id == rollcall_id)
        with db_errors(), self.db.read_connection() as conn:
            return [tuple(r) for r in conn.execute(stmt)]  # type: ignore[misc]

    def marks(self, rollcall_id: uuid.UUID) -> dict[uuid.UUID, tuple[datetime, str]]:
        """Who has been marked safe, when and by whom (a cheap read, for live lists)."""
        stmt = select(RollCallPerson.id, RollCallPerson.marked_at, RollCallPerson.marked_by).where(
            RollCallPerson.rollcall_id == rollcall_id, RollCallPerson.marked_at.is_not(None)
        )
        with db_errors(), self.db.read_connection() as conn:
            return {pid: (at, by or "") for pid, at, by in conn.execute(stmt) if at is not None}

    def mark(self, tx: UnitOfWork, rollcall_id: uuid.UUID, person_id: uuid.UUID) -> bool:
        """Mark safe, once (False when someone marked them already, or the roll call has
        ended)."""
        running = select(RollCall.id).where(RollCall.id == rollcall_id, RollCall.ended_at.is_(None))
        done = tx.session.execute(
            update(RollCallPerson)
            .where(
                RollCallPerson.id == person_id,
                RollCallPerson.rollcall_id == rollcall_id,
                RollCallPerson.marked_at.is_(None),
                RollCallPerson.rollcall_id.in_(running),
            )
            .values(marked_at=tx.now, marked_by=tx.actor)
        )
        marked = bool(getattr(done, "rowcount", 0))
        if marked:
            tx.audit("rollcall.mark", str(person_id), {"rollcall": str(rollcall_id)})
        return marked

    def end(self, tx: UnitOfWork, rollcall_id: uuid.UUID, missing: int) -> bool:
        done = tx.session.execute(
            update(RollCall)
            .where(RollCall.id == rollcall_id, RollCall.ended_at.is_(None))
            .values(ended_at=tx.now, ended_by=tx.actor)
        )
        ended = bool(getattr(done, "rowcount", 0))
        if ended:
            tx.audit("rollcall.end", str(rollcall_id), {"missing": missing})
        return ended
