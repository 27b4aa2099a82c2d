"""Changes to a stored visit by staff: corrections and re-issued badges. Each is one
transaction with its audit event (ids and field names, never the values)."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime

from sqlalchemy import select, update

from storage import audit
from storage.codec import Personal, seal_personal, unseal_personal
from storage.codes import new_badge_code, normalise_badge_code
from storage.crypto import badge_hash
from storage.engine import db_errors
from storage.errors import NotFound
from storage.models import Visit
from storage.store import Store

CORRECTABLE = ("name", "email", "phone", "company", "host_name")


class VisitChanges:
    def __init__(self, store: Store) -> None:
        self.store = store

    def correct(
        self, visit_id: uuid.UUID, changes: dict[str, str | None], *, actor: str
    ) -> list[str]:
        """Re-seal the visit's envelope with corrected fields (already validated by the
        caller); returns the names of the fields that changed."""
        unknown = set(changes) - set(CORRECTABLE)
        if unknown:
            raise ValueError(f"cannot correct {sorted(unknown)}")
        with db_errors(), self.store.write_session() as s, s.begin():
            # Locked (PostgreSQL) until this commits: a correction at another desk waits
            # and then re-seals this one's result, instead of both starting from the
            # same envelope and the later undoing the earlier.
            row = s.execute(
                select(Visit.key_id, Visit.personal_ct)
                .where(Visit.id == visit_id)
                .with_for_update()
            ).first()
            if row is None:
                raise NotFound(f"visit {visit_id} not found")
            aead = self.store.keystore.key_by_id(row.key_id)
            before = unseal_personal(aead, visit_id, row.key_id, row.personal_ct)
            after = dataclasses.replace(before, **changes)  # type: ignore[arg-type]
            changed = [f for f in CORRECTABLE if getattr(before, f) != getattr(after, f)]
            if not changed:
                return []
            values: dict[str, object] = {
                "personal_ct": seal_personal(aead, visit_id, row.key_id, after)
            }
            if "email" in changed:
                values["email_bidx"] = self.store.email_index(after.email) if after.email else None
            if "phone" in changed:
                values["phone_bidx"] = self.store.phone_index(after.phone) if after.phone else None
            s.execute(update(Visit).where(Visit.id == visit_id).values(**values))
            audit.append(
                s,
                self.store.audit_key,
                at=datetime.now(UTC),
                actor=actor,
                action="visit.correct",
                object_id=str(visit_id),
                details={"fields": changed},
            )
        self.store.sync_checkpoint()
        return changed

    def reissue_badge(self, visit_id: uuid.UUID, *, actor: str) -> str:
        """A new badge code for a visit (the old badge stops working): for reprints."""
        code = new_badge_code()
        with db_errors(), self.store.write_session() as s, s.begin():
            result = s.execute(
                update(Visit)
                .where(Visit.id == visit_id)
                .values(badge_hash=badge_hash(normalise_badge_code(code) or ""))
            )
            if not getattr(result, "rowcount", 0):
                raise NotFound(f"visit {visit_id} not found")
            audit.append(
                s,
                self.store.audit_key,
                at=datetime.now(UTC),
                actor=actor,
                action="visit.reprint_badge",
                object_id=str(visit_id),
            )
        self.store.sync_checkpoint()
        return code


__all__ = ["CORRECTABLE", "Personal", "VisitChanges"]
