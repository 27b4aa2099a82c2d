"""The register of visitors' rights requests (kiosk.domain.requests), encrypted: the
person's contact, reasons, notes and the actions taken are sealed together under a data
key of the request category; the columns the register is sorted and counted by (kind,
dates, status) are in the seal, and every change is audited with ids and counts only."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select

from kiosk.domain.codes import names_record
from kiosk.domain.requests import (
    RequestAction,
    RequestKind,
    RequestStatus,
    RightsRequest,
    due_on,
    objected_purposes,
)
from kiosk.domain.retention import Category
from kiosk.domain.rights import same_person
from storage.codec import seal, unseal
from storage.database import Database
from storage.engine import db_errors
from storage.errors import KeyDestroyed, NotFound, RecordTampered
from storage.ids import time_ordered_id
from storage.models import RightsRequestRow
from storage.sealing import columns_of, request_seal
from storage.unit_of_work import UnitOfWork

TABLE, COLUMN = "rights_requests", "personal"
OBJECTIONS_FRESH_S = 30.0
"""How long a process trusts its list of the blind indexes objection requests carry
before reading it again: an objection recorded by another process (the command line,
another kiosk) holds for its check-ins within this time; one recorded here, at once."""


class RequestRepository:
    def __init__(self, db: Database) -> None:
        self.db = db
        # (read at, e-mail indexes, phone indexes) of this site's objection requests
        self._objecting: tuple[float, frozenset[int], frozenset[int]] | None = None

    def open(
        self,
        tx: UnitOfWork,
        kind: RequestKind,
        channel: str,
        received_on: date,
        email: str | None,
        phone: str | None,
    ) -> uuid.UUID:
        """A new request, open, due a month after ``received_on``."""
        db = self.db
        key_id, aead = db.keystore.key_for_day(db.site_id, Category.REQUEST, tx.now.date())
        row = RightsRequestRow(
            id=time_ordered_id(tx.now),
            site_id=db.site_id,
            key_id=key_id,
            created_at=tx.now,
            kind=kind.value,
            channel=channel,
            received_on=received_on,
            due_on=due_on(received_on),
            extended_months=0,
            status=RequestStatus.OPEN.value,
            closed_at=None,
            email_bidx=db.email_index(email) if email else None,
            phone_bidx=db.phone_index(phone) if phone else None,
        )
        personal = {"email": email, "phone": phone, "extension_reason": "", "note": ""}
        row.personal_ct = self._seal(aead, row, {**personal, "actions": []})
        tx.session.add(row)
        tx.audit("rights.request.open", str(row.id), {"kind": kind.value, "channel": channel})
        tx.after_commit(self._forget_objecting)
        return row.id

    def _forget_objecting(self) -> None:
        self._objecting = None

    def _objecting_indexes(self) -> tuple[frozenset[int], frozenset[int]]:
        """The blind indexes of this site's objection requests (columns only: no
        decryption), read again when older than OBJECTIONS_FRESH_S."""
        held = self._objecting
        if held is None or time.monotonic() - held[0] > OBJECTIONS_FRESH_S:
            with db_errors(), self.db.read_connection() as conn:
                rows = conn.execute(
                    select(RightsRequestRow.email_bidx, RightsRequestRow.phone_bidx).where(
                        RightsRequestRow.site_id == self.db.site_id,
                        RightsRequestRow.kind == RequestKind.OBJECTION.value,
                    )
                ).all()
            emails = frozenset(e for e, _p in rows if e is not None)
            phones = frozenset(p for _e, p in rows if p is not None)
            held = self._objecting = (time.monotonic(), emails, phones)
        return held[1], held[2]

    def _seal(self, aead: Any, row: RightsRequestRow, personal: dict[str, Any]) -> bytes:
        text = json.dumps(personal, ensure_ascii=False)
        sealed = seal(
            aead, TABLE, COLUMN, row.id, row.key_id, text, sealed=request_seal(columns_of(row))
        )
        assert sealed is not None
        return sealed

    def _personal(self, row: RightsRequestRow) -> dict[str, Any]:
        """The sealed part of a request; KeyDestroyed or RecordTampered when it cannot be
        read."""
        aead = self.db.keystore.key_by_id(row.key_id)
        text = unseal(
            aead, TABLE, COLUMN, row.id, row.key_id, row.personal_ct,
            sealed=request_seal(columns_of(row)),
        )  # fmt: skip
        return dict(json.loads(text or "{}"))

    def _record(self, row: RightsRequestRow) -> RightsRequest:
        p = self._personal(row)
        return RightsRequest(
            id=row.id,
            kind=RequestKind(row.kind),
            channel=row.channel,
            received_on=row.received_on,
            due_on=row.due_on,
            extended_months=row.extended_months,
            status=RequestStatus(row.status),
            closed_at=row.closed_at,
            email=p.get("email"),
            phone=p.get("phone"),
            extension_reason=p.get("extension_reason", ""),
            note=p.get("note", ""),
            actions=tuple(
                RequestAction(datetime.fromisoformat(at), action, actor)
                for at, action, actor in p.get("actions", [])
            ),
        )

    def all(self) -> list[RightsRequest]:
        """Every request of this site held."""
        with db_errors(), self.db.read_session() as s:
            rows = s.scalars(
                select(RightsRequestRow).where(RightsRequestRow.site_id == self.db.site_id)
            )
            return self._readable(rows)

    def _readable(self, rows: Iterable[RightsRequestRow]) -> list[RightsRequest]:
        """These rows as requests, but for one that cannot be read (key shredded, row
        altered)."""
        found = []
        for row in rows:
            try:
                found.append(self._record(row))
            except (KeyDestroyed, RecordTampered):
                continue
        return found

    def of_person(
        self, *, email: str | None = None, phone: str | None = None
    ) -> list[RightsRequest]:
        """This person's requests: found through the blind index, confirmed against the
        sealed contact (a truncated index also finds other people's)."""
        where = []
        if email:
            where.append(RightsRequestRow.email_bidx == self.db.email_index(email))
        if phone:
            where.append(RightsRequestRow.phone_bidx == self.db.phone_index(phone))
        if not where:
            return []
        with db_errors(), self.db.read_session() as s:
            rows = s.scalars(
                select(RightsRequestRow)
                .where(RightsRequestRow.site_id == self.db.site_id, or_(*where))
                .order_by(RightsRequestRow.created_at)
            )
            held = self._readable(rows)
        return [r for r in held if same_person(r.email, r.phone, email, phone)]

    def objections(self, email: str | None, phone: str | None) -> frozenset[str]:
        """What a person with this contact objected to (the purposes upheld on their
        objection requests). Looked up at every check-in: their blind indexes are first
        checked against the (cached) indexes of the objection requests, which finds
        nothing for almost everyone; a candidate is read, decrypted and confirmed."""
        emails, phones = self._objecting_indexes()
        where = []
        if email and (index := self.db.email_index(email)) in emails:
            where.append(RightsRequestRow.email_bidx == index)
        if phone and (index := self.db.phone_index(phone)) in phones:
            where.append(RightsRequestRow.phone_bidx == index)
        if not where:
            return frozenset()
        with db_errors(), self.db.read_session() as s:
            rows = list(
                s.scalars(
                    select(RightsRequestRow).where(
                        RightsRequestRow.site_id == self.db.site_id,
                        RightsRequestRow.kind == RequestKind.OBJECTION.value,
                        or_(*where),
                    )
                )
            )
            held = self._readable(rows) if rows else []
        purposes: set[str] = set()
        for r in held:
            if same_person(r.email, r.phone, email, phone):
                purposes |= objected_purposes(r.actions)
        return frozenset(purposes)

    def find(self, ref: str) -> RightsRequest:
        """The request ``ref`` names (kiosk.domain.codes.names_record: its id, or the 8
        characters the register lists); NotFound when none or several."""
        with db_errors(), self.db.read_session() as s:
            rows = [
                row
                for row in s.scalars(
                    select(RightsRequestRow).where(RightsRequestRow.site_id == self.db.site_id)
                )
                if names_record(ref, row.id)
            ]
        if len(rows) != 1:
            raise NotFound(f"no single rights request with id {ref!r}")
        return self._record(rows[0])

    def overdue(self, today: date) -> int:
        """How many requests of this site are open past their due date (no decryption)."""
        with db_errors(), self.db.read_session() as s:
            return int(
                s.scalar(
                    select(func.count())
                    .select_from(RightsRequestRow)
                    .where(
                        RightsRequestRow.site_id == self.db.site_id,
                        RightsRequestRow.status == RequestStatus.OPEN.value,
                        RightsRequestRow.due_on < today,
                    )
                )
                or 0
            )

    def change(
        self,
        tx: UnitOfWork,
        request_id: uuid.UUID,
        audit_action: str,
        *,
        columns: dict[str, Any] | None = None,
        personal: dict[str, Any] | None = None,
        action: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> RightsRequest:
        """Change a request's columns and sealed part, sealed again, in ``tx``; with
        ``action``, record that it was done for the request (when, by whom)."""
        s = tx.session
        row = s.scalars(
            select(RightsRequestRow).where(RightsRequestRow.id == request_id).with_for_update()
        ).one_or_none()
        if row is None:
            raise NotFound(f"rights request {request_id} not found")
        sealed = self._personal(row)
        sealed.update(personal or {})
        if action is not None:
            sealed.setdefault("actions", []).append([tx.now.isoformat(), action, tx.actor])
        for name, value in (columns or {}).items():
            setattr(row, name, value)
        aead = self.db.keystore.key_by_id(row.key_id)
        row.personal_ct = self._seal(aead, row, sealed)
        tx.audit(audit_action, str(request_id), details or {})
        tx.after_commit(self._forget_objecting)
        s.flush()
        return self._record(row)
