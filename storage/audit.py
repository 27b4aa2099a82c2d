"""The audit chain: append-only events, each keyed-hashed over its predecessor.

Events go in lanes, each a chain of its own (seq, head, append lock, purge anchor): a
kiosk appends to its configured lane ([audit] lane; "" when it has none), so kiosks
sharing a database with lanes of their own never wait for each other's appends. A lane
starts from a hash of its name (lane "" from zeros, as the single chain did), so events
cannot be moved from one lane to another. Verification walks every lane.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Select, Text, cast, distinct, func, insert, select, text
from sqlalchemy.orm import Session

from kiosk.domain.audit import VerifyResult
from storage.crypto import hmac_sha256
from storage.fastwrite import RawCursor
from storage.models import AuditAnchor, AuditEvent
from storage.witness import WitnessHead

GENESIS = b"\x00" * 32
# Serialises appends to lane "" on PostgreSQL (SQLite's write lock does it there); other
# lanes' locks: lock_key.
_PG_AUDIT_LOCK = 0x61756469
_INSERT_EVENT = insert(AuditEvent)
# The chain in order, lane by lane, as verify_chain walks it.
_CHAIN = select(
    AuditEvent.lane,
    AuditEvent.seq,
    AuditEvent.at,
    AuditEvent.actor,
    AuditEvent.action,
    AuditEvent.object_id,
    cast(AuditEvent.details, Text),  # as stored: see verify_chain
    AuditEvent.prev_hash,
    AuditEvent.hash,
).order_by(AuditEvent.lane, AuditEvent.seq)
# A lane's head, and the hash of one of its events (the audit checkpoint's), in one answer.
_HEAD = "SELECT seq, hash FROM audit_events WHERE lane = ? ORDER BY seq DESC LIMIT 1"
_HEAD_AND_RECORDED = (
    "SELECT seq, hash, (SELECT hash FROM audit_events WHERE lane = ? AND seq = ?)"
    " FROM audit_events WHERE lane = ? ORDER BY seq DESC LIMIT 1"
)
_ANCHOR = "SELECT seq, hash FROM audit_anchor WHERE lane = ?"
_VERIFY_BATCH = 5000
_ONE_WRITE = 20  # the most events one unit of work appends
# The canonical text an event's hash covers; one encoder, not one per event.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"))


@functools.cache  # a kiosk's lane is asked for at every append
def lane_genesis(lane: str) -> bytes:
    """The hash a lane's first event follows: zeros for lane "" (the single chain of
    before lanes), a hash of the name for any other (an event's keyed hash covers it)."""
    if not lane:
        return GENESIS
    return hashlib.sha256(b"kiosk-audit-lane\x1f" + lane.encode()).digest()


@functools.cache
def lock_key(lane: str) -> int:
    """The PostgreSQL advisory lock that serialises appends to ``lane``."""
    if not lane:
        return _PG_AUDIT_LOCK
    digest = hashlib.sha256(b"kiosk-audit-lock\x1f" + lane.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def head_query(lane: str) -> Select[int, bytes, bytes]:
    """A lane's newest event: its seq, hash and predecessor's hash."""
    return (
        select(AuditEvent.seq, AuditEvent.hash, AuditEvent.prev_hash)
        .where(AuditEvent.lane == lane)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    )


def event_name(lane: str, seq: int) -> str:
    """How messages name an event: "event 12", or "event 12 of lane lobby-b"."""
    return f"event {seq}" if not lane else f"event {seq} of lane {lane}"


def _chain_name(lane: str) -> str:
    """How messages name a lane's chain: "the chain" (lane ""), or "lane lobby-b"."""
    return "the chain" if not lane else f"lane {lane}"


def _anchor_of(lane: str) -> Select[int, bytes]:
    """A lane's purge anchor: its seq and hash."""
    return select(AuditAnchor.seq, AuditAnchor.hash).where(AuditAnchor.lane == lane)


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
    body = _body(seq, at, actor, action, object_id, _CANONICAL.encode(details))
    return hmac_sha256(key, prev + body)


def _body(
    seq: int, at: datetime, actor: str, action: str, object_id: str | None, details: str
) -> bytes:
    """The text an event's hash covers: ``[seq, at, actor, action, object_id, details]``
    as canonical JSON, the details given already encoded (verify_chain encodes each
    shape of them once)."""
    head = _CANONICAL.encode([seq, at.isoformat(), actor, action, object_id, 0])
    return (head[:-2] + details + "]").encode()  # head ends in "0]"


def chain_head(session: Session | Connection | RawCursor, lane: str = "") -> tuple[int, bytes]:
    """The newest (seq, hash) of a lane, or its purge anchor, or its genesis."""
    seq, digest, _ = _head(session, lane, None)
    return seq, digest


def _head(
    session: Session | Connection | RawCursor, lane: str, recorded: int | None
) -> tuple[int, bytes, bytes | None]:
    """chain_head, and on a RawCursor the hash of the lane's event ``recorded`` read
    along with it (None: not asked, or no such event)."""
    found = None
    if isinstance(session, RawCursor):
        if recorded is None:
            last = session.first(_HEAD, (lane,))
        else:
            last = session.first(_HEAD_AND_RECORDED, (lane, recorded, lane))
            found = bytes(last[2]) if last is not None and last[2] is not None else None
        anchor = None if last else session.first(_ANCHOR, (lane,))
    else:
        last = session.execute(head_query(lane)).first()
        anchor = None
        if last is None:
            anchor = session.execute(_anchor_of(lane)).first()
    head = last or anchor
    if head is not None:
        return int(head[0]), bytes(head[1]), found
    return 0, lane_genesis(lane), found


def lock_head(
    session: Session | Connection | RawCursor, lane: str = "", recorded: int | None = None
) -> tuple[int, bytes, bytes | None]:
    """Take a lane's head for appending, inside the caller's transaction: on PostgreSQL
    first the lock that serialises appends to the lane (held until the transaction ends;
    SQLite's write lock does it there), then the head as chain_head reads it. On a
    RawCursor also the hash of the lane's event ``recorded`` (the audit checkpoint's),
    read in the same answer, so that following the checkpoint needs no query of its own."""
    if _dialect(session) == "postgresql":
        if isinstance(session, RawCursor):  # sent with the head's query: one round trip
            session.run("SELECT pg_advisory_xact_lock(?)", (lock_key(lane),))
        else:
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key(lane)})
    return _head(session, lane, recorded)


