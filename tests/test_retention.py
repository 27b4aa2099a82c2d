"""Expiry deletes the rows and crypto-shreds their keys, so old backups become unreadable."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select

from kiosk.domain.invitations import NewInvitation
from storage.engine import PURGE_BATCH, checkpoint
from storage.errors import KeyDestroyed, NotFound
from storage.keystore_models import DataKey
from storage.models import Invitation, NdaAcceptance, OutboxMessage, Visit
from storage.open import StoreConfig, open_repositories
from storage.repositories import Repositories, retention
from tests.helpers.factories import visitor
from tests.helpers.postgres import PgDatabases
from tests.helpers.store import check_in, invite

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def _count(store: Repositories, model: object) -> int:
    with store.db.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(model)) or 0)  # type: ignore[arg-type]


def _keys(store: Repositories) -> list[tuple[str, str]]:
    with store.db.keystore.engine.connect() as conn:
        rows = conn.execute(select(DataKey.category, DataKey.day).order_by(DataKey.day)).all()
    return [(c, d.isoformat()) for c, d in rows]


def _seed(store: Repositories) -> tuple[list[object], list[object]]:
    old = [
        check_in(store, visitor(i), actor="test", now=NOW - timedelta(days=40, hours=i)).visit_id
        for i in range(3)
    ]
    new = [
        check_in(
            store, visitor(10 + i), actor="test", now=NOW - timedelta(days=2, hours=i)
        ).visit_id
        for i in range(2)
    ]
    return old, new  # type: ignore[return-value]


def test_purge_removes_expired_rows_and_keys(store: Repositories) -> None:
    old, new = _seed(store)
    dry = store.retention.purge(NOW, dry_run=True)
    assert dry.rows["visits"] == 3
    assert dry.keys_destroyed["visit"] == 1  # the one UTC day of the old visits
    assert _count(store, Visit) == 5

    report = store.retention.purge(NOW)
    assert report.rows["visits"] == 3
    assert report.rows["outbox"] == 3
    assert report.rows["nda_acceptances"] == 0  # kept two years
    assert report.keys_destroyed["visit"] == 1
    assert _count(store, Visit) == 2
    for vid in old:
        with pytest.raises(NotFound):
            store.visits.get(vid)  # type: ignore[arg-type]
    assert {store.visits.get(v).name for v in new} == {visitor(10).name, visitor(11).name}  # type: ignore[arg-type]
    # The NDA record outlives the visit, still readable under its own key.
    assert _count(store, NdaAcceptance) == 5
    assert ("nda", (NOW - timedelta(days=40)).date().isoformat()) in _keys(store)
    assert all(cat != "visit" or day >= "2026-10-30" for cat, day in _keys(store))

    # Two years on, the NDA records and their keys go too.
    store.retention.purge(NOW + timedelta(days=731))
    assert _count(store, NdaAcceptance) == 0
    assert _count(store, OutboxMessage) == 0
    assert _keys(store) == []


def _backup_and_purge(
    store: Repositories, cfg: StoreConfig, engine_kind: str, request: pytest.FixtureRequest
) -> StoreConfig:
    """Copy the records database as a backup would, purge the live one, and return a
    config that opens the old copy with the key store as it is after the purge."""
    if engine_kind == "sqlite":
        backup = cfg.key_file.parent / "backup-before-purge.db"
        src = sqlite3.connect(str(cfg.key_file.parent / "kiosk.db"))
        dst = sqlite3.connect(str(backup))
        src.backup(dst)
        src.close()
        dst.close()
        backup_url = f"sqlite:///{backup}"
    else:
        pg: PgDatabases = request.getfixturevalue("pg")
        store.db.engine.dispose()
        backup_url = pg.url(pg.create(template=cfg.database_url.rsplit("/", 1)[1]))
    store.retention.purge(NOW)
    return replace(cfg, database_url=backup_url)


def test_backup_from_before_purge_yields_nothing_of_expired_days(
    store: Repositories, store_config: StoreConfig, engine_kind: str, request: pytest.FixtureRequest
) -> None:
    old, new = _seed(store)
    old_cfg = _backup_and_purge(store, store_config, engine_kind, request)
    restored = open_repositories(old_cfg)
    try:
        for vid in old:
            with pytest.raises(KeyDestroyed):
                restored.visits.get(vid)  # type: ignore[arg-type]
        day = restored.visits.on_day(restored.db.local_day(NOW - timedelta(days=40)))
        assert day.visits == []
        assert len(day.damaged) >= 1
        # Unexpired records in the same old copy are still readable.
        assert restored.visits.get(new[0]).name == visitor(10).name  # type: ignore[arg-type]
        # Not even a person search finds the expired visits in the copy.
        assert restored.visits.find_person(email=visitor(0).email) == []
    finally:
        restored.db.engine.dispose()


def test_purge_in_small_batches_keeps_locks_short(store: Repositories) -> None:
    for i in range(30):
        check_in(store, visitor(i), actor="test", now=NOW - timedelta(days=60, minutes=i))
    report = retention.purge(store.db, NOW, batch=7)
    assert report.rows["visits"] == 30
    assert _count(store, Visit) == 0
    # Every transaction is timed: at least five batches of seven visits, the purge's
    # audit event and the closing checkpoint.
    assert len(report.locks_ms) >= 5 + 2
    assert report.longest_lock_ms == max(report.locks_ms) > 0


def test_only_purge_batches_leave_the_disk_sync_to_the_checkpoint(store: Repositories) -> None:
    """A purge batch's commit does not wait for the disk (the checkpoint after it syncs,
    outside the lock); the connection goes back to the pool with synchronous=FULL and
    auto-checkpoints, as every other write has them."""
    if store.db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's durability settings; PostgreSQL commits are the server's")
    batches: list[tuple[int, int]] = []
    handed_out: list[tuple[int, int]] = []

    def _settings(run: Any) -> tuple[int, int]:
        return (
            run("PRAGMA synchronous").fetchone()[0],
            run("PRAGMA wal_autocheckpoint").fetchone()[0],
        )

    @event.listens_for(store.db.engine, "commit")
    def _before_commit(conn: Any) -> None:
        if conn.get_execution_options().get(PURGE_BATCH):
            batches.append(_settings(conn.exec_driver_sql))

    @event.listens_for(store.db.engine, "checkout")
    def _on_checkout(dbapi_conn: Any, *_: object) -> None:
        handed_out.append(_settings(dbapi_conn.execute))

    for i in range(30):
        check_in(store, visitor(i), actor="test", now=NOW - timedelta(days=60, minutes=i))
    report = retention.purge(store.db, NOW, batch=7)
    for i in range(3):
        check_in(store, visitor(90 + i), actor="test", now=NOW)
    assert report.rows["visits"] == 30

    assert len(batches) >= 5  # thirty visits seven at a time, then the audit trail's
    assert set(batches) == {(1, 0)}  # NORMAL, no auto-checkpoint
    # Every connection the pool hands out, to the next batch or to any other write, is
    # back to FULL with auto-checkpoints.
    assert len(handed_out) > len(batches)
    assert set(handed_out) == {(2, 1000)}
    assert _count(store, Visit) == 3


def test_invitations_expire_with_their_day_plus_visit_retention(store: Repositories) -> None:
    repo = store.invitations
    day = (NOW + timedelta(days=3)).date()
    _, code = invite(
        store, NewInvitation("Invitee Fakename", "inv@example.com", None, None, day), actor="test"
    )
    assert repo.find(code, day) is not None
    assert repo.find(code, day - timedelta(days=1)) is None  # only on its day
    assert store.retention.purge(NOW + timedelta(days=30)).rows["invitations"] == 0
    report = store.retention.purge(NOW + timedelta(days=35))
    assert report.rows["invitations"] == 1
    assert _count(store, Invitation) == 0


@pytest.mark.parametrize("engine_kind", ["sqlite"])
def test_a_long_purge_keeps_the_wal_small(
    store_config: StoreConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between batches the purge folds the WAL back into the database, so the WAL holds
    about one batch instead of growing with everything the purge deleted (the disk a
    purge needs, and each commit's fsync, grow with it)."""
    store = open_repositories(store_config)
    for i in range(60):
        check_in(store, visitor(i), actor="test", now=NOW - timedelta(days=60, minutes=i))
    checkpoint(store.db.engine)  # start from an empty WAL
    wal = store_config.key_file.parent / "kiosk.db-wal"
    sizes: list[int] = []

    def watched(engine: Engine, *, passive: bool = False) -> None:
        if not passive:  # the purge's last step, after all its batches
            sizes.append(wal.stat().st_size)
        checkpoint(engine, passive=passive)

    monkeypatch.setattr(retention, "checkpoint", watched)
    report = retention.purge(store.db, NOW, batch=5)
    assert report.rows["visits"] == 60 and _count(store, Visit) == 0
    # 24 batches here: without the checkpoints between them the WAL ends at about 1 MB
    # (254 pages); with them at 16 pages, about the largest single batch.
    assert sizes and sizes[0] <= 64 * 4096
    store.db.engine.dispose()
    store.db.keystore.engine.dispose()
