"""A visitor's rights: the NDA acceptances of their visits, restricting their use,
withdrawing consent to health screening, and erasure.

Finding the person's visits goes through the blind index (the visits repository); their
invitations are decrypted and compared (the invitations repository). Every change here
runs in the caller's unit of work with an audit event of ids and counts, never the
person's data.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, or_, select

from kiosk.domain.notifications import HOST_ARRIVAL
from kiosk.domain.rights import ErasureReport, NdaRecord, same_person
from kiosk.domain.visits import ScreeningOutcome
from storage.codec import Personal, unseal
from storage.database import Database
from storage.engine import db_errors
from storage.errors import KeyDestroyed, RecordTampered
from storage.models import (
    HealthScreening,
    Invitation,
    NdaAcceptance,
    OutboxMessage,
    ShownDocument,
    Visit,
)
from storage.repositories.visits import rewrite
from storage.sealing import columns_of, nda_seal
from storage.unit_of_work import UnitOfWork


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


class RightsRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    def nda_acceptances(
        self,
        visit_ids: Sequence[uuid.UUID],
        *,
        email: str | None = None,
        phone: str | None = None,
    ) -> list[NdaRecord]:
        """The NDA acceptances of these visits and, whether or not their visit still
        exists, those signed with this e-mail address or phone number (found through
        the blind index, then confirmed against the contact sealed with them),
        decrypted, with the text signed."""
        site = NdaAcceptance.site_id == self.db.site_id
        where: list[ColumnElement[bool]] = []
        if visit_ids:  # (this site's visits: no site condition, which SQLite without
            # statistics would take to walk a (site, index) index whole)
            where.append(NdaAcceptance.visit_id.in_(visit_ids))
        if email:
            where.append(and_(site, NdaAcceptance.email_bidx == self.db.email_index(email)))
        if phone:
            where.append(and_(site, NdaAcceptance.phone_bidx == self.db.phone_index(phone)))
        if not where:
            return []
        query = select(NdaAcceptance, ShownDocument.text).outerjoin(
            ShownDocument,
            and_(
                ShownDocument.sha256 == NdaAcceptance.document_sha256,
                ShownDocument.kind == "nda",
                ShownDocument.language == NdaAcceptance.document_language,
            ),
        )
        with db_errors(), self.db.read_session() as s:
            # One query per way in, each on its own index (as one query with OR, SQLite
            # walked the whole table: 280 ms among 900,000).
            found: dict[uuid.UUID, tuple[NdaAcceptance, str | None]] = {}
            for condition in where:
                for row, text in s.execute(query.where(condition)):
                    found[row.id] = (row, text)
            rows = sorted(found.values(), key=lambda r: (r[0].created_at, r[0].id))
            wanted = set(visit_ids)
            records = []
            for row, document_text in rows:
                record, contact = self._nda(row, document_text)
                held = contact or {}
                if row.visit_id in wanted or same_person(
                    held.get("email"), held.get("phone"), email, phone
                ):
                    records.append(record)
            return records

    def _nda(
        self, row: NdaAcceptance, document_text: str | None
    ) -> tuple[NdaRecord, dict[str, Any] | None]:
        """The record, and the signer's contact when it was sealed with it."""
        problem, contact = None, None
        try:
            aead = self.db.keystore.key_by_id(row.key_id)
            ids = (aead, "nda_acceptances")
            sealed = nda_seal(columns_of(row))
            name = unseal(
                *ids, "signed_name", row.id, row.key_id, row.signed_name_ct, sealed=sealed
            )
            if row.contact_ct is not None:
                text = unseal(*ids, "contact", row.id, row.key_id, row.contact_ct, sealed=sealed)
                contact = json.loads(text) if text else None
        except (KeyDestroyed, RecordTampered) as exc:
            name, problem = None, str(exc)
        record = NdaRecord(
            row.id,
            row.visit_id,
            row.created_at,
            name,
            row.document_version,
            row.document_language,
            row.document_sha256,
            document_text,
            problem,
        )
        return record, contact

    def privacy_shown(self, visit_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, tuple[str, str]]:
        """The privacy notice each of these visits was shown: its version and SHA-256."""
        if not visit_ids:
            return {}
        with db_errors(), self.db.read_session() as s:
            rows = s.execute(
                select(Visit.id, Visit.privacy_version, Visit.privacy_sha256).where(
                    Visit.id.in_(visit_ids)
                )
            )
            return {visit_id: (version, sha256) for visit_id, version, sha256 in rows}

    def withdraw_consent(self, tx: UnitOfWork, visit_ids: Sequence[uuid.UUID]) -> int:
        """The visitor withdraws their consent to health screening: the outcome leaves the
        visits' envelopes (re-sealed), stored answers are deleted and the flag it raised
        is cleared. Returns the number of visits that held screening data."""
        s = tx.session

        def edit(before: Personal) -> tuple[Personal, dict[str, Any]] | None:
            if before.screening in (None, ScreeningOutcome.NOT_ASKED.value):
                return None
            return dataclasses.replace(before, screening=None), {"flagged": False}

        # Locked (PostgreSQL) until this commits, in id order: a correction at a desk
        # meanwhile waits, then re-seals this result, and cannot seal the outcome back.
        changed = len(rewrite(self.db, tx, Visit.id.in_(visit_ids), edit))
        answers = s.execute(delete(HealthScreening).where(HealthScreening.visit_id.in_(visit_ids)))
        tx.audit(
            "person.withdraw_consent", details={"visits": changed, "answers": _rowcount(answers)}
        )
        return changed

    def drop_host_notifications(self, tx: UnitOfWork, visit_ids: Sequence[uuid.UUID]) -> int:
        """Delete the e-mails to hosts about these visits that have not gone out (the
        visitor objected to them); how many."""
        if not visit_ids:
            return 0
        dropped = tx.session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.visit_id.in_(visit_ids),
                OutboxMessage.kind == HOST_ARRIVAL,
                OutboxMessage.sent_at.is_(None),
            )
        )
        return _rowcount(dropped)

    def set_restricted(
        self, tx: UnitOfWork, visit_ids: Sequence[uuid.UUID], restricted: bool
    ) -> int:
        """Mark visits restricted (left out of exports unless an admin asks) or lift it."""
        if not visit_ids:
            return 0
        flag = {"restricted": restricted}
        changed = rewrite(self.db, tx, Visit.id.in_(visit_ids), lambda p: (p, flag))
        action = "person.restrict" if restricted else "person.unrestrict"
        tx.audit(action, details={"visits": len(visit_ids)})
        return len(changed)

    def erase(
        self,
        tx: UnitOfWork,
        visit_ids: Sequence[uuid.UUID],
        invitation_ids: Sequence[uuid.UUID] = (),
        nda_ids: Sequence[uuid.UUID] = (),
    ) -> ErasureReport:
        """Delete these visits with their NDA acceptances and notifications, these NDA
        acceptances (whose visits may be gone), and these invitations with their e-mails."""
        s = tx.session
        nda = s.execute(
            delete(NdaAcceptance).where(
                or_(NdaAcceptance.visit_id.in_(visit_ids), NdaAcceptance.id.in_(nda_ids))
            )
        )
        out = s.execute(
            delete(OutboxMessage).where(  # host notifications, and invitation e-mails
                or_(
                    OutboxMessage.visit_id.in_(visit_ids),
                    OutboxMessage.invitation_id.in_(invitation_ids),
                )
            )
        )
        invited = s.execute(delete(Invitation).where(Invitation.id.in_(invitation_ids)))
        s.execute(delete(Visit).where(Visit.id.in_(visit_ids)))
        tx.audit(
            "person.erase",
            details={
                "visits": len(visit_ids),
                "invitations": _rowcount(invited),
                "nda_acceptances": _rowcount(nda),
                # Ids only: the on-site list then knows these are gone on purpose.
                "visit_ids": sorted(str(v) for v in visit_ids),
            },
        )
        return ErasureReport(
            visits=len(visit_ids),
            nda_acceptances=_rowcount(nda),
            outbox=_rowcount(out),
            invitations=_rowcount(invited),
        )
