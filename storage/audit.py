"""The audit chain: append-only events, each keyed-hashed over its predecessor."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, text
from sqlalchemy.orm import Session

from storage.models import AuditAnchor, AuditEvent

GENESIS = b"\x00" * 32
# Serialises appends to the chain on PostgreSQL (SQLite's write lock does it there).
_PG_AUDIT_LOCK = 0x61756469
_INSERT_EVENT = insert(AuditEvent)
_HEAD = select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)


def event_hash(
    key: bytes,
    prev: bytes,
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    object_id: str | None,
    details: dict[str, Any],
) -> bytes:
    body = json.dumps(
        [seq, at.isoformat(), actor, action, object_id, details],
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
    return hmac.new(key, prev + body, hashlib.sha256).digest()


def chain_head(session: Session | Connection) -> tuple[int, bytes]:
    """The newest (seq, hash) of the chain, or the purge anchor, or the genesis."""
    last = session.execute(_HEAD).first()
    if last is not None:
        return int(last[0]), bytes(last[1])
    anchor = session.execute(
        select(AuditAnchor.seq, AuditAnchor.hash).where(AuditAnchor.id == 1)
    ).first()
    if anchor is not None:
        return int(anchor[0]), bytes(anchor[1])
    return 0, GENESIS


def append(
    session: Session | Connection,
    key: bytes,
    *,
    at: datetime,
    actor: str,
    action: str,
    object_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> int:
    """Append one event inside the caller's transaction. ``details`` must hold no
    personal data: ids, counts, field names and hashes only."""
    if _dialect(session) == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_AUDIT_LOCK})
    seq, prev = chain_head(session)
    details = details or {}
    at = at.astimezone(UTC)
    values = dict(
        seq=seq + 1,
        at=at,
        actor=actor,
        action=action,
        object_id=object_id,
        details=details,
        prev_hash=prev,
        hash=event_hash(
            key,
            prev,
            seq=seq + 1,
            at=at,
            actor=actor,
            action=action,
            object_id=object_id,
            details=details,
        ),
    )
    session.execute(_INSERT_EVENT, values)
    return seq + 1


def _dialect(conn: Session | Connection) -> str:
    bind = conn.get_bind() if isinstance(conn, Session) else conn
    return bind.dialect.name