def chain_holds(conn: Connection, checkpoint: Checkpoint) -> bool:
    """Whether the chain still holds the event ``checkpoint`` recorded: the same hash at
    its lane and seq, or an event purged by retention (at or before the lane's anchor)."""
    found = conn.execute(
        select(AuditEvent.hash).where(
            AuditEvent.lane == checkpoint.lane, AuditEvent.seq == checkpoint.seq
        )
    ).scalar()
    if found is not None:
        return bytes(found) == checkpoint.hash
    anchor = conn.execute(_anchor_of(checkpoint.lane)).first()
    if anchor is None or checkpoint.seq > int(anchor[0]):
        return False  # deleted, not purged
    return checkpoint.seq < int(anchor[0]) or bytes(anchor[1]) == checkpoint.hash


def append(
    session: Session | Connection,
    key: bytes,
    *,
    at: datetime,
    actor: str,
    action: str,
    object_id: str | None = None,
    details: dict[str, Any] | None = None,
    lane: str = "",
    after: tuple[int, bytes] | None = None,
) -> tuple[int, bytes, bytes]:
    """Append one event to ``lane`` inside the caller's transaction; returns its seq,
    hash and its predecessor's hash. ``details`` must hold no personal data: ids, counts,
    field names and hashes only. ``after``: the lane's head (seq, hash) this transaction
    already holds (lock_head, or the event it appended last); None: taken here. (A
    check-in's events: storage.unit_of_work, with event_values.)"""
    seq, prev = after if after is not None else lock_head(session, lane)[:2]
    values = event_values(key, lane, seq + 1, prev, at, actor, action, object_id, details)
    session.execute(_INSERT_EVENT, values)
    return seq + 1, values["hash"], prev


def event_values(
    key: bytes,
    lane: str,
    seq: int,
    prev: bytes,
    at: datetime,
    actor: str,
    action: str,
    object_id: str | None,
    details: dict[str, Any] | None,
) -> dict[str, Any]:
    """The row of the event ``seq`` of ``lane`` following the event hashed ``prev``."""
    details = details or {}
    at = at.astimezone(UTC)
    digest = event_hash(
        key, prev, seq=seq, at=at, actor=actor, action=action, object_id=object_id,
        details=details,
    )  # fmt: skip
    return dict(
        lane=lane,
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        object_id=object_id,
        details=details,
        prev_hash=prev,
        hash=digest,
    )


