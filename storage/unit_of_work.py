"""The unit of work: one write transaction, whatever it touches.

A use case opens one (``with db.uow(actor) as tx:``) and hands it to each repository it
writes through; the repositories write in it and append their audit events to it. It
commits when the block ends (or rolls everything back if the block raises), and then the
audit checkpoint kept outside the database follows the events it appended. It is the
only way to write to the records database: nothing else appends to the audit chain.

A check-in's unit (``fast=True``) gathers its rows and events while its block runs and
sends them when it ends, on the driver's own connection (storage.fastwrite): statement
handling through SQLAlchemy would cost more than its rows. Every other write runs on a
SQLAlchemy session.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session

from storage import audit
from storage.audit import Checkpoint
from storage.fastwrite import Pending, RawCursor, RawWriter
from storage.models import AuditEvent

_EVENTS: Table = AuditEvent.__table__  # type: ignore[assignment]


class UnitOfWork:
    def __init__(
        self,
        *,
        actor: str,
        now: datetime,
        audit_key: bytes,
        lane: str = "",
        session: Session | None = None,
        pending: Pending | None = None,
        recorded: Checkpoint | None = None,
    ) -> None:
        self.actor = actor
        self.now = now
        self._audit_key = audit_key
        self._lane = lane  # the audit chain's lane this unit appends to
        self._session = session
        self._pending = pending
        # A fast unit's events, appended when it is sent: (action, object id, details, at).
        self._events: list[tuple[str, str | None, dict[str, Any] | None, datetime]] = []
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
            raise RuntimeError("this unit of work is a check-in's, without a session")
        return self._session

    @property
    def writes(self) -> Pending:
        """A check-in's rows, sent when the unit ends (its fast path only)."""
        if self._pending is None:
            raise RuntimeError("this unit of work runs on a session: write through it")
        return self._pending

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
        if self._pending is not None:  # a check-in's: appended when it is sent
            self._events.append((action, object_id, details, at or self.now))
            return
        if self.head is None:  # the first: lock the chain, read its head
            seq, digest = self._lock_head(self.session)
        else:  # the chain stays locked: its head is this unit's last event
            seq, digest = self.head[:2]
        self.head = audit.append(
            self.session,
            self._audit_key,
            lane=self._lane,
            after=(seq, digest),
            at=at or self.now,
            actor=self.actor,
            action=action,
            object_id=object_id,
            details=details,
        )

    def send(self, writer: RawWriter, after: tuple[int, bytes] | None) -> None:
        """Store a check-in's writes and events (a fast unit, once its block has run).

        ``after``: the lane's head as this process last appended to it (None: not known).
        Where that still holds, all of it goes in one statement (RawWriter.insert_chained:
        one round trip to a PostgreSQL server); otherwise, in a transaction that locks the
        lane and reads its head, and with it the event the checkpoint records."""
        pending = self.writes
        events = self._events
        if after is not None and events and writer.chains:
            chain = self._chain(*after)
            if writer.insert_chained(pending, _EVENTS, chain, audit.lock_key(self._lane)):
                mine = self._mine
                if mine is not None and (mine.seq, mine.hash) == after:
                    self.confirmed = mine  # the statement found that event the head
                self.head = chain[-1]["seq"], chain[-1]["hash"], chain[-1]["prev_hash"]
                return
        chain = []
        with writer.transaction() as cursor:
            cursor.write(pending)  # first: the lane is locked from its head to COMMIT only
            if events:
                chain = self._chain(*self._lock_head(cursor))
                cursor.insert_all([(_EVENTS, values) for values in chain])
        if chain:
            self.head = chain[-1]["seq"], chain[-1]["hash"], chain[-1]["prev_hash"]

    @property
    def _mine(self) -> Checkpoint | None:
        """The checkpoint as the unit began, if it records this unit's lane."""
        recorded = self._recorded
        return recorded if recorded is not None and recorded.lane == self._lane else None

    def _lock_head(self, target: Session | RawCursor) -> tuple[int, bytes]:
        """Lock the lane, read its head (seq, hash), and note whether the chain still
        holds the event the checkpoint records (read along with it)."""
        mine = self._mine
        seq, digest, found = audit.lock_head(target, self._lane, mine.seq if mine else None)
        if mine is not None and found == mine.hash:
            self.confirmed = mine
        return seq, digest

    def _chain(self, seq: int, digest: bytes) -> list[dict[str, Any]]:
        """This unit's events as rows, the first after the lane's event (seq, digest)."""
        chain = []
        for action, object_id, details, at in self._events:
            values = audit.event_values(
                self._audit_key, self._lane, seq + 1, digest, at, self.actor, action,
                object_id, details,
            )  # fmt: skip
            chain.append(values)
            seq, digest = values["seq"], values["hash"]
        return chain
