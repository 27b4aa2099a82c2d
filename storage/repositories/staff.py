"""Staff accounts: rows only; hashing and PIN policy live in kiosk.services.staff."""

from __future__ import annotations

import hmac
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from kiosk.domain.staff import StaffRow
from storage.database import Database
from storage.engine import db_errors
from storage.errors import NotFound, StorageError
from storage.models import PinAttempt, StaffAccount
from storage.unit_of_work import UnitOfWork


def _row(a: StaffAccount) -> StaffRow:
    return StaffRow(a.id, a.username, a.role, a.pin_hash)


Failures = dict[bytes, list[tuple[str, int, datetime | None]]]
"""Wrong PINs per name hash: [(kind of terminal, count, locked until)]."""

# A name's failures are forgotten after a day without one (unless it is locked).
FORGET_AFTER = timedelta(days=1)


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

    # -- wrong PINs in a row, per name typed and kind of terminal ------------------------

    def name_hash(self, username: str) -> bytes:
        """A name as pin_attempts keeps it: keyed by the PIN pepper (from the master key),
        so the table lists no names typed and a copied database cannot test them."""
        return hmac.new(self.db.pepper, b"pin-name\x1f" + username.encode(), "sha256").digest()

    def locked(self, username: str, now: datetime) -> tuple[str, ...]:
        """The kinds of terminal the name is locked at now."""
        return self.locks(now).get(self.name_hash(username), ())

    def locks(
        self, now: datetime, failures: Failures | None = None
    ) -> dict[bytes, tuple[str, ...]]:
        """Every name locked now: name hash -> the kinds of terminal it is locked at (of
        ``failures`` when the caller read them already)."""
        found: dict[bytes, tuple[str, ...]] = {}
        for name, rows in (self.failures() if failures is None else failures).items():
            where = tuple(sorted(w for w, _, lock in rows if lock is not None and lock > now))
            if where:
                found[name] = where
        return found

    def count_failure(
        self,
        name_hash: bytes,
        scope: str,
        *,
        now: datetime,
        lock_after: int,
        lock_until: datetime,
    ) -> tuple[int, datetime | None]:
        """Count one more failure for the name at this kind of terminal, committed before
        the PIN is checked (the check clears it when the PIN was right): one atomic
        upsert, so parallel guesses each see the count the others raised. From
        ``lock_after`` failures on, the name is locked until ``lock_until``. Returns the
        count and the lock now in force."""
        insert: Any = (
            postgresql.insert if self.db.engine.dialect.name == "postgresql" else (sqlite.insert)
        )
        raised = PinAttempt.failures + 1
        stmt = (
            insert(PinAttempt)
            .values(name_hash=name_hash, scope=scope, failures=1, locked_until=None, last_at=now)
            .on_conflict_do_update(
                index_elements=[PinAttempt.name_hash, PinAttempt.scope],
                set_={
                    "failures": raised,
                    "last_at": now,
                    "locked_until": case(
                        (raised >= lock_after, lock_until), else_=PinAttempt.locked_until
                    ),
                },
            )
            .returning(PinAttempt.failures, PinAttempt.locked_until)
        )
        with self.db.uow("kiosk", now=now) as tx:
            tx.session.execute(
                delete(PinAttempt).where(
                    PinAttempt.last_at < now - FORGET_AFTER,
                    or_(PinAttempt.locked_until.is_(None), PinAttempt.locked_until < now),
                )
            )
            failures, locked = tx.session.execute(stmt).one()
        if failures >= lock_after and locked is None:  # a first insert at lock_after == 1
            locked = lock_until
        return int(failures), locked

    def clear_failures(self, tx: UnitOfWork, name_hash: bytes, scope: str | None = None) -> None:
        """Forget the name's failures: at this kind of terminal, or everywhere."""
        cond = PinAttempt.name_hash == name_hash
        if scope is not None:
            cond = cond & (PinAttempt.scope == scope)
        tx.session.execute(delete(PinAttempt).where(cond))

    def failures(self) -> Failures:
        """Every name's failures: name hash -> [(scope, count, locked until)]."""
        found: Failures = {}
        with db_errors(), self.db.read_session() as s:
            for a in s.scalars(select(PinAttempt)):
                found.setdefault(bytes(a.name_hash), []).append(
                    (a.scope, a.failures, a.locked_until)
                )
        return found
