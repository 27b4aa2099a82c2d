"""Automatic expiry: delete expired rows in short batches, then crypto-shred their keys."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select

from storage.engine import checkpoint
from storage.models import (
    AuditAnchor,
    AuditEvent,
    HealthScreening,
    Invitation,
    NdaAcceptance,
    OutboxMessage,
    Visit,
)
from storage.records import Category, PurgeReport

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from storage.store import Store

# Rows in the first transaction; later batches adapt so each holds the write lock for
# about TARGET_LOCK_MS: long enough to purge efficiently, short enough that a check-in
# never waits more than about 200 ms behind a purge. The cost per row swings by half
# from batch to batch (more when the disk stalls), so the target leaves room for that.
BATCH = 2000
TARGET_LOCK_MS = 60.0
MAX_BATCH = 50_000


def purge(
    store: Store,
    as_of: datetime,
    *,
    dry_run: bool = False,
    batch: int | None = None,
    actor: str = "system",
) -> PurgeReport:
    """Remove every row past its category's retention at ``as_of``; destroy data keys
    whose whole day has expired; checkpoint the WAL. A dry run only counts."""
    r = store.retention
    report = PurgeReport(as_of=as_of, dry_run=dry_run)
    cut_visit = as_of - timedelta(days=r.visit_days)
    cut_nda = as_of - timedelta(days=r.nda_days)
    cut_outbox = as_of - timedelta(days=r.outbox_days)
    cut_health = as_of - timedelta(days=r.health_answers_days)
    cut_audit = as_of - timedelta(days=r.audit_days)

    # Outbox and NDA rows first: they point at visits with ON DELETE SET NULL.
    plan: list[tuple[str, Any, datetime]] = [
        ("outbox", OutboxMessage, cut_outbox),
        ("nda_acceptances", NdaAcceptance, cut_nda),
        ("visits", Visit, cut_visit),
        ("health_answers", HealthScreening, cut_health),
    ]
    for label, model, cutoff in plan:
        report.rows[label] = _delete_batched(store, model, cutoff, dry_run, batch, report)
    with _lock(report, dry_run):
        report.rows["invitations"] = _purge_invitations(store, cut_visit, dry_run)
    report.rows["audit_events"] = _purge_audit(store, cut_audit, dry_run, batch or BATCH, report)

    for category, cutoff in (
        (Category.VISIT, cut_visit),
        (Category.NDA, cut_nda),
        (Category.OUTBOX, cut_outbox),
        (Category.HEALTH, cut_health),
    ):
        if dry_run:
            n = store.keystore.count_before(category, cutoff.date())
        else:
            n = store.keystore.destroy_before(category, cutoff.date())
        report.keys_destroyed[category.value] = n

    if not dry_run:
        # The periods applied, so the trail shows by what each purge forgot (several
        # machines on one database may hold different settings).
        with _lock(report):
            store.record_event(
                actor,
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
            checkpoint(store.engine)
        checkpoint(store.keystore.engine)
    return report


@contextmanager
def _batch(store: Store, report: PurgeReport) -> Iterator[Session]:
    """One purge batch's transaction. The report gets how long it held the write lock,
    from taking it to its commit; not the wait for it while a check-in had it."""
    with store.purge_session() as s, s.begin():
        s.connection()  # BEGIN IMMEDIATE: takes the lock
        started = time.perf_counter()
        yield s
    report.locks_ms.append((time.perf_counter() - started) * 1e3)


@contextmanager
def _lock(report: PurgeReport, dry_run: bool = False) -> Iterator[None]:
    """Time a short step that takes the records database's write lock into the report
    (waiting for it included)."""
    started = time.perf_counter()
    yield
    if not dry_run:
        report.locks_ms.append((time.perf_counter() - started) * 1e3)


def _delete_batched(
    store: Store,
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
        with store.read_session() as s:
            return int(
                s.scalar(select(func.count()).select_from(model).where(column < cutoff)) or 0
            )
    total = 0
    while True:
        with _batch(store, report) as s:
            bound = s.scalar(
                select(column).where(column < cutoff).order_by(column).offset(batch - 1).limit(1)
            )
            cond = column < cutoff if bound is None else column <= bound
            deleted = _rowcount(s.execute(delete(model).where(cond)))
        elapsed_ms = report.locks_ms[-1]
        _between_batches(store)
        total += deleted
        if bound is None:
            return total
        if adaptive:
            scaled = int(batch * TARGET_LOCK_MS / max(elapsed_ms, 1.0))
            batch = max(100, min(MAX_BATCH, scaled, batch * 2))


def _between_batches(store: Store) -> None:
    """Copy the batch just committed from the WAL into the database, outside any
    transaction: a passive checkpoint holds no lock a check-in waits on. The next batch
    then writes the WAL from its start again. Without this a batch's pages are appended
    to an ever longer WAL (1.7 GB purging a million visits from an 800 MB database) and
    each commit's fsync grows with the file; with it the WAL stays a few MB and batches
    commit in half the time. It also syncs the batch to disk, which the batch's commit
    leaves to it (PURGE_BATCH in storage.engine), so no disk stall lands in a lock."""
    checkpoint(store.engine, passive=True)


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _purge_invitations(store: Store, cutoff: datetime, dry_run: bool) -> int:
    """Invitations go with their expected day plus the visit retention (their key is
    that day's visit key, destroyed at the same moment)."""
    cond = Invitation.expected_day < cutoff.date()
    with store.write_session() as s, s.begin():
        if dry_run:
            return int(s.scalar(select(func.count()).select_from(Invitation).where(cond)) or 0)
        return _rowcount(s.execute(delete(Invitation).where(cond)))


def _purge_audit(
    store: Store, cutoff: datetime, dry_run: bool, batch: int, report: PurgeReport
) -> int:
    """Delete the oldest events (a prefix of the chain) and move the anchor forward, so
    the remaining chain still verifies from the anchor."""
    with store.read_session() as s:
        first_kept = s.scalar(select(func.min(AuditEvent.seq)).where(AuditEvent.at >= cutoff))
        limit_cond = AuditEvent.seq < first_kept if first_kept is not None else AuditEvent.seq >= 0
        if dry_run:
            return int(
                s.scalar(select(func.count()).select_from(AuditEvent).where(limit_cond)) or 0
            )
    total = 0
    while True:
        with _batch(store, report) as s:
            rows = s.execute(
                select(AuditEvent.seq, AuditEvent.hash)
                .where(limit_cond)
                .order_by(AuditEvent.seq)
                .limit(batch)
            ).all()
            if rows:
                last_seq, last_hash = int(rows[-1][0]), bytes(rows[-1][1])
                s.execute(delete(AuditEvent).where(AuditEvent.seq <= last_seq))
                anchor = s.get(AuditAnchor, 1)
                if anchor is None:
                    s.add(AuditAnchor(id=1, seq=last_seq, hash=last_hash))
                else:
                    anchor.seq, anchor.hash = last_seq, last_hash
        _between_batches(store)
        total += len(rows)
        if len(rows) < batch:
            return total
