"""Staff accounts: rows only; hashing and PIN policy live in kiosk.services.staff."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from kiosk.domain.staff import StaffRow
from storage.database import Database
from storage.engine import db_errors
from storage.errors import NotFound, StorageError
from storage.models import StaffAccount
from storage.unit_of_work import UnitOfWork


def _row(a: StaffAccount) -> StaffRow:
    return StaffRow(a.id, a.username, a.role, a.pin_hash, a.failed_attempts, a.locked_until)


class StaffRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, tx: UnitOfWork, username: str, role: str, pin_hash: str) -> uuid.UUID:
        """Raises StorageError when the name is taken (the unit of work then rolls back)."""
        account_id = uuid.uuid4()
        tx.session.add(
            StaffAccount(
                id=account_id,
                username=username,
                role=role,
                pin_hash=pin_hash,
                failed_attempts=0,
                created_at=tx.now,
            )
        )
        try:
            tx.session.flush()
        except IntegrityError:
            raise StorageError(f"a staff account named {username!r} already exists") from None
        tx.audit("staff.add", str(account_id), {"role": role})
        return account_id

    def get(self, username: str) -> StaffRow | None:
        with db_errors(), self.db.read_session() as s:
            found = s.scalar(select(StaffAccount).where(StaffAccount.username == username))
            return _row(found) if found else None

    def all(self) -> list[StaffRow]:
        with db_errors(), self.db.read_session() as s:
            return [
                _row(a) for a in s.scalars(select(StaffAccount).order_by(StaffAccount.username))
            ]

    def remove(self, tx: UnitOfWork, username: str) -> None:
        found = tx.session.scalar(select(StaffAccount.id).where(StaffAccount.username == username))
        if found is None:
            raise NotFound(f"no staff account named {username!r}")
        tx.session.execute(delete(StaffAccount).where(StaffAccount.id == found))
        tx.audit("staff.remove", str(found))

    def set_hash(self, tx: UnitOfWork, account_id: uuid.UUID, pin_hash: str) -> None:
        tx.session.execute(
            update(StaffAccount).where(StaffAccount.id == account_id).values(pin_hash=pin_hash)
        )

    def record_attempt(
        self,
        tx: UnitOfWork,
        account_id: uuid.UUID,
        *,
        ok: bool,
        locked_until: datetime | None = None,
    ) -> None:
        """Reset the failure counter on success; count a failure (and a lock) otherwise."""
        values: dict[str, object]
        if ok:
            values = {"failed_attempts": 0, "locked_until": None}
        else:
            values = {
                "failed_attempts": StaffAccount.failed_attempts + 1,
                "locked_until": locked_until,
            }
        tx.session.execute(
            update(StaffAccount).where(StaffAccount.id == account_id).values(**values)
        )
