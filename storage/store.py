"""The Store: the repository every use case goes through.

Each public method is one unit of work with its own session; a check-in is ONE
transaction on the records database holding the visit, its NDA acceptance, screening
outcome, outbox row and audit event.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, column, delete, func, or_, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from storage import audit, retention
from storage.audit import CheckpointFile
from storage.checkout import departure_for, latest_cut
from storage.codec import Personal, seal, seal_personal
from storage.codes import new_badge_code, normalise_badge_code
from storage.crypto import (
    badge_hash,
    blind_index,
    derive_subkey,
)
from storage.documents import document_row
from storage.engine import PURGE_BATCH, db_errors
from storage.errors import (
    AlreadyCheckedOut,
    InvalidDeparture,
    NotFound,
)
from storage.fastread import VisitDecoder, gc_paused, visit_columns
from storage.fastwrite import RawWriter
from storage.ids import time_ordered_id
from storage.keystore import KeyStore
from storage.models import (
    HealthScreening,
    Host,
    Invitation,
    NdaAcceptance,
    OutboxMessage,
    ShownDocument,
    Site,
    Visit,
)
from storage.records import (
    Category,
    CheckInResult,
    DamagedRecord,
    DayVisits,
    ErasureReport,
    HostEntry,
    NewVisit,
    PurgeReport,
    RetentionPolicy,
    ScreeningOutcome,
    VisitFields,
    VisitRecord,
)

log = logging.getLogger(__name__)

_TABLES: dict[Any, Any] = {
    m: m.__table__ for m in (Visit, NdaAcceptance, HealthScreening, OutboxMessage, ShownDocument)
}


VISIT_DAYS = text(
    "WITH RECURSIVE days(day) AS ("
    " SELECT min(local_day) FROM visits"
    " UNION ALL"
    " SELECT (SELECT min(v.local_day) FROM visits v WHERE v.local_day > days.day)"
    " FROM days WHERE days.day IS NOT NULL"
    ") SELECT day FROM days WHERE day IS NOT NULL"
)

# As a subquery: a look-up is then one statement that seeks once per day held.
_DAYS_HELD = VISIT_DAYS.columns(column("day", Visit.local_day.type))


def utcnow() -> datetime:
    return datetime.now(UTC)


class Store:
    def __init__(
        self,
        engine: Engine,
        keystore: KeyStore,
        *,
        site_id: uuid.UUID,
        timezone: ZoneInfo,
        retention: RetentionPolicy,
        blind_index_bits: int = 16,
        checkpoint_path: Path | None = None,
    ) -> None:
        self.engine = engine
        self.keystore = keystore
        self.site_id = site_id
        self.timezone = timezone
        self.retention = retention
        self.blind_index_bits = blind_index_bits
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._read_engine = engine.execution_options(readonly=True)
        self._writer = RawWriter(engine)
        self._reader = sessionmaker(self._read_engine)
        self._purger = sessionmaker(engine.execution_options(**{PURGE_BATCH: True}))
        secret = keystore.index_secret()
        self._email_key = derive_subkey(secret, "blind-index/email")
        self._phone_key = derive_subkey(secret, "blind-index/phone")
        self.audit_key = derive_subkey(secret, "audit-chain")
        self.pepper = derive_subkey(secret, "pin-pepper")
        self.checkpoint = (
            CheckpointFile(checkpoint_path, derive_subkey(secret, "audit-checkpoint"))
            if checkpoint_path is not None
            else None
        )
        self._held_at: int | None = None  # the checkpoint seq a warning was logged for
        # (hash, kind, language) of the documents this Store knows are in the table
        self._documents_kept: set[tuple[str, str, str]] = set()

    def sync_checkpoint(self) -> None:
        """Move the signed audit checkpoint (outside the database) to the chain's head.
        Called after every committed audit write; never by verification."""
        if self.checkpoint is None:
            return
        with self._read_engine.connect() as conn:
            head = conn.execute(audit.HEAD).first()
        if head is not None:
            self._advance_checkpoint(int(head[0]), bytes(head[1]), bytes(head[2]))

    def _advance_checkpoint(self, seq: int, digest: bytes, prev: bytes) -> None:
        """Advance the checkpoint to a new head, unless the chain no longer holds the
        event the checkpoint recorded (newest events deleted, or the database restored
        from a copy): then it stays, so that `kiosk audit verify` keeps reporting it
        however many events follow, until an admin accepts a restore."""
        assert self.checkpoint is not None
        last = self.checkpoint.newest()
        if last is not None and seq > last.seq and not (seq == last.seq + 1 and prev == last.hash):
            with db_errors(), self._read_engine.connect() as conn:
                holds = audit.chain_holds(conn, last)
            if not holds:
                if self._held_at != last.seq:  # once per process, not on every event
                    self._held_at = last.seq
                    log.warning(
                        "the audit chain no longer holds event %d, which the checkpoint "
                        "recorded: the checkpoint stays there (see kiosk audit verify)",
                        last.seq,
                    )
                return
        self.checkpoint.advance(seq, digest)

    # -- helpers -------------------------------------------------------------------------

    def write_session(self) -> Session:
        return self._sessions()

    def read_session(self) -> Session:
        return self._reader()

    def purge_session(self) -> Session:
        """A write session for the purge's delete batches (PURGE_BATCH in storage.engine)."""
        return self._purger()

    def local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.timezone).date()

    def email_index(self, email: str) -> int:
        return blind_index(self._email_key, email.casefold(), self.blind_index_bits)

    def phone_index(self, phone: str) -> int:
        return blind_index(self._phone_key, phone, self.blind_index_bits)

    def record_event(
        self,
        actor: str,
        action: str,
        object_id: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Write one audit event on its own (ids and counts only, never personal data)."""
        with db_errors(), self._sessions() as s, s.begin():
            audit.append(
                s,
                self.audit_key,
                at=utcnow(),
                actor=actor,
                action=action,
                object_id=object_id,
                details=details,
            )
        self.sync_checkpoint()

    # -- hosts ---------------------------------------------------------------------------

    def add_host(
        self,
        name: str,
        email: str | None = None,
        language: str | None = None,
        *,
        actor: str,
        name_key: Callable[[str], str] = str.casefold,
    ) -> uuid.UUID:
        """Add a host to this site's directory, audited. Raises DuplicateName when a host
        already has a name equal to it under ``name_key`` (how visitors' typing is
        compared): a visitor could not choose between the two, and neither would be told."""
        from storage.hosts import refuse_taken_name

        host = Host(
            id=uuid.uuid4(),
            site_id=self.site_id,
            name=name,
            email=email,
            language=language,
            created_at=utcnow(),
        )
        with db_errors(), self._sessions() as s, s.begin():
            refuse_taken_name(s, self.site_id, name, name_key)
            s.add(host)
            s.flush()
            audit.append(
                s,
                self.audit_key,
                at=host.created_at,
                actor=actor,
                action="host.add",
                object_id=str(host.id),
                details={"email": email is not None, "language": language},
            )
        self.sync_checkpoint()
        return host.id

    def site_named(self, name: str) -> uuid.UUID:
        """The id of a site sharing this database (several kiosks or sites on PostgreSQL)."""
        with db_errors(), self._reader() as s:
            found = s.scalar(select(Site.id).where(Site.name == name))
        if found is None:
            raise NotFound(f"no site named {name!r} in this database")
        return found

    def hosts(
        self, *, active_only: bool = True, site_id: uuid.UUID | None = None
    ) -> list[HostEntry]:
        stmt = select(Host).where(Host.site_id == (site_id or self.site_id)).order_by(Host.name)
        if active_only:
            stmt = stmt.where(Host.active.is_(True))
        with db_errors(), self._reader() as s:
            return [HostEntry(h.id, h.name, h.email, h.active, h.language) for h in s.scalars(stmt)]

    # -- check-in and check-out ----------------------------------------------------------

    def check_in(
        self, visit: NewVisit, *, actor: str, now: datetime | None = None
    ) -> CheckInResult:
        now = now or utcnow()
        key_day = now.astimezone(UTC).date()
        visit_key_id, visit_aead = self.keystore.key_for_day(self.site_id, Category.VISIT, key_day)
        visit_id = time_ordered_id(now)
        code = new_badge_code()
        row = dict(
            id=visit_id,
            site_id=self.site_id,
            key_id=visit_key_id,
            created_at=now,
            arrived_at=now,
            departed_at=None,
            local_day=self.local_day(now),
            visitor_type=visit.visitor_type.value,
            host_id=visit.host_id,
            email_bidx=self.email_index(visit.email) if visit.email else None,
            phone_bidx=self.phone_index(visit.phone) if visit.phone else None,
            badge_hash=badge_hash(code.replace("-", "")),  # canonical as generated
            privacy_version=visit.privacy_version,
            privacy_sha256=visit.privacy_sha256,
            under_16=visit.under_16,
            needs_confirmation=visit.under_16,
            flagged=visit.screening is ScreeningOutcome.FAILED,
            restricted=False,
            nda_accepted=visit.nda is not None,
            auto_checkout=False,
            personal_ct=seal_personal(
                visit_aead,
                visit_id,
                visit_key_id,
                Personal(
                    name=visit.name,
                    email=visit.email,
                    phone=visit.phone,
                    company=visit.company,
                    host_name=visit.host_name,
                    screening=visit.screening.value,
                ),
            ),
        )
        extra: list[tuple[Any, dict[str, Any]]] = []
        if visit.nda is not None:
            nda_key_id, nda_aead = self.keystore.key_for_day(self.site_id, Category.NDA, key_day)
            nda_id = time_ordered_id(now)
            extra.append(
                (
                    NdaAcceptance,
                    dict(
                        id=nda_id,
                        site_id=self.site_id,
                        visit_id=visit_id,
                        key_id=nda_key_id,
                        created_at=now,
                        document_version=visit.nda.version,
                        document_language=visit.nda.language,
                        document_sha256=visit.nda.sha256,
                        signed_name_ct=seal(
                            nda_aead,
                            "nda_acceptances",
                            "signed_name",
                            nda_id,
                            nda_key_id,
                            visit.nda.signed_name,
                        ),
                    ),
                )
            )
        if visit.health_answers is not None and self.retention.health_answers_days > 0:
            extra.append(
                (HealthScreening, self._answers_row(visit.health_answers, visit_id, key_day, now))
            )
        if visit.notify_host and (visit.host_id is not None or visit.host_name):
            out_key_id, out_aead = self.keystore.key_for_day(self.site_id, Category.OUTBOX, key_day)
            out_id = time_ordered_id(now)
            payload = json.dumps(
                {"visitor": visit.name, "company": visit.company, "arrived_at": now.isoformat()}
            )
            extra.append(
                (
                    OutboxMessage,
                    dict(
                        id=out_id,
                        site_id=self.site_id,
                        visit_id=visit_id,
                        host_id=visit.host_id,
                        key_id=out_key_id,
                        created_at=now,
                        kind="host_arrival",
                        payload_ct=seal(out_aead, "outbox", "payload", out_id, out_key_id, payload),
                        attempts=0,
                        next_attempt_at=now,
                    ),
                )
            )
        new_documents = [d for d in visit.documents if d.key not in self._documents_kept]
        # On the driver's connection (storage.fastwrite): statement and transaction
        # handling cost more than the rows themselves.
        with db_errors(), self._writer.transaction() as cur:
            for document in new_documents:  # first, as the visit refers to it
                cur.insert(
                    _TABLES[ShownDocument],
                    document_row(document, now),
                    if_absent="sha256, kind, language",
                )
            cur.insert(_TABLES[Visit], row)
            for model, values in extra:
                cur.insert(_TABLES[model], values)
            head = audit.append(
                cur,
                self.audit_key,
                at=now,
                actor=actor,
                action="visit.check_in",
                object_id=str(visit_id),
                details={"type": visit.visitor_type.value, "nda": visit.nda is not None},
            )
        self._documents_kept.update(d.key for d in new_documents)
        if self.checkpoint is not None:
            self._advance_checkpoint(*head)
        return CheckInResult(visit_id=visit_id, badge_code=code, arrived_at=now)

    def _answers_row(
        self, answers: dict[str, str], visit_id: uuid.UUID, key_day: date, now: datetime
    ) -> dict[str, Any]:
        """Health answers, only when the operator opted in to storing them."""
        key_id, aead = self.keystore.key_for_day(self.site_id, Category.HEALTH, key_day)
        row_id = time_ordered_id(now)
        blob = seal(
            aead,
            "health_screenings",
            "answers",
            row_id,
            key_id,
            json.dumps(answers, sort_keys=True),
        )
        assert blob is not None
        return {
            "id": row_id,
            "visit_id": visit_id,
            "key_id": key_id,
            "answers_ct": blob,
            "created_at": now,
        }

    def check_out(self, code: str, *, actor: str, now: datetime | None = None) -> uuid.UUID:
        """Check out by badge code. Raises NotFound or AlreadyCheckedOut."""
        canonical = normalise_badge_code(code)
        if canonical is None:
            raise NotFound("no visit has this badge code")
        now = now or utcnow()
        with db_errors(), self._sessions() as s, s.begin():
            found = s.execute(
                select(Visit.id, Visit.departed_at, Visit.auto_checkout).where(
                    Visit.local_day.in_(_DAYS_HELD), Visit.badge_hash == badge_hash(canonical)
                )
            ).first()
            if found is None:
                raise NotFound("no visit has this badge code")
            # After an automatic check-out the badge still records the real departure:
            # the visitor was in the lobby with it now.
            if found.departed_at is not None and not found.auto_checkout:
                raise AlreadyCheckedOut("this badge has already been checked out")
            self._mark_departed(s, found.id, now, actor, replaces_auto=found.auto_checkout)
        self.sync_checkpoint()
        return uuid.UUID(str(found.id))

    def check_out_visit(
        self,
        visit_id: uuid.UUID,
        *,
        actor: str,
        now: datetime | None = None,
        departed_at: datetime | None = None,
    ) -> None:
        """Check a visit out by id (staff). ``departed_at``: when the visitor left, as
        staff state it for a visit nobody checked out on its day, or one checked out
        automatically, which it then replaces (at or after the arrival, not in the
        future); the audit event says the time was entered. Raises NotFound,
        AlreadyCheckedOut or InvalidDeparture."""
        now = now or utcnow()
        with db_errors(), self._sessions() as s, s.begin():
            found = s.execute(
                select(Visit.arrived_at, Visit.departed_at, Visit.auto_checkout).where(
                    Visit.id == visit_id
                )
            ).first()
            if found is None:
                raise NotFound(f"visit {visit_id} not found")
            replaces_auto = found.auto_checkout and departed_at is not None
            if found.departed_at is not None and not replaces_auto:
                raise AlreadyCheckedOut(f"visit {visit_id} is already checked out")
            if departed_at is not None:
                if departed_at > now:
                    raise InvalidDeparture("the departure time is in the future")
                if departed_at < found.arrived_at:
                    raise InvalidDeparture("the departure time is before the arrival")
            self._mark_departed(
                s, visit_id, now, actor, replaces_auto=replaces_auto, departed_at=departed_at
            )
        self.sync_checkpoint()

    def _mark_departed(
        self,
        s: Session,
        visit_id: uuid.UUID,
        now: datetime,
        actor: str,
        *,
        replaces_auto: bool = False,
        departed_at: datetime | None = None,
    ) -> None:
        """Record the departure (``departed_at``, else ``now``); the audit event is dated
        ``now``, when it was recorded. Raises AlreadyCheckedOut when another kiosk or desk
        recorded one since the caller looked (the update waits for its commit)."""
        still = Visit.auto_checkout.is_(True) if replaces_auto else Visit.departed_at.is_(None)
        changed = s.execute(
            update(Visit)
            .where(Visit.id == visit_id, still)
            .values(departed_at=departed_at or now, auto_checkout=False)
        )
        if not getattr(changed, "rowcount", 0):
            raise AlreadyCheckedOut(f"visit {visit_id} was checked out meanwhile")
        details: dict[str, object] = {}
        if replaces_auto:
            details["replaces_auto_checkout"] = True
        if departed_at is not None:
            details["departure_entered"] = departed_at.astimezone(UTC).isoformat()
        audit.append(
            s,
            self.audit_key,
            at=now,
            actor=actor,
            action="visit.check_out",
            object_id=str(visit_id),
            details=details or None,
        )

    def auto_check_out(
        self,
        at: time,
        *,
        actor: str,
        now: datetime | None = None,
        since: date | None = None,
    ) -> int:
        """Check out every visit of this site still open at the last time the local clock
        read ``at``, as of the first such time after its arrival, marked as automatic
        (storage.checkout); one audit event per visit. Only visits of ``since`` and later
        when given (a periodic run needs only the last few days). Returns how many."""
        now = now or utcnow()
        cut = latest_cut(now, at, self.timezone)
        stmt = select(Visit.id, Visit.arrived_at).where(
            Visit.site_id == self.site_id,
            Visit.local_day <= self.local_day(cut),
            Visit.arrived_at < cut,
            Visit.departed_at.is_(None),
        )
        if since is not None:
            stmt = stmt.where(Visit.local_day >= since)
        # Looked for outside the write transaction: the days scanned may be many.
        with db_errors(), self._reader() as r:
            open_visits = r.execute(stmt).all()
        if not open_visits:
            return 0
        done = 0
        with db_errors(), self._sessions() as s, s.begin():
            for visit_id, arrived in open_visits:
                changed = s.execute(
                    update(Visit)
                    .where(Visit.id == visit_id, Visit.departed_at.is_(None))
                    .values(
                        departed_at=departure_for(arrived, at, self.timezone), auto_checkout=True
                    )
                )
                if not getattr(changed, "rowcount", 0):  # checked out meanwhile, or elsewhere
                    continue
                done += 1
                audit.append(
                    s,
                    self.audit_key,
                    at=now,
                    actor=actor,
                    action="visit.auto_check_out",
                    object_id=str(visit_id),
                    details={"at": at.strftime("%H:%M")},
                )
        self.sync_checkpoint()
        return done

    # -- reading -------------------------------------------------------------------------

    @staticmethod
    def visit_days(conn: Connection | Any) -> list[date]:
        """The days that hold visits (any site). Look-ups by badge or blind index seek once
        per day in these (as ``_DAYS_HELD``), as their indexes are led by the day. Found by
        hopping along the index from one day to the next (a seek per day held), so a
        stray old date does not make a look-up try every day since."""
        rows = conn.execute(VISIT_DAYS).scalars()
        return [d if isinstance(d, date) else date.fromisoformat(d) for d in rows]

    def _visit_query(self, site_id: uuid.UUID | None = None) -> Any:
        # Untyped columns: storage.fastread decodes the driver's values itself.
        return (
            select(*visit_columns(self.engine.dialect.name))
            .select_from(Visit.__table__)
            .where(Visit.site_id == (site_id or self.site_id))
        )

    def _decoder(self, *, strict: bool = False) -> VisitDecoder:
        return VisitDecoder(self.keystore.key_by_id, strict=strict)

    def _read_visits(self, stmt: Any) -> DayVisits:
        with gc_paused():  # the rows are thousands of new objects too
            with db_errors(), self._read_engine.connect() as conn:
                # Rows straight from the driver's cursor (not buffered: no stream_results
                # here): SQLAlchemy's Row objects cost a twentieth of a day's read, and the
                # columns are untyped anyway.
                rows = conn.execute(stmt).cursor.fetchall()
            visits, damaged = self._decoder().decode_batch(rows)
            # Freed while the collector is still paused: otherwise its first pass after
            # the pause walks these thousands of rows too (0.7 ms of a day of 5,000).
            del rows
        return DayVisits(visits, damaged)

    def visits_on(self, day: date) -> DayVisits:
        """Every visit of one site-local day, decrypted, in arrival order."""
        stmt = self._visit_query().where(Visit.local_day == day).order_by(Visit.arrived_at)
        return self._read_visits(stmt)

    def visits_held(self) -> tuple[int, date | None]:
        """How many visits of this site the database holds, and the oldest one's day."""
        stmt = select(func.count(), func.min(Visit.local_day)).where(Visit.site_id == self.site_id)
        with db_errors(), self._read_engine.connect() as conn:
            count, oldest = conn.execute(stmt).one()
        return int(count), oldest

    def open_visits_before(self, day: date) -> dict[date, int]:
        """How many visits of each day before ``day`` have no check-out (not decrypted)."""
        stmt = (
            select(Visit.local_day, func.count())
            .where(
                Visit.site_id == self.site_id,
                Visit.local_day < day,
                Visit.departed_at.is_(None),
            )
            .group_by(Visit.local_day)
        )
        with db_errors(), self._read_engine.connect() as conn:
            return {d: int(n) for d, n in conn.execute(stmt)}

    def get_visit(self, visit_id: uuid.UUID) -> VisitRecord:
        """One visit; raises NotFound, RecordTampered (naming it) or KeyDestroyed."""
        with db_errors(), self._read_engine.connect() as conn:
            row = conn.execute(self._visit_query().where(Visit.id == visit_id)).first()
        if row is None:
            raise NotFound(f"visit {visit_id} not found")
        found = next(self._decoder(strict=True).decode([row]))
        assert isinstance(found, VisitRecord)
        return found

    def find_person(
        self, *, email: str | None = None, phone: str | None = None
    ) -> list[VisitRecord]:
        """Visits of one person, found through the blind index then compared exactly."""
        if email is None and phone is None:
            raise ValueError("give an e-mail address or a phone number")
        stmt = self._visit_query().where(Visit.local_day.in_(_DAYS_HELD))
        if email is not None:
            stmt = stmt.where(Visit.email_bidx == self.email_index(email))
        else:
            assert phone is not None
            stmt = stmt.where(Visit.phone_bidx == self.phone_index(phone))
        found = self._read_visits(stmt.order_by(Visit.arrived_at)).visits
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
            self._visit_query(site_id)
            .where(Visit.local_day >= start, Visit.local_day <= end)
            # Arrival order, as the (site, day, arrival) index walks it: no sort step,
            # which for a million rows costs a quarter of the fetch and spills to disk.
            .order_by(Visit.local_day, Visit.arrived_at)
        )
        with db_errors(), self._read_engine.connect() as conn:
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

    # -- rights --------------------------------------------------------------------------

    def erase_person(
        self,
        *,
        actor: str,
        email: str | None = None,
        phone: str | None = None,
        invitation_ids: Sequence[uuid.UUID] = (),
    ) -> ErasureReport:
        """Delete every visit, NDA acceptance and notification of one person, and the
        invitations given (storage.rights finds those), in one transaction."""
        ids = [v.id for v in self.find_person(email=email, phone=phone)]
        with db_errors(), self._sessions() as s, s.begin():
            nda = s.execute(delete(NdaAcceptance).where(NdaAcceptance.visit_id.in_(ids)))
            out = s.execute(
                delete(OutboxMessage).where(  # host notifications, and invitation e-mails
                    or_(
                        OutboxMessage.visit_id.in_(ids),
                        OutboxMessage.invitation_id.in_(invitation_ids),
                    )
                )
            )
            invited = s.execute(delete(Invitation).where(Invitation.id.in_(invitation_ids)))
            s.execute(delete(Visit).where(Visit.id.in_(ids)))
            audit.append(
                s,
                self.audit_key,
                at=utcnow(),
                actor=actor,
                action="person.erase",
                details={"visits": len(ids), "invitations": _rowcount(invited)},
            )
        self.sync_checkpoint()
        return ErasureReport(
            visits=len(ids),
            nda_acceptances=_rowcount(nda),
            outbox=_rowcount(out),
            invitations=_rowcount(invited),
        )

    def purge(
        self, as_of: datetime | None = None, *, dry_run: bool = False, actor: str = "system"
    ) -> PurgeReport:
        """Delete what retention says has expired and destroy the expired data keys."""
        return retention.purge(self, as_of or utcnow(), dry_run=dry_run, actor=actor)


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
