"""Reading visits: a day, one visit, one person, a range for exports, and counts.

Thousands of rows at a time, so these select the few untyped columns storage.fastread
decodes in one loop (its VisitDecoder is the one decoder of a visit row).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, column, func, select, text

from kiosk.domain.visits import DamagedRecord, DayVisits, VisitFields, VisitRecord
from storage.codec import unseal
from storage.database import Database
from storage.engine import db_errors
from storage.errors import NotFound, RecordTampered
from storage.fastread import VisitDecoder, gc_paused, visit_columns
from storage.models import Visit
from storage.sealing import SEAL_MAC_COLUMNS, seal_mac_holds

VISIT_DAYS = text(
    "WITH RECURSIVE days(day) AS ("
    " SELECT min(local_day) FROM visits"
    " UNION ALL"
    " SELECT (SELECT min(v.local_day) FROM visits v WHERE v.local_day > days.day)"
    " FROM days WHERE days.day IS NOT NULL"
    ") SELECT day FROM days WHERE day IS NOT NULL"
)

# As a subquery: a look-up is then one statement that seeks once per day held.
DAYS_HELD = VISIT_DAYS.columns(column("day", Visit.local_day.type))


class VisitReads:
    """The reading half of the visits repository (storage.repositories.visits)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    def visit_days(conn: Connection | Any) -> list[date]:
        """The days that hold visits (any site). Look-ups by badge or blind index seek once
        per day in these (as ``DAYS_HELD``), as their indexes are led by the day. Found by
        hopping along the index from one day to the next (a seek per day held), so a
        stray old date does not make a look-up try every day since."""
        rows = conn.execute(VISIT_DAYS).scalars()
        return [d if isinstance(d, date) else date.fromisoformat(d) for d in rows]

    def _query(self, site_id: uuid.UUID | None = None) -> Any:
        # Untyped columns: storage.fastread decodes the driver's values itself.
        return (
            select(*visit_columns(self.db.engine.dialect.name))
            .select_from(Visit.__table__)
            .where(Visit.site_id == (site_id or self.db.site_id))
        )

    def _decoder(self, *, strict: bool = False) -> VisitDecoder:
        return VisitDecoder(self.db.keystore.key_by_id, strict=strict)

    def _read(self, stmt: Any) -> DayVisits:
        with gc_paused():  # the rows are thousands of new objects too
            with db_errors(), self.db.read_connection() as conn:
                # Rows straight from the driver's cursor (not buffered: no stream_results
                # here): SQLAlchemy's Row objects cost a twentieth of a day's read, and the
                # columns are untyped anyway.
                rows = conn.execute(stmt).cursor.fetchall()
            visits, damaged = self._decoder().decode_batch(rows)
            # Freed while the collector is still paused: otherwise its first pass after
            # the pause walks these thousands of rows too (0.7 ms of a day of 5,000).
            del rows
        return DayVisits(visits, damaged)

    def on_day(self, day: date) -> DayVisits:
        """Every visit of one site-local day, decrypted, in arrival order."""
        return self._read(self._query().where(Visit.local_day == day).order_by(Visit.arrived_at))

    def held(self) -> tuple[int, date | None]:
        """How many visits of this site the database holds, and the oldest one's day."""
        stmt = select(func.count(), func.min(Visit.local_day)).where(
            Visit.site_id == self.db.site_id
        )
        with db_errors(), self.db.read_connection() as conn:
            count, oldest = conn.execute(stmt).one()
        return int(count), oldest

    def open_before(self, day: date) -> dict[date, int]:
        """How many visits of each day before ``day`` have no check-out (not decrypted)."""
        stmt = (
            select(Visit.local_day, func.count())
            .where(
                Visit.site_id == self.db.site_id,
                Visit.local_day < day,
                Visit.departed_at.is_(None),
            )
            .group_by(Visit.local_day)
        )
        with db_errors(), self.db.read_connection() as conn:
            return {d: int(n) for d, n in conn.execute(stmt)}

    def exists(self, visit_id: uuid.UUID) -> bool:
        """Whether a visit with this id is stored (a check-in's idempotency key)."""
        with db_errors(), self.db.read_connection() as conn:
            found = conn.execute(select(Visit.id).where(Visit.id == visit_id)).first()
        return found is not None

    def get(self, visit_id: uuid.UUID) -> VisitRecord:
        """One visit, every column checked (storage.sealing); raises NotFound,
        RecordTampered (naming it) or KeyDestroyed."""
        sealed = [getattr(Visit, c) for c in ("id", "key_id", "seal_mac", *SEAL_MAC_COLUMNS)]
        with db_errors(), self.db.read_connection() as conn:
            row = conn.execute(self._query().where(Visit.id == visit_id)).first()
            columns = conn.execute(select(*sealed).where(Visit.id == visit_id)).first()
        if row is None or columns is None:
            raise NotFound(f"visit {visit_id} not found")
        found = next(self._decoder(strict=True).decode([row]))
        assert isinstance(found, VisitRecord)
        # Opened by id, all of it is checked: the columns lists do not show as well.
        if not seal_mac_holds(self.db.seal_key, dict(columns._mapping)):
            raise RecordTampered("visits", visit_id, "record")
        return found

    def guardians(self, visit_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        """The parent or guardian recorded with each of these (under-16) visits that has
        one, decrypted; raises RecordTampered (naming it) or KeyDestroyed."""
        if not visit_ids:
            return {}
        stmt = select(Visit.id, Visit.key_id, Visit.guardian_ct).where(
            Visit.id.in_(visit_ids), Visit.guardian_ct.is_not(None)
        )
        with db_errors(), self.db.read_connection() as conn:
            rows = conn.execute(stmt).all()
        keystore = self.db.keystore
        found = {}
        for visit_id, key_id, blob in rows:
            name = unseal(keystore.key_by_id(key_id), "visits", "guardian", visit_id, key_id, blob)
            if name is not None:
                found[visit_id] = name
        return found

    def find_person(
        self, *, email: str | None = None, phone: str | None = None
    ) -> list[VisitRecord]:
        """Visits of one person, found through the blind index then compared exactly."""
        if email is None and phone is None:
            raise ValueError("give an e-mail address or a phone number")
        stmt = self._query().where(Visit.local_day.in_(DAYS_HELD))
        if email is not None:
            stmt = stmt.where(Visit.email_bidx == self.db.email_index(email))
        else:
            assert phone is not None
            stmt = stmt.where(Visit.phone_bidx == self.db.phone_index(phone))
        found = self._read(stmt.order_by(Visit.arrived_at)).visits
        if email is not None:
            return [v for v in found if v.email and v.email.casefold() == email.casefold()]
        return [v for v in found if v.phone == phone]

    def stream_range(
        self, start: date, end: date, *, batch: int = 1000, site_id: uuid.UUID | None = None
    ) -> Iterator[VisitRecord | DamagedRecord]:
        """Visits with local days in [start, end] (of this site, or of ``site_id``), in
        arrival order, in constant memory."""
        decoder = self._decoder()
        for part in self._range_parts(start, end, batch, site_id):
            visits, damaged = decoder.decode_batch(part)
            yield from visits
            yield from damaged

    def stream_fields(
        self, start: date, end: date, *, batch: int = 1000, site_id: uuid.UUID | None = None
    ) -> Iterator[tuple[list[VisitFields], list[DamagedRecord]]]:
        """:meth:`stream_range` for exports: a batch at a time, each visit a plain
        :data:`VisitFields` tuple (a generator step and a record object per row cost as
        much as writing the row)."""
        decoder = self._decoder()
        for part in self._range_parts(start, end, batch, site_id):
            yield decoder.decode_fields_batch(part)

    def _range_parts(
        self, start: date, end: date, batch: int, site_id: uuid.UUID | None
    ) -> Iterator[Sequence[Any]]:
        stmt = (
            self._query(site_id)
            .where(Visit.local_day >= start, Visit.local_day <= end)
            # Arrival order, as the (site, day, arrival) index walks it: no sort step,
            # which for a million rows costs a quarter of the fetch and spills to disk.
            .order_by(Visit.local_day, Visit.arrived_at)
        )
        with db_errors(), self.db.read_connection() as conn:
            if conn.dialect.name != "sqlite":  # a server-side cursor, fetched a batch at a time
                yield from conn.execution_options(yield_per=batch).execute(stmt).partitions()
                return
            # SQLite's cursor steps through the rows as they are fetched, so its own
            # fetchmany streams too, without SQLAlchemy's buffer and Row objects: they
            # cost a quarter of an export's time. (A streaming SQLAlchemy result holds its
            # first row back, so its cursor cannot be read this way.)
            cursor = conn.execute(stmt).cursor
            while part := cursor.fetchmany(batch):
                yield part
