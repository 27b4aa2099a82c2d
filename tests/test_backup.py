"""`kiosk backup`: consistent copies of the records and of the key store, kept apart,
private, audited, and enough (with the key file) to bring every visit back."""

from __future__ import annotations

import resource
import shutil
import signal
import sqlite3
import threading
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from kiosk.domain.staff import Actor
from kiosk.services.backup import BackupResult
from storage.backup import BackupError
from storage.engine import checkpoint
from storage.models import AuditEvent
from storage.open import StoreConfig, open_repositories
from storage.repositories import Repositories
from tests.helpers.factories import run_cli, visitor
from tests.helpers.store import check_in, services_over

ACTOR = "os:tester"


def _backup(store: Repositories, records_to: Path, keys_to: Path | None = None) -> BackupResult:
    """`kiosk backup` as the operator runs it."""
    return services_over(store).backup.backup(records_to, Actor(ACTOR), keys_to)


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def _folders(tmp_path: Path) -> tuple[Path, Path]:
    records, keys = tmp_path / "backups" / "records", tmp_path / "elsewhere" / "keys"
    records.mkdir(parents=True)
    keys.mkdir(parents=True)
    return records, keys


@pytest.mark.parametrize("engine_kind", ["sqlite"], indirect=True)
def test_copies_are_apart_private_audited_and_restore_every_visit(
    store: Repositories, store_config: StoreConfig, tmp_path: Path
) -> None:
    day = store.db.local_day(datetime.now(store.db.timezone))
    for i in range(3):
        check_in(store, visitor(i), actor="test")
    records_dir, keys_dir = _folders(tmp_path)

    result = _backup(store, records_dir, keys_dir)
    check_in(store, visitor(9), actor="test")  # after the copy: not in it

    assert result.records.rows == 3 and result.keystore is not None
    records, keystore = result.records.path, result.keystore.path
    assert records.parent == records_dir and keystore.parent == keys_dir
    for path in (records, keystore):
        assert path.stat().st_mode & 0o777 == 0o600
        assert not list(path.parent.glob("*-wal")) and not list(path.parent.glob(".*partial"))
    # The records copy holds no key, and no name in the clear; the key store's no record.
    assert "visits" in _tables(records) and "kiosk_data_keys" not in _tables(records)
    assert "kiosk_data_keys" in _tables(keystore) and "visits" not in _tables(keystore)
    assert visitor(0).name.encode() not in records.read_bytes()
    with store.db.engine.connect() as conn:
        events = conn.execute(
            select(AuditEvent.actor, AuditEvent.action, AuditEvent.details).where(
                AuditEvent.action.like("backup.%")
            )
        ).all()
    assert [(a, act) for a, act, _ in events] == [
        (ACTOR, "backup.records"),
        (ACTOR, "backup.keystore"),
    ]
    assert events[0][2] == {"visits": 3} and str(tmp_path) not in str(events)

    # A machine lost: the two copies and the key file bring back what was copied.
    restored = tmp_path / "restored"
    restored.mkdir()
    shutil.copy(records, restored / "kiosk.db")
    shutil.copy(keystore, restored / "keystore.db")
    shutil.copy(store_config.key_file, restored / "master.key")
    again = open_repositories(
        replace(
            store_config,
            database_url=f"sqlite:///{restored / 'kiosk.db'}",
            keystore_url=f"sqlite:///{restored / 'keystore.db'}",
            key_file=restored / "master.key",
        )
    )
    try:
        names = sorted(v.name for v in again.visits.on_day(day).visits)
    finally:
        again.db.engine.dispose()
        again.db.keystore.engine.dispose()
    assert names == [visitor(i).name for i in range(3)]


