"""Staff accounts: rows only; hashing and PIN policy live in kiosk.services.staff."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from storage import audit
from storage.errors import NotFound, StorageError
from storage.models import StaffAccount
from storage.store import Store


@dataclass(frozen=True, slots=True)
class StaffRow:
    id: uuid.UUID
    username: str
    role: str
    pin_hash: str
    failed_attempts: int
    locked_until: datetime | None


def _row(a: StaffAccount) -> StaffRow:
    return StaffRow(a.id, a.username, a.role, a.pin_hash, a.failed_attempts, a.locked_until)


class StaffRepository:
    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, username: str, role: str, pin_hash: str, *, actor: str) -> uuid.UUID:
        account_id = uuid.uuid4()
        try:
            with self.store.write_session() as s, s.begin():
                s.add(
                    StaffAccount(
                        id=account_id,
                        username=username,
                        role=role,
                        pin_hash=pin_hash,
                        failed_attempts=0,
                        created_at=datetime.now(UTC),
                    )
                )
                s.flush()
                audit.append(
                    s,
                    self.store.audit_key,
                    at=datetime.now(UTC),
                    actor=actor,
                    action="staff.add",
                    object_id=str(account_id),
                    details={"role": role},
                )
            self.store.sync_checkpoint()
        except IntegrityError:
            raise StorageError(f"a staff account named {username!r} already exists") from None
        return account_id

    def get(self, username: str) -> StaffRow | None:
        with self.store.read_session() as s:
            found = s.scalar(select(StaffAccount).where(StaffAccount.username == username))
            return _row(found) if found else None

    def all(self) -> list[StaffRow]:
        with self.store.read_session() as s:
            return [
                _row(a) for a in s.scalars(select(StaffAccount).order_by(StaffAccount.username))
            ]

    def remove(self, username: str, *, actor: str) -> None:
        with self.store.write_session() as s, s.begin():
            found = s.scalar(select(StaffAccount.id).where(StaffAccount.username == username))
            if found is None:
                raise NotFound(f"no staff account named {username!r}")
            s.execute(delete(StaffAccount).where(StaffAccount.id == found))
            audit.append(
                s,
                self.store.audit_key,
                at=datetime.now(UTC),
                actor=actor,
                action="staff.remove",
                object_id=str(found),
            )

        self.store.sync_checkpoint()

    def audit(self, account_id: uuid.UUID | None, action: str, *, actor: str) -> None:
        self.store.record_event(actor, action, str(account_id) if account_id else None)

    def set_hash(self, account_id: uuid.UUID, pin_hash: str) -> None:
        with self.store.write_session() as s, s.begin():
            s.execute(
                update(StaffAccount).where(StaffAccount.id == account_id).values(pin_hash=pin_hash)
            )

    def record_attempt(
        self, account_id: uuid.UUID, *, ok: bool, locked_until: datetime | None = None
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
        with self.store.write_session() as s, s.begin():
            s.execute(update(StaffAccount).where(StaffAccount.id == account_id).values(**values))
