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
from storage.unit_of_work import UnitOfWork

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


def _nda(db: Database, tx: UnitOfWork, row: Any) -> bool:
    return _again(
        db, tx, row, "nda_acceptances", "signed_name", "signed_name_ct", nda_seal(columns_of(row))
    )


def _invitation(db: Database, tx: UnitOfWork, row: Any) -> bool:
    return _again(
        db, tx, row, "invitations", "personal", "personal_ct", invitation_seal(columns_of(row))
    )


def _again(
    db: Database, tx: UnitOfWork, row: Any, table: str, column: str, attr: str, sealed: str
) -> bool:
    """Seal one ORM row's ciphertext again if it opens only without its seal."""
    try:
        aead = db.keystore.key_by_id(row.key_id)
    except KeyDestroyed:
        return False
    blob = getattr(row, attr)
    if column == "personal":
        try:
            unseal_personal(aead, row.id, row.key_id, blob, table, sealed=sealed)
            return False
        except RecordTampered:
            pass
        try:
            personal = unseal_personal(aead, row.id, row.key_id, blob, table)
        except RecordTampered:
            return False
        setattr(row, attr, seal_personal(aead, row.id, row.key_id, personal, table, sealed=sealed))
        return True
    try:
        unseal(aead, table, column, row.id, row.key_id, blob, sealed=sealed)
        return False
    except RecordTampered:
        pass
    try:
        value = unseal(aead, table, column, row.id, row.key_id, blob)
    except RecordTampered:
        return False
    setattr(row, attr, seal(aead, table, column, row.id, row.key_id, value, sealed=sealed))
    return True


def _orm_rows(db: Database, model: Any, again: Callable[[Database, UnitOfWork, Any], bool]) -> int:
    count, after = 0, uuid.UUID(int=0)
    while True:
        with db.uow(SYSTEM.name) as tx:
            rows = list(
                tx.session.scalars(
                    select(model).where(model.id > after).order_by(model.id).limit(BATCH)
                )
            )
            count += sum(again(db, tx, row) for row in rows)
        if len(rows) < BATCH:
            return count
        after = rows[-1].id