@pytest.mark.parametrize("engine_kind", ["sqlite"], indirect=True)
def test_a_copy_taken_while_visitors_check_in_is_whole(store: Repositories, tmp_path: Path) -> None:
    records_dir, _ = _folders(tmp_path)
    stop = threading.Event()
    done: list[int] = []

    def keep_checking_in() -> None:
        n = 0
        while not stop.is_set():
            check_in(store, visitor(n), actor="test")
            n += 1
            done.append(n)

    writer = threading.Thread(target=keep_checking_in)
    writer.start()
    try:
        while len(done) < 20:
            threading.Event().wait(0.01)
        copies = [_backup(store, records_dir) for _ in range(3)]
    finally:
        stop.set()
        writer.join()
    for copy in copies:
        with sqlite3.connect(copy.records.path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            (visits,) = conn.execute("SELECT count(*) FROM visits").fetchone()
            (events,) = conn.execute(
                "SELECT count(*) FROM audit_events WHERE action = 'visit.check_in'"
            ).fetchone()
        # One snapshot: each visit with its audit event, none half-written.
        assert visits == events == copy.records.rows and 20 <= visits <= len(done)


@pytest.mark.parametrize("engine_kind", ["sqlite"], indirect=True)
def test_refusals_write_nothing(store: Repositories, tmp_path: Path) -> None:
    records_dir, keys_dir = _folders(tmp_path)
    service = services_over(store).backup
    taken = records_dir / "taken.db"
    taken.write_text("someone's file")
    cases = {
        "same folder": (records_dir, records_dir),
        "exists already": (taken, None),
        "not a folder": (tmp_path / "missing" / "copy.db", None),
        "same folder ": (records_dir / "r.db", records_dir / "k.db"),
    }
    for expected, (records_to, keys_to) in cases.items():
        with pytest.raises(BackupError, match=expected.strip()):
            service.backup(records_to, Actor(ACTOR), keys_to)
    assert sorted(p.name for p in records_dir.iterdir()) == ["taken.db"]
    assert taken.read_text() == "someone's file" and not list(keys_dir.iterdir())


def test_a_key_store_inside_the_records_or_postgres_is_refused(
    engine_kind: str, store_config: StoreConfig, tmp_path: Path
) -> None:
    """SQLite with the key store in the records file would copy the keys with the
    records; PostgreSQL (either way) is backed up with pg_dump (the message says so)."""
    store_config = replace(store_config, keystore_url=store_config.database_url)
    expected = "inside the records database" if engine_kind == "sqlite" else "pg_dump"
    store = open_repositories(store_config)
    records_dir, keys_dir = _folders(tmp_path)
    try:
        with pytest.raises(BackupError, match=expected):
            _backup(store, records_dir, keys_dir)
    finally:
        store.db.engine.dispose()
        store.db.keystore.engine.dispose()
    assert not list(records_dir.iterdir()) and not list(keys_dir.iterdir())


@pytest.mark.parametrize("engine_kind", ["sqlite"], indirect=True)
def test_a_restore_in_place_is_reported_until_accepted(
    store: Repositories, store_config: StoreConfig, tmp_path: Path
) -> None:
    """The machine's database restored from last night's copy: the audit checkpoint
    beside the key file remembers events the copy lacks, so verification says so (a
    restore looks like cut-off events, rightly) until an admin accepts the restore,
    which stays on the record."""
    check_in(store, visitor(0), actor="test")
    records_dir, keys_dir = _folders(tmp_path)
    result = _backup(store, records_dir, keys_dir)
    assert result.keystore is not None
    check_in(store, visitor(1), actor="test")  # lost with the restore
    store.db.engine.dispose()
    store.db.keystore.engine.dispose()
    data = store_config.key_file.parent
    for name in ("kiosk.db", "keystore.db"):
        for extra in data.glob(f"{name}-*"):
            extra.unlink()
    shutil.copy(result.records.path, data / "kiosk.db")
    shutil.copy(result.keystore.path, data / "keystore.db")

    restored = open_repositories(store_config)
    try:
        day = restored.db.local_day(datetime.now(restored.db.timezone))
        assert [v.name for v in restored.visits.on_day(day).visits] == [visitor(0).name]
        check_in(restored, visitor(2), actor="test")  # the kiosk goes on meanwhile
        report = restored.audit.verify()
        assert not report.ok and report.behind_checkpoint
        restored.audit.accept_restore(ACTOR)
        check_in(restored, visitor(3), actor="test")
        assert restored.audit.verify().ok
        [entry] = restored.audit.events(action="audit.restore_accepted")
        assert entry.actor == ACTOR
    finally:
        restored.db.engine.dispose()
        restored.db.keystore.engine.dispose()


@pytest.mark.parametrize("engine_kind", ["sqlite"], indirect=True)
def test_a_folder_without_hard_links_takes_copies_too(
    store: Repositories, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A USB stick formatted FAT has no hard links (link() fails with EPERM): the copy is
    renamed into place instead, and still never replaces a file."""

    def no_links(src: object, dst: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr("os.link", no_links)
    check_in(store, visitor(0), actor="test")
    records_dir, _ = _folders(tmp_path)
    copy = _backup(store, records_dir / "copy.db").records
    assert copy.rows == 1 and [p.name for p in records_dir.iterdir()] == ["copy.db"]
    with pytest.raises(BackupError, match="exists already"):
        _backup(store, records_dir / "copy.db")
    assert [p.name for p in records_dir.iterdir()] == ["copy.db"]


@pytest.mark.parametrize("engine_kind", ["sqlite"], indirect=True)
def test_a_copy_that_runs_out_of_room_leaves_nothing(
    store: Repositories, store_config: StoreConfig, tmp_path: Path
) -> None:
    """The backup disk fills up mid-copy (here: a file-size limit on the process): one
    clear line, exit 1, no partial file, and the records and audit trail untouched."""
    for i in range(3):
        check_in(store, visitor(i), actor="test")
    checkpoint(store.db.engine)  # the WAL emptied: the command opens the store within the limit
    records_dir, _ = _folders(tmp_path)

    def small_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (60_000, 60_000))

    proc = run_cli(
        store_config, tmp_path, "backup", "--records", str(records_dir), preexec_fn=small_disk
    )
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.startswith("kiosk: error: could not copy the database to ")
    assert len(proc.stderr.splitlines()) == 1
    assert list(records_dir.iterdir()) == []
    assert len(store.visits.on_day(datetime.now(store.db.timezone).date()).visits) == 3
    assert store.audit.verify().ok and not store.audit.events(action="backup.records")