def _dialect(conn: Session | Connection | RawCursor) -> str:
    if isinstance(conn, RawCursor):
        return conn.dialect
    bind = conn.get_bind() if isinstance(conn, Session) else conn
    return bind.dialect.name


def anchor_mac(key: bytes, seq: int, digest: bytes, lane: str = "") -> bytes:
    """A purge anchor's seal: without the master key nobody can set an anchor that
    verifies (copying the newest event's hash into it and deleting every event). It
    covers the lane's name (lane "": the text sealed before lanes, so old seals hold)."""
    body = b"kiosk-audit-anchor\x1f%d\x1f" % seq + digest
    if lane:
        body = lane.encode() + b"\x1f" + body
    return hmac.new(key, body, hashlib.sha256).digest()


def verify_chain(
    session: Session,
    key: bytes,
    checkpoint: Callable[[], Checkpoint | None] | None,
    witness: dict[str, WitnessHead] | None = None,
    *,
    witnessed: bool = False,
) -> VerifyResult:
    """Walk every lane from its anchor: each anchor must carry its seal; every event must
    follow the previous one of its lane (no gap, no reordering), carry its predecessor's
    hash and hash to its own content.

    Then what is kept outside the database. ``checkpoint`` reads the signed checkpoint
    (None: this store keeps none); it is read before the walk and again after it, so a
    write committed meanwhile is no false alarm. Once the chain holds anything, the
    checkpoint must exist, must not be ahead of its lane (newest events cut off) and
    must not be behind it (an older checkpoint put back). ``witnessed``: the chain is
    also checked against the ``witness``'s newest head of each lane (storage.witness),
    which must be in the chain; the checkpoint may then lag behind its lane's head
    (other machines writing the same lane move only their own checkpoints)."""
    anchors: dict[str, tuple[int, bytes]] = {}
    for lane, seq, digest, mac in session.execute(
        select(AuditAnchor.lane, AuditAnchor.seq, AuditAnchor.hash, AuditAnchor.mac)
    ):
        seal = anchor_mac(key, int(seq), bytes(digest), lane)
        if mac is None or not hmac.compare_digest(seal, bytes(mac)):
            where = f" of lane {lane}" if lane else ""
            return VerifyResult(
                False,
                0,
                f"the audit anchor{where} (where the chain starts after old events were "
                "purged) does not carry its seal: it was forged or edited",
            )
        anchors[lane] = (int(seq), bytes(digest))
    try:
        before = checkpoint() if checkpoint else None
    except ValueError as exc:  # forged or damaged: accept-restore may write a new one
        return VerifyResult(False, 0, str(exc), behind_checkpoint=True)
    walked = _walk(session, key, anchors)
    if not walked.ok:
        return walked.result
    heads, checked = walked.heads, walked.result.checked
    if witnessed:
        problem = _against_witness(session, witness or {}, heads)
        if problem:
            return VerifyResult(False, checked, problem, behind_checkpoint=True)
    if checkpoint is None:
        return VerifyResult(True, checked)
    try:
        after = checkpoint()
    except ValueError as exc:
        return VerifyResult(False, checked, str(exc), behind_checkpoint=True)
    if before is None and after is None:
        if heads:
            return VerifyResult(
                False,
                checked,
                "the audit checkpoint kept outside the database is missing (deleted?): "
                "nothing shows whether the newest events were cut off",
                behind_checkpoint=True,
            )
        return VerifyResult(True, checked)
    if before is not None:
        head_seq = heads.get(before.lane, 0)
        if before.seq > head_seq:
            return VerifyResult(
                False,
                checked,
                f"the newest events were cut off: the checkpoint records "
                f"{event_name(before.lane, before.seq)}, "
                f"{_chain_name(before.lane)} ends at {head_seq}",
                behind_checkpoint=True,
            )
        if not chain_holds(session.connection(), before):
            return VerifyResult(
                False,
                checked,
                f"{event_name(before.lane, before.seq)} was rewritten",
                behind_checkpoint=True,
            )
    newest = after or before
    assert newest is not None
    head_seq = heads.get(newest.lane, 0)
    if newest.seq < head_seq and not witnessed and not _one_write(session, newest.lane, newest.seq):
        return VerifyResult(
            False,
            checked,
            f"the checkpoint records {event_name(newest.lane, newest.seq)} but "
            f"{_chain_name(newest.lane)} goes on to {head_seq}: an older checkpoint was put "
            "back after events were cut, or other machines write this lane (give each kiosk "
            "its own [audit] lane, or verify with --witness)",
            behind_checkpoint=True,
        )
    return VerifyResult(True, checked)


