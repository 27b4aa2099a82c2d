"""Reading and checking the audit trail (appending lives in storage.audit)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict, Unpack

from sqlalchemy import select

from storage.audit import HEAD, VerifyResult, chain_head, chain_holds, verify_chain
from storage.engine import db_errors
from storage.errors import StorageError
from storage.models import AuditEvent
from storage.store import Store


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    at: datetime
    actor: str
    action: str
    object_id: str | None
    details: dict[str, Any]


def verify(store: Store) -> VerifyResult:
    """Check the whole chain and the checkpoint; never moves the checkpoint."""
    try:
        checkpoint = store.checkpoint.read() if store.checkpoint else None
    except (ValueError, KeyError) as exc:
        return VerifyResult(False, 0, str(exc))
    with db_errors(), store.read_session() as s:
        return verify_chain(s, store.audit_key, checkpoint)


class NothingToAccept(StorageError):
    """accept_restore found the chain and the checkpoint in agreement, or a broken chain."""


@dataclass(frozen=True, slots=True)
class AcceptedRestore:
    checkpoint_seq: int
    chain_seq: int


def accept_restore(store: Store, actor: str) -> AcceptedRestore:
    """After the records database was restored from a copy, the checkpoint (outside the
    database) records events the copy does not hold, and verification fails, as it
    should. This records the restore as an audit event (``audit.restore_accepted``:
    the checkpoint's event and the chain's head), then moves the checkpoint to the
    chain's new head. Only for a chain that is whole and behind its checkpoint: an edited
    or deleted event in the chain is not what a restore does."""
    if store.checkpoint is None:
        raise NothingToAccept("this store keeps no audit checkpoint")
    result = verify(store)
    if result.ok:
        raise NothingToAccept("the audit trail is intact: there is no restore to accept")
    if not result.behind_checkpoint:
        raise NothingToAccept(f"the audit chain itself is broken ({result.problem})")
    checkpoint = store.checkpoint.read()
    assert checkpoint is not None  # behind_checkpoint comes from a checkpoint
    with db_errors(), store.engine.connect() as conn:
        chain_seq, _ = chain_head(conn)
    store.record_event(
        actor,
        "audit.restore_accepted",
        details={"checkpoint_seq": checkpoint.seq, "chain_seq": chain_seq},
    )
    with db_errors(), store.engine.connect() as conn:
        head = conn.execute(HEAD).first()
        assert head is not None
        if not chain_holds(conn, checkpoint):
            store.checkpoint.reset(int(head[0]), bytes(head[1]))
    return AcceptedRestore(checkpoint.seq, chain_seq)


class EventFilter(TypedDict, total=False):
    """Which events :func:`events` returns: in [start, end), by actor, by action; with
    ``newest``, only that many of the latest, newest first."""

    start: datetime | None
    end: datetime | None
    actor: str | None
    action: str | None
    newest: int | None


def events(store: Store, **which: Unpack[EventFilter]) -> list[AuditEntry]:
    """Matching events in order (see :class:`EventFilter`)."""
    return list(iter_events(store, **which))


def iter_events(store: Store, **which: Unpack[EventFilter]) -> Iterator[AuditEntry]:
    """:func:`events` one at a time, read in batches: a year's trail listed whole
    (``kiosk audit show``) is hundreds of thousands of events."""
    start, end, newest = which.get("start"), which.get("end"), which.get("newest")
    actor, action = which.get("actor"), which.get("action")
    stmt = select(
        AuditEvent.seq,
        AuditEvent.at,
        AuditEvent.actor,
        AuditEvent.action,
        AuditEvent.object_id,
        AuditEvent.details,
    )
    if newest is None:
        stmt = stmt.order_by(AuditEvent.seq)
    else:
        stmt = stmt.order_by(AuditEvent.seq.desc()).limit(newest)
    if start is not None:
        stmt = stmt.where(AuditEvent.at >= start)
    if end is not None:
        stmt = stmt.where(AuditEvent.at < end)
    if actor is not None:
        stmt = stmt.where(AuditEvent.actor == actor)
    if action is not None:
        stmt = stmt.where(AuditEvent.action == action)
    with db_errors(), store.read_session() as s:
        rows = s.connection().execute(stmt.execution_options(yield_per=2000))
        for seq, at, who, what, object_id, details in rows:
            yield AuditEntry(int(seq), at, who, what, object_id, dict(details))
