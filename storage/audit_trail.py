"""Reading and checking the audit trail (appending lives in storage.audit)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from storage.audit import VerifyResult, verify_chain
from storage.engine import db_errors
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


def events(
    store: Store,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    actor: str | None = None,
    action: str | None = None,
    newest: int | None = None,
) -> list[AuditEntry]:
    """Matching events in order; with ``newest``, only that many of the latest, newest
    first."""
    stmt = select(AuditEvent)
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
        return [
            AuditEntry(int(e.seq), e.at, e.actor, e.action, e.object_id, dict(e.details))
            for e in s.scalars(stmt)
        ]