def _one_write(session: Session, lane: str, after: int) -> bool:
    """Whether the lane's events after ``after`` are one write's (a unit of work dates
    all its events alike): a crash between its commit and the checkpoint's update, or a
    torn write of the checkpoint's slot, leaves the checkpoint that far behind. Cutting
    the chain back to a checkpoint kept from earlier cannot be told from that anyway, by
    anything on this machine: the witness is for that."""
    dates = session.execute(
        select(func.count(distinct(AuditEvent.at)), func.count()).where(
            AuditEvent.lane == lane, AuditEvent.seq > after
        )
    ).one()
    return int(dates[0]) == 1 and int(dates[1]) <= _ONE_WRITE


def _against_witness(
    session: Session, witness: dict[str, WitnessHead], heads: dict[str, int]
) -> str | None:
    """Each lane's newest head the witness records must be in the chain. (Lanes it
    records nothing of may be other sites', witnessed elsewhere.)"""
    if not witness:
        if not heads:
            return None  # nothing written yet, nothing witnessed
        return "the witness records no head of this site's audit chain"
    for lane, head in sorted(witness.items()):
        ends = heads.get(lane, 0)
        if head.seq > ends:
            return (
                f"the newest events were cut off: the witness records "
                f"{event_name(lane, head.seq)}, {_chain_name(lane)} ends at {ends}"
            )
        if not chain_holds(session.connection(), Checkpoint(head.seq, head.hash, lane)):
            return f"{event_name(lane, head.seq)}, as the witness records it, was rewritten"
    return None


@dataclass(frozen=True, slots=True)
class _Walked:
    result: VerifyResult
    heads: dict[str, int] = field(default_factory=dict)  # each lane's head, once walked whole

    @property
    def ok(self) -> bool:
        return self.result.ok


def _walk(session: Session, key: bytes, anchors: dict[str, tuple[int, bytes]]) -> _Walked:
    heads = {lane: seq for lane, (seq, _) in anchors.items()}
    lane: str | None = None
    expected_seq, prev = 0, GENESIS
    checked = 0
    mac = hmac.new(key, digestmod=hashlib.sha256)  # copied per event: the key set up once
    encode = _CANONICAL.encode
    # The details as stored -> their canonical JSON: a few shapes recur ({}, a list of
    # field names), so each is decoded and re-encoded once, not once per event.
    canonical: dict[str, str] = {}
    # Columns, not ORM objects (building those was most of the time), streamed in
    # batches: a year of events is hundreds of thousands, checked in constant memory.
    rows = session.connection().execute(_CHAIN.execution_options(yield_per=_VERIFY_BATCH))
    for row_lane, seq, at, actor, action, object_id, stored_details, prev_hash, stored_hash in rows:
        if row_lane != lane:  # the next lane starts at its anchor, or its genesis
            if lane is not None:
                heads[lane] = expected_seq
            lane = row_lane
            expected_seq, prev = anchors.get(lane, (0, lane_genesis(lane)))
        if seq != expected_seq + 1:
            missing = event_name(lane, expected_seq + 1)
            return _Walked(VerifyResult(False, checked, f"{missing} is missing (deleted)"))
        if bytes(prev_hash) != prev:
            return _Walked(
                VerifyResult(
                    False,
                    checked,
                    f"{event_name(lane, seq)} does not follow event {seq - 1} "
                    "(reordered or edited)",
                )
            )
        details = canonical.get(stored_details)
        if details is None:
            try:
                details = encode(json.loads(stored_details))
            except ValueError:  # not JSON any more: edited in the database
                return _Walked(VerifyResult(False, checked, f"{event_name(lane, seq)} was edited"))
            if len(canonical) >= _VERIFY_BATCH:  # all different: keep memory bounded
                canonical.clear()
            canonical[stored_details] = details
        event_mac = mac.copy()
        event_mac.update(prev + _body(seq, at, actor, action, object_id, details))
        if not hmac.compare_digest(event_mac.digest(), bytes(stored_hash)):
            return _Walked(VerifyResult(False, checked, f"{event_name(lane, seq)} was edited"))
        prev = bytes(stored_hash)
        expected_seq = seq
        checked += 1
    if lane is not None:
        heads[lane] = expected_seq
    return _Walked(VerifyResult(True, checked), heads)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A lane's newest (seq, hash) seen, signed, kept outside the database so that
    cutting off the newest events cannot go unnoticed."""

    seq: int
    hash: bytes
    lane: str = ""
