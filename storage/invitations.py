"""Pre-registrations: an invitation code fills the kiosk form for an expected visitor."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select, update

from storage import audit
from storage.codec import Personal, seal, seal_personal, unseal_personal
from storage.codes import new_badge_code, normalise_badge_code
from storage.engine import db_errors
from storage.errors import KeyDestroyed, RecordTampered
from storage.models import Invitation, OutboxMessage
from storage.outbox import INVITATION
from storage.records import Category, VisitorType
from storage.store import Store


@dataclass(frozen=True, slots=True)
class NewInvitation:
    name: str
    email: str | None
    phone: str | None
    company: str | None
    expected_day: date
    visitor_type: VisitorType = VisitorType.GUEST
    host_id: uuid.UUID | None = None
    host_name: str | None = None


@dataclass(frozen=True, slots=True)
class InvitationRecord:
    id: uuid.UUID
    expected_day: date
    visitor_type: VisitorType
    host_id: uuid.UUID | None
    name: str
    email: str | None
    phone: str | None
    company: str | None
    host_name: str | None
    used: bool


def _code_hash(code: str) -> bytes:
    return hashlib.sha256(b"kiosk-invite:" + code.encode()).digest()


class InvitationRepository:
    def __init__(self, store: Store) -> None:
        self.store = store

    def create(
        self, inv: NewInvitation, *, actor: str, email_in: str | None = None
    ) -> tuple[uuid.UUID, str]:
        """Store an invitation; returns its id and the code to give the visitor. With
        ``email_in`` (a language), an e-mail to the visitor's address carrying the code
        is queued in the same transaction (the notifier sends it; see kiosk notify)."""
        if email_in is not None and not inv.email:
            raise ValueError("an invitation can only be e-mailed to an e-mail address")
        key_id, aead = self.store.keystore.key_for_day(
            self.store.site_id, Category.VISIT, inv.expected_day
        )
        row_id = uuid.uuid4()
        code = new_badge_code()
        personal = Personal(inv.name, inv.email, inv.phone, inv.company, inv.host_name)
        now = datetime.now(UTC)
        with db_errors(), self.store.write_session() as s, s.begin():
            s.add(
                Invitation(
                    id=row_id,
                    site_id=self.store.site_id,
                    key_id=key_id,
                    code_hash=_code_hash(normalise_badge_code(code) or ""),
                    expected_day=inv.expected_day,
                    created_at=now,
                    visitor_type=inv.visitor_type.value,
                    host_id=inv.host_id,
                    personal_ct=seal_personal(aead, row_id, key_id, personal, "invitations"),
                )
            )
            s.flush()
            if email_in is not None:
                s.add(self._email(inv, row_id, code, email_in, now))
            audit.append(
                s,
                self.store.audit_key,
                at=now,
                actor=actor,
                action="invitation.create",
                object_id=str(row_id),
                details={"day": inv.expected_day.isoformat(), "emailed": email_in is not None},
            )
        self.store.sync_checkpoint()
        return row_id, code

    def _email(
        self, inv: NewInvitation, row_id: uuid.UUID, code: str, language: str, now: datetime
    ) -> OutboxMessage:
        """The outbox row of an invitation's e-mail: sealed under the outbox key of the
        day, so it expires with the other notifications."""
        key_id, aead = self.store.keystore.key_for_day(
            self.store.site_id, Category.OUTBOX, now.date()
        )
        message_id = uuid.uuid4()
        payload = {
            "to": inv.email,
            "visitor": inv.name,
            "host": inv.host_name,
            "day": inv.expected_day.isoformat(),
            "code": code,
            "language": language,
        }
        return OutboxMessage(
            id=message_id,
            site_id=self.store.site_id,
            visit_id=None,
            host_id=inv.host_id,
            invitation_id=row_id,
            key_id=key_id,
            created_at=now,
            kind=INVITATION,
            payload_ct=seal(aead, "outbox", "payload", message_id, key_id, json.dumps(payload)),
            attempts=0,
            next_attempt_at=now,
        )

    def find(self, code: str, day: date) -> InvitationRecord | None:
        """The unused invitation for ``code`` expected on ``day``, or None."""
        canonical = normalise_badge_code(code)
        if canonical is None:
            return None
        with db_errors(), self.store.read_session() as s:
            row = s.scalar(select(Invitation).where(Invitation.code_hash == _code_hash(canonical)))
        if row is None or row.expected_day != day or row.used_visit_id is not None:
            return None
        return self._record(row)

    def for_day(self, day: date) -> list[InvitationRecord]:
        """Every invitation expected on ``day`` (used or not), decrypted."""
        with db_errors(), self.store.read_session() as s:
            rows = list(
                s.scalars(
                    select(Invitation).where(
                        Invitation.site_id == self.store.site_id, Invitation.expected_day == day
                    )
                )
            )
        return [self._record(row) for row in rows]

    def of_person(self, *, email: str | None, phone: str | None) -> list[InvitationRecord]:
        """This site's invitations for one person (exact e-mail or phone). Invitations have
        no blind index: there are few (today onwards, within retention), so each is
        decrypted and compared; unreadable ones are skipped."""
        with db_errors(), self.store.read_session() as s:
            rows = list(
                s.scalars(select(Invitation).where(Invitation.site_id == self.store.site_id))
            )
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
            self.store.keystore.key_by_id(row.key_id),
            row.id,
            row.key_id,
            row.personal_ct,
            "invitations",
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

    def mark_used(self, invitation_id: uuid.UUID, visit_id: uuid.UUID) -> None:
        with db_errors(), self.store.write_session() as s, s.begin():
            s.execute(
                update(Invitation)
                .where(Invitation.id == invitation_id)
                .values(used_visit_id=visit_id)
            )
