"""The visits repository: a check-in with everything it writes, check-outs (by badge, by
staff, automatic), corrections and re-issued badges; the reads are in visit_reads.

Every write here runs in the caller's unit of work and appends its audit event to it
(ids, counts and field names, never personal data).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import and_, select, update

from kiosk.domain.codes import new_badge_code, normalise_badge_code
from kiosk.domain.departures import departure_for, latest_cut
from kiosk.domain.notifications import HOST_ARRIVAL, PARCEL, TO_HOST
from kiosk.domain.retention import Category
from kiosk.domain.visits import (
    CORRECTABLE,
    CheckInResult,
    NewVisit,
    ScreeningOutcome,
)
from storage.codec import Personal, seal, seal_personal, unseal, unseal_personal
from storage.crypto import badge_hash
from storage.database import Database, utcnow
from storage.engine import db_errors
from storage.errors import (
    AlreadyCheckedOut,
    InvalidDeparture,
    KeyDestroyed,
    NotFound,
    RecordTampered,
)
from storage.ids import time_ordered_id
from storage.models import (
    HealthScreening,
    NdaAcceptance,
    OutboxMessage,
    ShownDocument,
    Visit,
)
from storage.repositories.documents import document_row
from storage.repositories.outbox import message_row
from storage.repositories.visit_reads import DAYS_HELD, VisitReads
from storage.sealing import columns_of, listed_text, nda_contact, nda_seal, seal_mac, seal_mac_holds
from storage.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class SealedCheckIn:
    """A check-in ready to be written: its rows built and sealed (VisitRepository.prepare)."""

    now: datetime
    result: CheckInResult
    documents: list[dict[str, Any]]
    rows: list[tuple[Any, dict[str, Any]]]  # (model, values) in the order they are written
    document_keys: list[tuple[str, str, str]]
    audit: dict[str, Any]


_TABLES: dict[Any, Any] = {
    m: m.__table__ for m in (Visit, NdaAcceptance, HealthScreening, OutboxMessage, ShownDocument)
}


def _with(personal: Personal, values: Mapping[str, Any]) -> tuple[Personal, Mapping[str, Any]]:
    """An edit that sets ``values`` and leaves the personal fields as they are."""
    return personal, values


Edit = Callable[[Personal], tuple[Personal, Mapping[str, Any]] | None]


def rewrite(
    db: Database, tx: UnitOfWork, where: Any, edit: Edit, *, missing: str = ""
) -> list[uuid.UUID]:
    """Change the visits ``where`` selects and seal them again (storage.sealing). Each
    envelope is opened with the seal of the row as stored, so a row edited in the
    database is refused (RecordTampered, naming it), never sealed anew as if nothing
    happened; ``edit`` gets its personal fields and returns them changed with the
    columns to set (or None: leave this one). Rows are locked (PostgreSQL) until the
    unit commits, in id order. Returns the ids changed; ``missing``: the NotFound
    raised when ``where`` selects nothing."""
    s = tx.session
    rows = s.execute(
        select(*Visit.__table__.columns).where(where).order_by(Visit.id).with_for_update()
    ).all()
    if missing and not rows:
        raise NotFound(missing)
    changed = []
    for found in rows:
        row = dict(found._mapping)
        visit_id, key_id = row["id"], row["key_id"]
        aead = db.keystore.key_by_id(key_id)
        if not seal_mac_holds(db.seal_key, row):
            raise RecordTampered("visits", visit_id, "record")
        before = unseal_personal(
            aead, visit_id, key_id, row["personal_ct"], sealed=listed_text(row)
        )
        edited = edit(before)
        if edited is None:
            continue
        personal, values = edited
        after = {**row, **values}
        sealed = seal_personal(aead, visit_id, key_id, personal, sealed=listed_text(after))
        s.execute(
            update(Visit)
            .where(Visit.id == visit_id)
            .values(**values, personal_ct=sealed, seal_mac=seal_mac(db.seal_key, after))
        )
        changed.append(visit_id)
    return changed


class VisitRepository(VisitReads):
    def __init__(self, db: Database) -> None:
        super().__init__(db)
        # (hash, kind, language) of the documents this process knows are in the table
        self._documents_kept: set[tuple[str, str, str]] = set()

    # -- check-in --------------------------------------------------------------------

    def prepare(self, visit: NewVisit, now: datetime | None = None) -> SealedCheckIn:
        """A check-in arriving ``now`` (default: now) with its rows built: the day's data
        keys looked up (or created) and the personal fields sealed. Before the check-in's
        transaction, not in it: that would hold the write lock while the key store
        answers."""
        db = self.db
        now = now or utcnow()
        key_day = now.astimezone(UTC).date()
        visit_key_id, visit_aead = db.keystore.key_for_day(db.site_id, Category.VISIT, key_day)
        visit_id = time_ordered_id(now)
        code = new_badge_code()
        row = dict(
            id=visit_id,
            site_id=db.site_id,
            key_id=visit_key_id,
            created_at=now,
            arrived_at=now,
            departed_at=now if visit.parcel else None,
            local_day=db.local_day(now),
            visitor_type=visit.visitor_type.value,
            host_id=visit.host_id,
            email_bidx=db.email_index(visit.email) if visit.email else None,
            phone_bidx=db.phone_index(visit.phone) if visit.phone else None,
            badge_hash=badge_hash(code.replace("-", "")),  # canonical as generated
            privacy_version=visit.privacy_version,
            privacy_sha256=visit.privacy_sha256,
            under_16=visit.under_16,
            needs_confirmation=visit.under_16,
            flagged=visit.screening is ScreeningOutcome.FAILED,
            restricted=visit.restricted,
            nda_accepted=visit.nda is not None,
            auto_checkout=False,
        )
        row["seal_mac"] = seal_mac(db.seal_key, row)
        row["personal_ct"] = seal_personal(
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
            sealed=listed_text(row),
        )
        if visit.guardian is not None:
            row["guardian_ct"] = seal(
                visit_aead, "visits", "guardian", visit_id, visit_key_id, visit.guardian
            )
        new_documents = [d for d in visit.documents if d.key not in self._documents_kept]
        return SealedCheckIn(
            now=now,
            result=CheckInResult(visit_id=visit_id, badge_code=code, arrived_at=now),
            # The documents first, as the visit refers to them; then the visit, then
            # what refers to it.
            documents=[document_row(d, now) for d in new_documents],
            rows=[(Visit, row), *self._extra_rows(visit, visit_id, key_day, now)],
            document_keys=[d.key for d in new_documents],
            # The site: the on-site list checks its visits against the trail's check-ins.
            audit={
                "type": visit.visitor_type.value,
                "nda": visit.nda is not None,
                "site": db.site_id.hex,
            },
        )

    def check_in(self, tx: UnitOfWork, sealed: SealedCheckIn) -> CheckInResult:
        """Write a check-in made by :meth:`prepare` in ``tx`` (a fast unit of work, sent
        when it ends, dated as the check-in): the visit, its NDA acceptance, stored
        health answers, the host's notification, the documents shown that are not kept
        yet, and the audit event."""
        writes = tx.writes
        for document in sealed.documents:
            writes.insert(_TABLES[ShownDocument], document, if_absent="sha256, kind, language")
        writes.insert_all([(_TABLES[model], values) for model, values in sealed.rows])
        tx.audit("visit.check_in", str(sealed.result.visit_id), sealed.audit)
        if sealed.rows[0][1]["departed_at"] is not None:  # a delivery: not on site
            tx.audit("visit.check_out", str(sealed.result.visit_id))
        if sealed.document_keys:
            tx.after_commit(lambda: self._documents_kept.update(sealed.document_keys))
        return sealed.result

    def _extra_rows(
        self, visit: NewVisit, visit_id: uuid.UUID, key_day: date, now: datetime
    ) -> list[tuple[Any, dict[str, Any]]]:
        """The NDA acceptance, the stored health answers and the host's notification of a
        check-in, as far as it has them."""
        db = self.db
        extra: list[tuple[Any, dict[str, Any]]] = []
        if visit.nda is not None:
            nda_key_id, nda_aead = db.keystore.key_for_day(db.site_id, Category.NDA, key_day)
            nda_id = time_ordered_id(now)
            nda: dict[str, Any] = dict(
                id=nda_id,
                site_id=db.site_id,
                visit_id=visit_id,
                key_id=nda_key_id,
                created_at=now,
                document_version=visit.nda.version,
                document_language=visit.nda.language,
                document_sha256=visit.nda.sha256,
            )
            nda |= self._nda_sealed(nda_aead, nda, visit.nda.signed_name, visit.email, visit.phone)
            extra.append((NdaAcceptance, nda))
        if visit.health_answers is not None and db.retention.health_answers_days > 0:
            extra.append(
                (HealthScreening, self._answers_row(visit.health_answers, visit_id, key_day, now))
            )
        if visit.notify_host and (visit.host_id is not None or visit.host_name):
            payload: dict[str, Any] = {
                "visitor": visit.name,
                "company": visit.company,
                "arrived_at": now.isoformat(),
            }
            if visit.under_16:  # the host is told a minor is coming, with a guardian
                payload["minor"] = True
            if visit.host_id is None:  # typed, not in the directory: reception is told
                payload["host"] = visit.host_name
            kind = PARCEL if visit.parcel else HOST_ARRIVAL
            row = message_row(
                db,
                now,
                kind,
                payload,
                visit_id=visit_id,
                host_id=visit.host_id,
                channel=TO_HOST,
            )
            extra.append((OutboxMessage, row))
        return extra

    def _answers_row(
        self, answers: dict[str, str], visit_id: uuid.UUID, key_day: date, now: datetime
    ) -> dict[str, Any]:
        """Health answers, only when the operator opted in to storing them."""
        db = self.db
        key_id, aead = db.keystore.key_for_day(db.site_id, Category.HEALTH, key_day)
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

    # -- check-out -------------------------------------------------------------------

    def check_out(self, tx: UnitOfWork, code: str) -> uuid.UUID:
        """Check out by badge code. Raises NotFound or AlreadyCheckedOut."""
        canonical = normalise_badge_code(code)
        if canonical is None:
            raise NotFound("no visit has this badge code")
        found = tx.session.execute(
            select(Visit.id, Visit.departed_at, Visit.auto_checkout).where(
                Visit.local_day.in_(DAYS_HELD), Visit.badge_hash == badge_hash(canonical)
            )
        ).first()
        if found is None:
            raise NotFound("no visit has this badge code")
        # After an automatic check-out the badge still records the real departure: the
        # visitor was in the lobby with it now.
        if found.departed_at is not None and not found.auto_checkout:
            raise AlreadyCheckedOut("this badge has already been checked out")
        self._mark_departed(tx, found.id, replaces_auto=found.auto_checkout)
        return uuid.UUID(str(found.id))

    def of_badge(self, code: str) -> uuid.UUID | None:
        """The visit a badge code (of the days held) belongs to."""
        canonical = normalise_badge_code(code)
        if canonical is None:
            return None
        with db_errors(), self.db.read_session() as s:
            found = s.scalar(
                select(Visit.id).where(
                    Visit.local_day.in_(DAYS_HELD), Visit.badge_hash == badge_hash(canonical)
                )
            )
        return None if found is None else uuid.UUID(str(found))

    def check_out_visit(
        self, tx: UnitOfWork, visit_id: uuid.UUID, *, departed_at: datetime | None = None
    ) -> None:
        """Check a visit out by id (staff). ``departed_at``: when the visitor left, as
        staff state it for a visit nobody checked out on its day, or one checked out
        automatically, which it then replaces (at or after the arrival, not in the
        future); the audit event says the time was entered. Raises NotFound,
        AlreadyCheckedOut or InvalidDeparture."""
        found = tx.session.execute(
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
            if departed_at > tx.now:
                raise InvalidDeparture("the departure time is in the future")
            if departed_at < found.arrived_at:
                raise InvalidDeparture("the departure time is before the arrival")
        self._mark_departed(tx, visit_id, replaces_auto=replaces_auto, departed_at=departed_at)

    def _mark_departed(
        self,
        tx: UnitOfWork,
        visit_id: uuid.UUID,
        *,
        replaces_auto: bool = False,
        departed_at: datetime | None = None,
    ) -> None:
        """Record the departure (``departed_at``, else the unit's ``now``); the audit event
        is dated ``now``, when it was recorded. Raises AlreadyCheckedOut when another kiosk
        or desk recorded one since the caller looked (the update waits for its commit)."""
        still = Visit.auto_checkout.is_(True) if replaces_auto else Visit.departed_at.is_(None)
        departure = {"departed_at": departed_at or tx.now, "auto_checkout": False}
        if not self.rewrite(tx, (Visit.id == visit_id) & still, lambda p: (p, departure)):
            raise AlreadyCheckedOut(f"visit {visit_id} was checked out meanwhile")
        details: dict[str, object] = {}
        if replaces_auto:
            details["replaces_auto_checkout"] = True
        if departed_at is not None:
            details["departure_entered"] = departed_at.astimezone(UTC).isoformat()
        tx.audit("visit.check_out", str(visit_id), details or None)

    def still_open(self, at: time, now: datetime, since: date | None = None) -> list[Any]:
        """(id, arrival) of this site's visits still open at the last time the local clock
        read ``at`` (of ``since`` and later when given). Read outside a write transaction:
        the days scanned may be many."""
        cut = latest_cut(now, at, self.db.timezone)
        stmt = select(Visit.id, Visit.arrived_at).where(
            Visit.site_id == self.db.site_id,
            Visit.local_day <= self.db.local_day(cut),
            Visit.arrived_at < cut,
            Visit.departed_at.is_(None),
        )
        if since is not None:
            stmt = stmt.where(Visit.local_day >= since)
        with db_errors(), self.db.read_session() as r:
            return list(r.execute(stmt).all())

    def auto_check_out(self, tx: UnitOfWork, at: time, open_visits: list[Any]) -> int:
        """Check out ``open_visits`` (from :meth:`still_open`) as of the first time the
        local clock read ``at`` after each arrival, marked as automatic (see
        kiosk.domain.departures); one audit event per visit. One checked out meanwhile,
        or elsewhere, is left alone. Returns how many."""
        done = 0
        for visit_id, arrived in open_visits:
            departure = {
                "departed_at": departure_for(arrived, at, self.db.timezone),
                "auto_checkout": True,
            }
            still = (Visit.id == visit_id) & Visit.departed_at.is_(None)
            if not self.rewrite(tx, still, functools.partial(_with, values=departure)):
                continue
            done += 1
            tx.audit("visit.auto_check_out", str(visit_id), {"at": at.strftime("%H:%M")})
        return done

    # -- changing a visit: its seal follows ---------------------------------------------

    def rewrite(
        self, tx: UnitOfWork, where: Any, edit: Edit, *, missing: str = ""
    ) -> list[uuid.UUID]:
        """:func:`rewrite` in this repository's database."""
        return rewrite(self.db, tx, where, edit, missing=missing)

    # -- changes by staff ------------------------------------------------------------

    def confirm_minor(self, tx: UnitOfWork, visit_id: uuid.UUID) -> bool:
        """Reception confirmed an under-16's visit (met with their guardian and host):
        the flag that asked for it is cleared. False when it was confirmed already."""
        done = {"needs_confirmation": False}
        changed = self.rewrite(
            tx,
            and_(Visit.id == visit_id, Visit.needs_confirmation.is_(True)),
            lambda p: (p, done),
        )
        if changed:
            tx.audit("visit.confirm_minor", str(visit_id))
        return bool(changed)

    def correct(
        self, tx: UnitOfWork, visit_id: uuid.UUID, changes: dict[str, str | None]
    ) -> list[str]:
        """Re-seal the visit's envelope with corrected fields (already validated by the
        caller); returns the names of the fields that changed."""
        unknown = set(changes) - set(CORRECTABLE)
        if unknown:
            raise ValueError(f"cannot correct {sorted(unknown)}")
        changed: list[str] = []
        contact: list[tuple[str | None, str | None]] = []

        def edit(before: Personal) -> tuple[Personal, dict[str, Any]] | None:
            after = dataclasses.replace(before, **changes)  # type: ignore[arg-type]
            changed.extend(f for f in CORRECTABLE if getattr(before, f) != getattr(after, f))
            if not changed:
                return None
            contact.append((after.email, after.phone))
            values: dict[str, Any] = {}
            if "email" in changed:
                values["email_bidx"] = self.db.email_index(after.email) if after.email else None
            if "phone" in changed:
                values["phone_bidx"] = self.db.phone_index(after.phone) if after.phone else None
            return after, values

        # Locked (PostgreSQL) until this commits: a correction at another desk waits and
        # then re-seals this one's result, instead of both starting from the same
        # envelope and the later undoing the earlier.
        if not self.rewrite(tx, Visit.id == visit_id, edit, missing=f"visit {visit_id} not found"):
            return []
        if {"email", "phone"} & set(changed):
            self._nda_contact_follows(tx, visit_id, *contact[-1])
        tx.audit("visit.correct", str(visit_id), {"fields": changed})
        return changed

    def complete_earlier_ndas(self, actor: str, batch: int = 500) -> int:
        """NDA acceptances signed before their signer's contact was kept with them
        (migration 0014) get it from their visit while the visit is held, sealed with
        its blind indexes: a rights request then finds them after the visit is purged.
        Batches of ``batch`` visits, each its own unit of work (audited with a count);
        how many acceptances were completed. One whose visit or acceptance does not open
        (damaged, key gone) is left as it was."""
        done = 0
        skipped: set[uuid.UUID] = set()
        while True:
            with db_errors(), self.db.read_connection() as conn:
                stmt = (
                    select(NdaAcceptance.visit_id)
                    .where(NdaAcceptance.contact_ct.is_(None), NdaAcceptance.visit_id.is_not(None))
                    .distinct()
                    .limit(batch + len(skipped))
                )
                found = conn.execute(stmt).scalars()
                pending = [v for v in found if v is not None and v not in skipped][:batch]
            if not pending:
                return done
            with self.db.uow(actor) as tx:
                completed = 0
                for visit_id in pending:
                    try:
                        visit = self.get(visit_id)
                    except (NotFound, RecordTampered, KeyDestroyed):
                        skipped.add(visit_id)
                        continue
                    n = self._nda_contact_follows(
                        tx, visit_id, visit.email, visit.phone, earlier=True
                    )
                    if not n:
                        skipped.add(visit_id)
                    completed += n
                if completed:
                    tx.audit("nda.complete_contact", details={"nda_acceptances": completed})
            done += completed

    def _nda_contact_follows(
        self,
        tx: UnitOfWork,
        visit_id: uuid.UUID,
        email: str | None,
        phone: str | None,
        *,
        earlier: bool = False,
    ) -> int:
        """A corrected e-mail or phone reaches the visit's NDA acceptances too (their
        copy, sealed again with its new blind indexes): a later rights request by the
        corrected address finds them after the visit is gone. ``earlier``: instead, the
        acceptances that have no contact yet (signed before 0014) get it. One that does
        not open (damaged) is left as it is. How many were sealed again."""
        has_contact = (
            NdaAcceptance.contact_ct.is_(None) if earlier else NdaAcceptance.contact_ct.is_not(None)
        )
        rows = tx.session.scalars(
            select(NdaAcceptance).where(NdaAcceptance.visit_id == visit_id, has_contact)
        )
        changed = 0
        for row in rows:
            aead, values = self.db.keystore.key_by_id(row.key_id), columns_of(row)
            try:
                name = unseal(
                    aead, "nda_acceptances", "signed_name", row.id, row.key_id,
                    row.signed_name_ct, sealed=nda_seal(values),
                )  # fmt: skip
            except RecordTampered:
                continue
            for column, value in self._nda_sealed(aead, values, name, email, phone).items():
                setattr(row, column, value)
            changed += 1
        return changed

    def _nda_sealed(
        self,
        aead: Any,
        values: dict[str, Any],
        signed_name: str | None,
        email: str | None,
        phone: str | None,
    ) -> dict[str, Any]:
        """An NDA acceptance's signer columns: the blind indexes of their contact, and
        the signed name and the contact sealed under ``aead`` to the row's other columns
        (``values``) and those indexes. At a check-in, and when a correction moves them."""
        db = self.db
        columns: dict[str, Any] = {
            "email_bidx": db.email_index(email) if email else None,
            "phone_bidx": db.phone_index(phone) if phone else None,
        }
        sealed = nda_seal(values | columns)
        ids = (aead, "nda_acceptances")
        row_id, key_id = values["id"], values["key_id"]
        columns["signed_name_ct"] = seal(
            *ids, "signed_name", row_id, key_id, signed_name, sealed=sealed
        )
        columns["contact_ct"] = seal(
            *ids, "contact", row_id, key_id, nda_contact(email, phone), sealed=sealed
        )
        return columns

    def reissue_badge(self, tx: UnitOfWork, visit_id: uuid.UUID) -> str:
        """A new badge code for a visit (the old badge stops working): for reprints."""
        code = new_badge_code()
        badge = {"badge_hash": badge_hash(normalise_badge_code(code) or "")}
        self.rewrite(
            tx, Visit.id == visit_id, lambda p: (p, badge), missing=f"visit {visit_id} not found"
        )
        tx.audit("visit.reprint_badge", str(visit_id))
        return code
