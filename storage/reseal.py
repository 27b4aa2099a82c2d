"""Sealing, once, the rows written before their columns were sealed (storage.sealing).

Migration 0012 leaves a mark when the database holds visits, NDA acceptances or
invitations; the first start with the master key (storage.open) opens each ciphertext:
one that opens with the earlier associated data (no seal) is sealed again (and a visit
given its seal_mac); any other stays as it is (sealed already, or damaged). Then the
mark goes, with an audit event counting what was sealed. A mark put
back later changes nothing: after the first pass no ciphertext opens without its seal.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, select, update

from kiosk.domain.staff import SYSTEM
from storage.codec import seal, seal_personal, unseal, unseal_personal
from storage.database import Database
from storage.engine import db_errors
from storage.errors import KeyDestroyed, RecordTampered
from storage.models import Invitation, NdaAcceptance, SealUpgrade, Visit
from storage.sealing import columns_of, invitation_seal, listed_text, nda_seal, seal_mac

BATCH = 2000


def seal_earlier_rows(db: Database) -> dict[str, int]:
    """Seal what the previous version wrote unsealed; {table: rows sealed} (empty when
    there was nothing to do)."""
    with db_errors(), db.read_session() as s:
        if s.get(SealUpgrade, 1) is None:
            return {}
    done = {
        "visits": _visits(db),
        "nda_acceptances": _orm_rows(db, NdaAcceptance, _nda),
        "invitations": _orm_rows(db, Invitation, _invitation),
    }
    with db.uow(SYSTEM.name) as tx:
        tx.session.execute(delete(SealUpgrade))
        tx.audit("records.sealed", details=done)
    return done


def _visits(db: Database) -> int:
    count, after = 0, uuid.UUID(int=0)
    while True:
        with db.uow(SYSTEM.name) as tx:
            rows = tx.session.execute(
                select(*Visit.__table__.columns)
                .where(Visit.id > after)
                .order_by(Visit.id)
                .limit(BATCH)
            ).all()
            for found in rows:
                row = dict(found._mapping)
                visit_id, key_id = row["id"], row["key_id"]
                try:
                    aead = db.keystore.key_by_id(key_id)
                except KeyDestroyed:
                    continue
                values = _sealed_again(aead, row)
                if values is None:
                    continue
                values["seal_mac"] = seal_mac(db.seal_key, row)
                tx.session.execute(update(Visit).where(Visit.id == visit_id).values(**values))
                count += 1
        if len(rows) < BATCH:
            return count
        after = rows[-1].id


def _sealed_again(aead: Any, row: dict[str, Any]) -> dict[str, Any] | None:
    """What a visit row needs: its envelope sealed (it opens without the seal: written
    before it, a sealed one never does), or only its seal_mac (a database taken back
    below migration 0012 and up again lost the column); None: nothing, or it opens
    neither way (damaged)."""
    visit_id, key_id, blob = row["id"], row["key_id"], row["personal_ct"]
    try:
        personal = unseal_personal(aead, visit_id, key_id, blob)
    except RecordTampered:
        pass
    else:
        return {
            "personal_ct": seal_personal(aead, visit_id, key_id, personal, sealed=listed_text(row))
        }
    if row["seal_mac"] is not None:
        return None
    try:
        unseal_personal(aead, visit_id, key_id, blob, sealed=listed_text(row))
    except RecordTampered:
        return None
    return {}


def _nda(aead: Any, row: Any) -> None:
    """Seal an NDA acceptance's signed name again (RecordTampered: it does not open
    without the seal, so it is sealed already, or damaged)."""
    ids = (aead, "nda_acceptances", "signed_name", row.id, row.key_id)
    name = unseal(*ids, row.signed_name_ct)
    row.signed_name_ct = seal(*ids, name, sealed=nda_seal(columns_of(row)))


def _invitation(aead: Any, row: Any) -> None:
    """Seal an invitation's envelope again (RecordTampered as for :func:`_nda`)."""
    ids = (aead, row.id, row.key_id)
    personal = unseal_personal(*ids, row.personal_ct, "invitations")
    row.personal_ct = seal_personal(
        *ids, personal, "invitations", sealed=invitation_seal(columns_of(row))
    )


def _orm_rows(db: Database, model: Any, again: Callable[[Any, Any], None]) -> int:
    count, after = 0, uuid.UUID(int=0)
    while True:
        with db.uow(SYSTEM.name) as tx:
            rows = list(
                tx.session.scalars(
                    select(model).where(model.id > after).order_by(model.id).limit(BATCH)
                )
            )
            for row in rows:
                try:
                    again(db.keystore.key_by_id(row.key_id), row)
                except (KeyDestroyed, RecordTampered):
                    continue
                count += 1
        if len(rows) < BATCH:
            return count
        after = rows[-1].id
