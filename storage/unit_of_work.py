"""The unit of work: one write transaction, whatever it touches.

A use case opens one (``with db.uow(actor) as tx:``) and hands it to each repository it
writes through; the repositories write in it and append their audit events to it. It
commits when the block ends (or rolls everything back if the block raises), and then the
audit checkpoint kept outside the database follows the events it appended. It is the
only way to write to the records database: nothing else appends to the audit chain.

A check-in runs on the driver's own cursor (``fast=True``, see storage.fastwrite): its
statement handling through SQLAlchemy would cost more than its rows. Every other write
runs on a SQLAlchemy session.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from storage import audit
from storage.audit import Checkpoint
from storage.fastwrite import RawCursor


class UnitOfWork:
    def __init__(
        self,
        *,
        actor: str,
        now: datetime,
        audit_key: bytes,
        lane: str = "",
        session: Session | None = None,
        cursor: RawCursor | None = None,
        recorded: Checkpoint | None = None,
    ) -> None:
        self.actor = actor
        self.now = now
        self._audit_key = audit_key
        self._lane = lane  # the audit chain's lane this unit appends to
        self._session = session
        self._cursor = cursor
        # The newest audit event appended: (seq, hash, its predecessor's hash).
        self.head: tuple[int, bytes, bytes] | None = None
        self.committed: list[Callable[[], None]] = []  # run once it has committed
        # The audit checkpoint as the unit began, and whether the chain was seen to hold
        # the event it records (read with the chain's head: see storage.audit.lock_head).
        self._recorded = recorded
        self.confirmed: Checkpoint | None = None

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the transaction has committed (never if it rolls back):
        for what a process remembers of the database, such as texts it has stored."""
        self.committed.append(callback)

    @property
    def session(self) -> Session:
        """The transaction's session (not on a check-in's fast path)."""
        if self._session is None:
            raise RuntimeError("this unit of work runs on a driver cursor, not a session")
        return self._session

    @property
    def cursor(self) -> RawCursor:
        """The transaction's driver cursor (a check-in's fast path only)."""
        if self._cursor is None:
            raise RuntimeError("this unit of work runs on a session, not a driver cursor")
        return self._cursor

    def audit(
        self,
        action: str,
        object_id: str | None = None,
        details: dict[str, Any] | None = None,
        *,
        at: datetime | None = None,
    ) -> None:
        """Append an event (ids, counts, field names and hashes only: never personal
        data) by this unit's actor, dated ``at`` (default: the unit's ``now``)."""
        target: Session | RawCursor = self._cursor if self._cursor is not None else self.session
        if self.head is None:  # the first: lock the chain, read its head
            recorded = self._recorded
            mine = recorded if recorded is not None and recorded.lane == self._lane else None
            seq, digest, found = audit.lock_head(target, self._lane, mine.seq if mine else None)
            if mine is not None and found == mine.hash:
                self.confirmed = mine
        else:  # the chain stays locked: its head is this unit's last event
            seq, digest = self.head[:2]
        self.head = audit.append(
            target,
            self._audit_key,
            lane=self._lane,
            after=(seq, digest),
            at=at or self.now,
            actor=self.actor,
            action=action,
            object_id=object_id,
            details=details,
        )
