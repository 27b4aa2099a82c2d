"""Pre-registrations: an invitation code fills the kiosk form for an expected visitor."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from kiosk.domain.codes import new_badge_code, normalise_badge_code
from kiosk.domain.invitations import InvitationRecord, NewInvitation
from kiosk.domain.notifications import INVITATION
from kiosk.domain.retention import Category
from kiosk.domain.visits import VisitorType
from storage.codec import Personal, seal_personal, unseal_personal
from storage.database import Database
from storage.engine import db_errors
from storage.errors import KeyDestroyed, RecordTampered
from storage.models import Invitation, OutboxMessage
from storage.repositories.outbox import message_row
from storage.sealing import columns_of, invitation_seal
from storage.unit_of_work import UnitOfWork


def _code_hash(code: str) -> bytes:
    return hashlib.sha256(b"kiosk-invite:" + code.encode()).digest()


class InvitationRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(
        self, tx: UnitOfWork, inv: NewInvitation, *, email_in: str | None = None
    ) -> tuple[uuid.UUID, str]:
        """Store an invitation; returns its id and the code to give the visitor. With
        ``email_in`` (a language), an e-mail to the visitor's address carrying the code
        is queued in the same transaction (the notifier sends it; see kiosk notify)."""
        if email_in is not None and not inv.email:
            raise ValueError("an invitation can only be e-mailed to an e-mail address")
        db = self.db
        key_id, aead = db.keystore.key_for_day(db.site_id, Category.VISIT, inv.expected_day)
        row_id = uuid.uuid4()
        code = new_badge_code()
        personal = Personal(inv.name, inv.email, inv.phone, inv.company, inv.host_name)
        s = tx.session
        values: dict[str, Any] = dict(
            id=row_id,
            site_id=db.site_id,
            key_id=key_id,
            code_hash=_code_hash(normalise_badge_code(code) or ""),
            expected_day=inv.expected_day,
            created_at=tx.now,
            visitor_type=inv.visitor_type.value,
            host_id=inv.host_id,
        )
        sealed = invitation_seal(values)
        values["personal_ct"] = seal_personal(
            aead, row_id, key_id, personal, "invitations", sealed=sealed
        )
        s.add(Invitation(**values))
        s.flush()
        if email_in is not None:
            s.add(self._email(inv, row_id, code, email_in, tx.now))
        tx.audit(
            "invitation.create",
            str(row_id),
            {"day": inv.expected_day.isoformat(), "emailed": email_in is not None},
        )
        return row_id, code

    def _email(
        self, inv: NewInvitation, row_id: uuid.UUID, code: str, language: str, now: datetime
    ) -> OutboxMessage:
        """The outbox row of an invitation's e-mail: sealed under the outbox key of the
        day, so it expires with the other notifications."""
        payload = {
            "to": inv.email,
            "visitor": inv.name,
            "host": inv.host_name,
            "day": inv.expected_day.isoformat(),
            "code": code,
            "language": language,
        }
        row = message_row(
            self.db, now, INVITATION, payload, host_id=inv.host_id, invitation_id=row_id
        )
        return OutboxMessage(**row)

    def find(self, code: str, day: date) -> InvitationRecord | None:
        """The unused invitation for ``code`` expected on ``day``, or None."""
        canonical = normalise_badge_code(code)
        if canonical is None:
            return None
        with db_errors(), self.db.read_session() as s:
            row = s.scalar(select(Invitation).where(Invitation.code_hash == _code_hash(canonical)))
        if row is None or row.expected_day != day or row.used_visit_id is not None:
            return None
        return self._record(row)

    def expected_day(self, code: str) -> date | None:
        """The day an unused invitation of this site with ``code`` is expected, any day."""
        canonical = normalise_badge_code(code)
        if canonical is None:
            return None
        with db_errors(), self.db.read_session() as s:
            row = s.execute(
                select(Invitation.expected_day, Invitation.used_visit_id).where(
                    Invitation.code_hash == _code_hash(canonical),
                    Invitation.site_id == self.db.site_id,
                )
            ).first()
        return None if row is None or row.used_visit_id is not None else row.expected_day

    def for_day(self, day: date) -> list[InvitationRecord]:
        """Every invitation expected on ``day`` (used or not), decrypted."""
        with db_errors(), self.db.read_session() as s:
            rows = list(
                s.scalars(
                    select(Invitation).where(
                        Invitation.site_id == self.db.site_id, Invitation.expected_day == day
                    )
                )
            )
        return [self._record(row) for row in rows]

    def of_person(self, *, email: str | None, phone: str | None) -> list[InvitationRecord]:
        """This site's invitations for one person (exact e-mail or phone). Invitations have
        no blind index: there are few (today onwards, within retention), so each is
        decrypted and compared; unreadable ones are skipped."""
        with db_errors(), self.db.read_session() as s:
            rows = list(s.scalars(select(Invitation).where(Invitation.site_id == self.db.site_id)))
        found = []
        for row in rows:
            try:
                inv = self._record(row)
            except (KeyDestroyed, RecordTampered):
                continue
            if (email and inv.email and inv.email.casefold() == email.casefold()) or (
                phone and inv.phone == phone
            ):
                found.append(inv)
        return found

    def _record(self, row: Invitation) -> InvitationRecord:
        p = unseal_personal(
            self.db.keystore.key_by_id(row.key_id),
            row.id,
            row.key_id,
            row.personal_ct,
            "invitations",
            sealed=invitation_seal(columns_of(row)),
        )
        return InvitationRecord(
            id=row.id,
            expected_day=row.expected_day,
            visitor_type=VisitorType(row.visitor_type),
            host_id=row.host_id,
            name=p.name,
            email=p.email,
            phone=p.phone,
            company=p.company,
            host_name=p.host_name,
            used=row.used_visit_id is not None,
        )

    def mark_used(self, tx: UnitOfWork, invitation_id: uuid.UUID, visit_id: uuid.UUID) -> None:
        """In the check-in's own unit of work (on its driver cursor): the invitation
        becomes used by that visit, unless it was used meanwhile (it stays the first's).
        An invitation erased meanwhile leaves nothing to mark: the visitor still checks
        in."""
        tx.writes.update(
            Invitation.__table__,  # type: ignore[arg-type]
            {"used_visit_id": visit_id},
            {"id": invitation_id, "used_visit_id": None},
        )
