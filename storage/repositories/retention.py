"""Retention: the periods an admin set for the whole database, and the purge that applies
them (expired rows deleted in short batches, then their data keys crypto-shredded).

What the periods may be (the caps) is the kiosk layer's to check before they are saved
here."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kiosk.domain.retention import Category, PurgeReport
from storage.audit import anchor_mac
from storage.database import Database, utcnow
from storage.engine import checkpoint, db_errors
from storage.models import (
    AuditAnchor,
    AuditEvent,
    HealthScreening,
    Invitation,
    NdaAcceptance,
    OutboxMessage,
    RetentionPeriod,
    RightsRequestRow,
    Visit,
    WatchlistEntry,
)
from storage.unit_of_work import UnitOfWork

# Rows in the first transaction; later batches adapt so each holds the write lock for
# about TARGET_LOCK_MS: long enough to purge efficiently, short enough that a check-in
# never waits more than about 200 ms behind a purge. The cost per row swings by half
# from batch to batch (more when the disk stalls), so the target leaves room for that.
BATCH = 2000
TARGET_LOCK_MS = 60.0
MAX_BATCH = 50_000


class RetentionRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    def saved(self) -> dict[str, tuple[int, datetime]]:
        """{category: (days, changed at)} of the periods set in the database."""
        with db_errors(), self.db.read_session() as s:
            rows = s.execute(
                select(RetentionPeriod.category, RetentionPeriod.days, RetentionPeriod.changed_at)
            )
            return {category: (days, at) for category, days, at in rows}

    def save(self, tx: UnitOfWork, changes: Mapping[str, int]) -> None:
        """Set the periods in ``changes``, audited with them."""
        insert = postgresql.insert if self.db.engine.dialect.name == "postgresql" else sqlite.insert
        for category, days in changes.items():
            stmt = insert(RetentionPeriod).values(category=category, days=days, changed_at=tx.now)
            tx.session.execute(
                stmt.on_conflict_do_update(
                    index_elements=[RetentionPeriod.category],
                    set_={"days": days, "changed_at": tx.now},
                )
            )
        tx.audit("retention.change", details=dict(changes))

    def purge(
        self, as_of: datetime | None = None, *, dry_run: bool = False, actor: str = "system"
    ) -> PurgeReport:
        """Delete what the periods in force say has expired at ``as_of`` (default: now)
        and destroy the expired data keys (many transactions: see :func:`purge`)."""
        return purge(self.db, as_of or utcnow(), dry_run=dry_run, actor=actor)


def purge(
    db: Database,
    as_of: datetime,
    *,
    dry_run: bool = False,
    batch: int | None = None,
    actor: str = "system",
) -> PurgeReport:
    """Remove every row past its category's retention at ``as_of``; destroy data keys
    whose whole day has expired; checkpoint the WAL. A dry run only counts."""
    r = db.retention
    report = PurgeReport(as_of=as_of, dry_run=dry_run)
    cut_visit = as_of - timedelta(days=r.visit_days)
    cut_nda = as_of - timedelta(days=r.nda_days)
    cut_outbox = as_of - timedelta(days=r.outbox_days)
    cut_health = as_of - timedelta(days=r.health_answers_days)
    cut_audit = as_of - timedelta(days=r.audit_days)
    cut_request = as_of - timedelta(days=r.request_days)

    # Outbox and NDA rows first: they point at visits with ON DELETE SET NULL.
    plan: list[tuple[str, Any, datetime]] = [
        ("outbox", OutboxMessage, cut_outbox),
        ("nda_acceptances", NdaAcceptance, cut_nda),
        ("visits", Visit, cut_visit),
        ("health_answers", HealthScreening, cut_health),
    ]
    for label, model, cutoff in plan:
        report.rows[label] = _delete_batched(db, model, cutoff, dry_run, batch, report)
    with _lock(report, dry_run):
        report.rows["invitations"] = _purge_invitations(db, cut_visit, dry_run, actor)
    with _lock(report, dry_run):
        report.rows["rights_requests"] = _purge_requests(db, cut_request, dry_run)
    today = db.local_day(as_of)
    with _lock(report, dry_run):
        report.rows["watchlist"] = _purge_watchlist(db, today, dry_run)
    report.rows["audit_events"] = _purge_audit(db, cut_audit, dry_run, batch or BATCH, report)

    for category, cutoff in (
        (Category.VISIT, cut_visit),
        (Category.NDA, cut_nda),
        (Category.OUTBOX, cut_outbox),
        (Category.HEALTH, cut_health),
        # A request's key is its opening day's: kept until even a request still open
        # from that day is gone (the cap), so no request outlives its key.
        (Category.REQUEST, cut_request - REQUEST_OPEN_CAP),
    ):
        if dry_run:
            n = db.keystore.count_before(category, cutoff.date())
        else:
            n = db.keystore.destroy_before(category, cutoff.date())
        report.keys_destroyed[category.value] = n
    # A watchlist entry's key is the day it expires: gone the day after.
    if dry_run:
        n = db.keystore.count_before(Category.WATCHLIST, today)
    else:
        n = db.keystore.destroy_before(Category.WATCHLIST, today)
    report.keys_destroyed[Category.WATCHLIST.value] = n

    if not dry_run:
        # The periods applied, so the trail shows by what each purge forgot (several
        # machines on one database may hold different settings).
        with _lock(report), db.uow(actor) as tx:
            tx.audit(
                "retention.purge",
                details={
                    "rows": report.rows,
                    "keys": report.keys_destroyed,
                    "periods": dataclasses.asdict(r),
                },
            )
        # A truncating checkpoint keeps new writers out while it copies what is left
        # (little: the batches were copied as they went), so it counts as a lock too.
        with _lock(report):
            checkpoint(db.engine)
        checkpoint(db.keystore.engine)
    return report


@contextmanager
def _batch(db: Database, report: PurgeReport) -> Iterator[Session]:
    """One purge batch's transaction (it appends no audit event: the purge's one event
    comes at the end). The report gets how long it held the write lock, from taking it
    to its commit; not the wait for it while a check-in had it."""
    with db.uow("system", purge_batch=True) as tx:
        tx.session.connection()  # BEGIN IMMEDIATE: takes the lock
        started = time.perf_counter()
        yield tx.session
    report.locks_ms.append((time.perf_counter() - started) * 1e3)


@contextmanager
def _lock(report: PurgeReport, dry_run: bool = False) -> Iterator[None]:
    """Time a short step that takes the records database's write lock into the report
    (waiting for it included)."""
    started = time.perf_counter()
    yield
    if not dry_run:
        report.locks_ms.append((time.perf_counter() - started) * 1e3)


REQUEST_OPEN_CAP = timedelta(days=365)
"""A rights request still open is deleted this long after a closed one of its age."""


def _purge_watchlist(db: Database, today: date, dry_run: bool) -> int:
    """Watchlist entries that expired before ``today`` (few rows: one statement)."""
    expired = WatchlistEntry.expires_on < today
    if dry_run:
        with db.read_session() as s:
            return int(
                s.scalar(select(func.count()).select_from(WatchlistEntry).where(expired)) or 0
            )
    with db.uow("system", purge_batch=True) as tx:
        return _rowcount(tx.session.execute(delete(WatchlistEntry).where(expired)))


def _purge_requests(db: Database, cutoff: datetime, dry_run: bool) -> int:
    """Rights requests closed before ``cutoff``, and any opened before ``cutoff`` less
    REQUEST_OPEN_CAP (few rows: one statement)."""
    expired = or_(
        RightsRequestRow.closed_at < cutoff,
        RightsRequestRow.created_at < cutoff - REQUEST_OPEN_CAP,
    )
    if dry_run:
        with db.read_session() as s:
            return int(
                s.scalar(select(func.count()).select_from(RightsRequestRow).where(expired)) or 0
            )
    with db.uow("system", purge_batch=True) as tx:
        return _rowcount(tx.session.execute(delete(RightsRequestRow).where(expired)))


def _delete_batched(
    db: Database,
    model: Any,
    cutoff: datetime,
    dry_run: bool,
    batch: int | None,
    report: PurgeReport,
) -> int:
    """Delete rows created before ``cutoff``, oldest first, about ``batch`` per
    transaction. Each batch is a range on the ``created_at`` index (like a plain DELETE
    walks it), not a list of ids, so batching costs little over one big DELETE."""
    column = model.created_at
    adaptive = batch is None
    batch = batch or BATCH
    if dry_run:
        with db.read_session() as s:
            return int(
                s.scalar(select(func.count()).select_from(model).where(column < cutoff)) or 0
            )
    total = 0
    while True:
        with _batch(db, report) as s:
            bound = s.scalar(
                select(column).where(column < cutoff).order_by(column).offset(batch - 1).limit(1)
            )
            cond = column < cutoff if bound is None else column <= bound
            deleted = _rowcount(s.execute(delete(model).where(cond)))
        elapsed_ms = report.locks_ms[-1]
        _between_batches(db)
        total += deleted
        if bound is None:
            return total
        if adaptive:
            scaled = int(batch * TARGET_LOCK_MS / max(elapsed_ms, 1.0))
            batch = max(100, min(MAX_BATCH, scaled, batch * 2))


def _between_batches(db: Database) -> None:
    """Copy the batch just committed from the WAL into the database, outside any
    transaction: a passive checkpoint holds no lock a check-in waits on. The next batch
    then writes the WAL from its start again. Without this a batch's pages are appended
    to an ever longer WAL (1.7 GB purging a million visits from an 800 MB database) and
    each commit's fsync grows with the file; with it the WAL stays a few MB and batches
    commit in half the time. It also syncs the batch to disk, which the batch's commit
    leaves to it (PURGE_BATCH in storage.engine), so no disk stall lands in a lock."""
    checkpoint(db.engine, passive=True)


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _purge_invitations(db: Database, cutoff: datetime, dry_run: bool, actor: str) -> int:
    """Invitations go with their expected day plus the visit retention (their key is
    that day's visit key, destroyed at the same moment)."""
    cond = Invitation.expected_day < cutoff.date()
    if dry_run:
        with db.read_session() as s:
            return int(s.scalar(select(func.count()).select_from(Invitation).where(cond)) or 0)
    with db.uow(actor) as tx:
        return _rowcount(tx.session.execute(delete(Invitation).where(cond)))


def _purge_audit(
    db: Database, cutoff: datetime, dry_run: bool, batch: int, report: PurgeReport
) -> int:
    """Delete each lane's oldest events (a prefix of its chain) and move its anchor
    forward, so that what remains still verifies from the anchor."""
    with db.read_session() as s:
        lanes = s.scalars(select(AuditEvent.lane).distinct()).all()
    return sum(_purge_lane(db, lane, cutoff, dry_run, batch, report) for lane in lanes)


def _purge_lane(
    db: Database, lane: str, cutoff: datetime, dry_run: bool, batch: int, report: PurgeReport
) -> int:
    in_lane = AuditEvent.lane == lane
    with db.read_session() as s:
        first_kept = s.scalar(
            select(func.min(AuditEvent.seq)).where(in_lane, AuditEvent.at >= cutoff)
        )
        limit_cond = AuditEvent.seq < first_kept if first_kept is not None else AuditEvent.seq >= 0
        if dry_run:
            return int(
                s.scalar(select(func.count()).select_from(AuditEvent).where(in_lane, limit_cond))
                or 0
            )
    total = 0
    while True:
        with _batch(db, report) as s:
            rows = s.execute(
                select(AuditEvent.seq, AuditEvent.hash)
                .where(in_lane, limit_cond)
                .order_by(AuditEvent.seq)
                .limit(batch)
            ).all()
            if rows:
                last_seq, last_hash = int(rows[-1][0]), bytes(rows[-1][1])
                s.execute(delete(AuditEvent).where(in_lane, AuditEvent.seq <= last_seq))
                anchor = s.scalars(select(AuditAnchor).where(AuditAnchor.lane == lane)).first()
                seal = anchor_mac(db.audit_key, last_seq, last_hash, lane)
                if anchor is None:
                    s.add(
                        AuditAnchor(
                            id=_anchor_id(s, lane),
                            lane=lane,
                            seq=last_seq,
                            hash=last_hash,
                            mac=seal,
                        )
                    )
                else:
                    anchor.seq, anchor.hash, anchor.mac = last_seq, last_hash, seal
        _between_batches(db)
        total += len(rows)
        if len(rows) < batch:
            return total


def _anchor_id(s: Session, lane: str) -> int:
    """A new anchor's id: 1 for lane "" (as before lanes), the next free one past it for
    any other."""
    if not lane:
        return 1
    return max(int(s.scalar(select(func.max(AuditAnchor.id))) or 0), 1) + 1
