"""A visitor's rights: what is held about one person, restricting its use, withdrawing
consent to health screening, and erasure.

Finding goes through the blind index (Store.find_person); invitations are decrypted and
compared. Every action here writes an audit event with ids and counts, never the
person's data.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, delete, select, update

from storage import audit
from storage.codec import seal_personal, unseal, unseal_personal
from storage.engine import db_errors
from storage.errors import KeyDestroyed, RecordTampered
from storage.invitations import InvitationRecord, InvitationRepository
from storage.models import HealthScreening, NdaAcceptance, ShownDocument, Visit
from storage.records import ErasureReport, ScreeningOutcome, VisitRecord
from storage.store import Store


@dataclass(frozen=True, slots=True)
class NdaRecord:
    id: uuid.UUID
    visit_id: uuid.UUID
    signed_at: datetime
    signed_name: str | None  # None when its key is gone or the record is damaged
    document_version: str
    document_language: str
    document_sha256: str
    document_text: str | None  # what was signed (None: accepted before texts were kept)


@dataclass(frozen=True, slots=True)
class PersonData:
    """Everything held about one person: what the blind index leads to, and their
    pre-registrations."""

    visits: list[VisitRecord]
    nda_acceptances: list[NdaRecord]
    invitations: list[InvitationRecord]


class Rights:
    def __init__(self, store: Store) -> None:
        self.store = store

    def collect(
        self, *, actor: str, email: str | None = None, phone: str | None = None
    ) -> PersonData:
        """The person's visits and NDA acceptances, decrypted; audited as a lookup."""
        visits = self.store.find_person(email=email, phone=phone)
        ids = [v.id for v in visits]
        ndas: list[NdaRecord] = []
        if ids:
            with db_errors(), self.store.read_session() as s:
                rows = s.execute(
                    select(NdaAcceptance, ShownDocument.text)
                    .outerjoin(
                        ShownDocument,
                        and_(
                            ShownDocument.sha256 == NdaAcceptance.document_sha256,
                            ShownDocument.kind == "nda",
                            ShownDocument.language == NdaAcceptance.document_language,
                        ),
                    )
                    .where(NdaAcceptance.visit_id.in_(ids))
                    .order_by(NdaAcceptance.created_at)
                )
                for row, document_text in rows:
                    ndas.append(self._nda(row, document_text))
        invitations = InvitationRepository(self.store).of_person(email=email, phone=phone)
        self.store.record_event(
            actor, "person.lookup", details={"visits": len(ids), "invitations": len(invitations)}
        )
        return PersonData(visits, ndas, invitations)

    def erase(
        self, *, actor: str, email: str | None = None, phone: str | None = None
    ) -> ErasureReport:
        """Visits, NDA acceptances, notifications and invitations, in one transaction."""
        invitations = InvitationRepository(self.store).of_person(email=email, phone=phone)
        return self.store.erase_person(
            actor=actor, email=email, phone=phone, invitation_ids=[i.id for i in invitations]
        )

    def withdraw_consent(self, visit_ids: list[uuid.UUID], *, actor: str) -> int:
        """The visitor withdraws their consent to health screening: the outcome leaves the
        visits' envelopes (re-sealed), stored answers are deleted and the flag it raised
        is cleared. Returns the number of visits that held screening data."""
        changed = 0
        with db_errors(), self.store.write_session() as s, s.begin():
            # Locked (PostgreSQL) until this commits, in id order: a correction at a desk
            # meanwhile waits, then re-seals this result, and cannot seal the outcome back.
            rows = s.execute(
                select(Visit.id, Visit.key_id, Visit.personal_ct)
                .where(Visit.id.in_(visit_ids))
                .order_by(Visit.id)
                .with_for_update()
            ).all()
            for visit_id, key_id, blob in rows:
                aead = self.store.keystore.key_by_id(key_id)
                before = unseal_personal(aead, visit_id, key_id, blob)
                if before.screening in (None, ScreeningOutcome.NOT_ASKED.value):
                    continue
                after = dataclasses.replace(before, screening=None)
                s.execute(
                    update(Visit)
                    .where(Visit.id == visit_id)
                    .values(personal_ct=seal_personal(aead, visit_id, key_id, after), flagged=False)
                )
                changed += 1
            answers = s.execute(
                delete(HealthScreening).where(HealthScreening.visit_id.in_(visit_ids))
            )
            audit.append(
                s,
                self.store.audit_key,
                at=datetime.now(UTC),
                actor=actor,
                action="person.withdraw_consent",
                details={"visits": changed, "answers": int(getattr(answers, "rowcount", 0) or 0)},
            )
        self.store.sync_checkpoint()
        return changed

    def _nda(self, row: NdaAcceptance, document_text: str | None) -> NdaRecord:
        try:
            aead = self.store.keystore.key_by_id(row.key_id)
            name = unseal(
                aead, "nda_acceptances", "signed_name", row.id, row.key_id, row.signed_name_ct
            )
        except (KeyDestroyed, RecordTampered):
            name = None
        assert row.visit_id is not None
        return NdaRecord(
            row.id,
            row.visit_id,
            row.created_at,
            name,
            row.document_version,
            row.document_language,
            row.document_sha256,
            document_text,
        )

    def set_restricted(self, visit_ids: list[uuid.UUID], restricted: bool, *, actor: str) -> int:
        """Mark visits restricted (left out of exports unless an admin asks) or lift it."""
        if not visit_ids:
            return 0
        with db_errors(), self.store.write_session() as s, s.begin():
            result = s.execute(
                update(Visit).where(Visit.id.in_(visit_ids)).values(restricted=restricted)
            )
            audit.append(
                s,
                self.store.audit_key,
                at=datetime.now(UTC),
                actor=actor,
                action="person.restrict" if restricted else "person.unrestrict",
                details={"visits": len(visit_ids)},
            )
        self.store.sync_checkpoint()
        return int(getattr(result, "rowcount", 0) or 0)
