"""The audit chain detects edits, deletions, reordering and truncation; purges keep it
verifiable. On SQLite and on PostgreSQL."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, event, insert, select, text, update

from storage.audit import Checkpoint, append, event_hash
from storage.checkpoint import CheckpointFile
from storage.models import AuditAnchor, AuditEvent
from storage.open import StoreConfig, open_repositories
from storage.repositories import Repositories
from storage.repositories.audit import NothingToAccept
from tests.helpers.factories import visitor
from tests.helpers.store import check_in, check_out, record_event
from tests.helpers.waiting import wait_until_sync

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)
SWAP_COLUMNS = ("at", "actor", "action", "object_id", "details", "prev_hash", "hash")


def _seed(store: Repositories, n: int = 5) -> None:
    for i in range(n):
        result = check_in(store, visitor(i), actor="test", now=NOW + timedelta(minutes=i))
        check_out(
            store, result.badge_code, actor="test", now=NOW + timedelta(minutes=i, seconds=30)
        )


def test_an_intact_chain_verifies(store: Repositories) -> None:
    _seed(store)
    result = store.audit.verify()
    assert result.ok and result.checked == 10
    assert store.db.checkpoint is not None and store.db.checkpoint.read().seq == 10  # type: ignore[union-attr]
    shown = store.audit.events(action="visit.check_out")
    assert len(shown) == 5 and all(e.actor == "test" for e in shown)


def test_an_edited_event_is_named(store: Repositories) -> None:
    _seed(store)
    with store.db.engine.begin() as conn:
        conn.execute(update(AuditEvent).where(AuditEvent.seq == 4).values(actor="someone-else"))
    result = store.audit.verify()
    assert not result.ok and result.problem == "event 4 was edited"


def _set_details(store: Repositories, seq: int, stored: str) -> None:
    """Rewrite an event's details as text, the way someone with database access could."""
    as_json = "CAST(:t AS json)" if store.db.engine.dialect.name == "postgresql" else ":t"
    with store.db.engine.begin() as conn:
        conn.execute(
            text(f"UPDATE audit_events SET details = {as_json} WHERE seq = :s"),
            {"t": stored, "s": seq},
        )


def test_details_are_checked_by_content(store: Repositories) -> None:
    """Events carry details of every shape (nested, non-ASCII, many alike, each its own);
    a detail rewritten with the same content but other spacing or key order still
    verifies, a changed value or text that is no longer JSON is named as edited."""
    shapes: list[dict[str, Any]] = [
        {},
        {"fields": ["name", "\u00e9"], "nda": True, "type": "guest"},
        {"count": 3, "nested": {"b": [1, 2.5, None], "a": "x"}},
    ]
    with store.db.engine.begin() as conn:
        for i in range(30):
            details = shapes[i % 3] if i < 20 else {"n": i}
            append(conn, store.db.audit_key, at=NOW, actor="test", action="t.x", details=details)
    assert store.db.checkpoint is not None
    store.db.checkpoint.sync()  # as a unit of work would after its commit
    result = store.audit.verify()
    assert result.ok and result.checked == 30
    _set_details(store, 2, '{ "type":"guest",  "nda": true, "fields": ["name", "\\u00e9"] }')
    assert store.audit.verify().ok
    _set_details(store, 5, '{"fields": ["name", "email"], "nda": true, "type": "guest"}')
    assert store.audit.verify().problem == "event 5 was edited"
    if store.db.engine.dialect.name == "sqlite":  # PostgreSQL refuses text that is not JSON
        _set_details(store, 5, "{not json")
        assert store.audit.verify().problem == "event 5 was edited"


def test_a_deleted_event_is_named(store: Repositories) -> None:
    _seed(store)
    with store.db.engine.begin() as conn:
        conn.execute(delete(AuditEvent).where(AuditEvent.seq == 6))
    result = store.audit.verify()
    assert not result.ok and result.problem == "event 6 is missing (deleted)"


def test_swapped_events_are_detected(store: Repositories) -> None:
    _seed(store)
    with store.db.engine.begin() as conn:
        rows = {
            e.seq: e for e in conn.execute(select(AuditEvent).where(AuditEvent.seq.in_([3, 4])))
        }
        for a, b in ((3, 4), (4, 3)):
            src = rows[b]
            conn.execute(
                update(AuditEvent)
                .where(AuditEvent.seq == a)
                .values(**{c: getattr(src, c) for c in SWAP_COLUMNS})
            )
    result = store.audit.verify()
    assert not result.ok and result.problem is not None and "event 3" in result.problem


def test_cutting_off_the_newest_events_is_detected(store: Repositories) -> None:
    _seed(store)
    with store.db.engine.begin() as conn:
        conn.execute(delete(AuditEvent).where(AuditEvent.seq > 7))
    result = store.audit.verify()
    assert not result.ok
    assert result.problem is not None and "cut off" in result.problem and "10" in result.problem


def test_cut_off_events_stay_detected_after_the_kiosk_writes_new_ones(
    store: Repositories, caplog: pytest.LogCaptureFixture
) -> None:
    """The newest events deleted, then the kiosk goes on writing (a check-in a minute):
    the new events take the deleted ones' numbers and then pass them. The checkpoint
    must not follow a chain that no longer holds the event it recorded."""
    _seed(store)
    with store.db.engine.begin() as conn:
        conn.execute(delete(AuditEvent).where(AuditEvent.seq > 7))
    for i in range(5):  # events 8 to 17: past the checkpoint's 10
        _ = check_in(store, visitor(50 + i), actor="test", now=NOW + timedelta(hours=1, minutes=i))
        record_event(store, "test", "later.event")
    result = store.audit.verify()
    assert not result.ok and result.behind_checkpoint
    assert result.problem == "event 10 was rewritten", result.problem
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == [
        "the audit chain no longer holds event 10, which the checkpoint recorded: the "
        "checkpoint stays there (see kiosk audit verify)"
    ]
    # Deleting is not restoring from a copy, but the chain is whole again: an admin who
    # accepts it leaves that on the record, and the checkpoint follows again.
    accepted = store.audit.accept_restore("os:admin")
    assert (accepted.checkpoint_seq, accepted.chain_seq) == (10, 17)
    record_event(store, "test", "after.accept")
    assert store.audit.verify().ok
    [entry] = store.audit.events(action="audit.restore_accepted")
    assert entry.actor == "os:admin"
    assert entry.details == {"checkpoint_seq": 10, "chain_seq": 17}


def test_a_restore_is_not_accepted_for_an_intact_or_broken_chain(store: Repositories) -> None:
    _seed(store)
    with pytest.raises(NothingToAccept, match="intact"):
        store.audit.accept_restore("os:admin")
    with store.db.engine.begin() as conn:
        conn.execute(update(AuditEvent).where(AuditEvent.seq == 4).values(actor="someone-else"))
    with pytest.raises(NothingToAccept, match="event 4 was edited"):
        store.audit.accept_restore("os:admin")
    assert not store.audit.events(action="audit.restore_accepted")


def test_a_purge_leaves_the_chain_verifiable(store: Repositories) -> None:
    _seed(store)
    report = store.retention.purge(NOW + timedelta(days=400))
    assert report.rows["audit_events"] == 10
    record_event(store, "test", "after.purge")
    result = store.audit.verify()
    assert result.ok, result.problem
    assert result.checked >= 1


def test_a_forged_checkpoint_is_reported_and_a_torn_slot_is_not(store: Repositories) -> None:
    _seed(store)
    assert store.db.checkpoint is not None
    path = store.db.checkpoint.path
    good = path.read_bytes()
    path.write_bytes(good[:192] + b"x" * 192)  # one slot torn, as by a crash mid-write
    assert store.audit.verify().ok
    path.write_bytes(b'{"seq": 99, "hash": "00", "mac": "forged"}'.ljust(384))
    result = store.audit.verify()
    assert not result.ok and result.problem is not None and "damaged or forged" in result.problem


def test_hashes_and_checkpoints_are_those_earlier_versions_wrote(tmp_path: Path) -> None:
    """Chains and checkpoints written before an upgrade must still verify after it: the
    text an event's hash covers and the checkpoint's slot are pinned byte for byte
    (values written by the code of 2026-11-28)."""
    key = bytes(range(32))
    digest = event_hash(
        key,
        bytes(32),
        seq=7,
        at=datetime(2026, 11, 29, 9, 30, 1, 123456, tzinfo=UTC),
        actor="reception:anna",
        action="visit.check_in",
        object_id="0192f0aa-0000-7000-8000-000000000001",
        details={"type": "guest", "nda": True, "fields": ["name", "\u00e9"]},
    )
    assert digest.hex() == "3954c87fd2e52180260464c3c1ce9b1986034e0b0c9732db74c4709808312343"
    checkpoint = CheckpointFile(tmp_path / "checkpoint", key)
    checkpoint.advance(7, digest)
    checkpoint.close()
    slot = (tmp_path / "checkpoint").read_bytes()[:192]
    mac = "c6b4e9b5a72c3b37a105927cffa8325ec123d469f18d7066d3c630153750edb4"
    written = f'{{"seq": 7, "hash": "{digest.hex()}", "mac": "{mac}"}}'
    assert slot == written.encode().ljust(191) + b"\n"
    assert CheckpointFile(tmp_path / "checkpoint", key).read() is not None


# -- an insider who can write the database (and the kiosk's disk) ---------------------


def _cut_after(store: Repositories, seq: int) -> None:
    with store.db.engine.begin() as conn:
        conn.execute(delete(AuditEvent).where(AuditEvent.seq > seq))


def _newest(store: Repositories) -> tuple[int, bytes]:
    with store.db.engine.connect() as conn:
        row = conn.execute(
            select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
        ).one()
    return int(row[0]), bytes(row[1])


def test_a_wipe_under_a_forged_anchor_is_detected(store: Repositories) -> None:
    """The newest event's hash copied into audit_anchor, then every event deleted: the
    anchor carries no seal (nobody without the master key can make one), so the empty
    chain does not verify, with or without the checkpoint."""
    _seed(store)
    seq, digest = _newest(store)
    with store.db.engine.begin() as conn:
        conn.execute(insert(AuditAnchor).values(id=1, seq=seq, hash=digest))
        conn.execute(delete(AuditEvent))
    result = store.audit.verify()
    assert not result.ok and result.checked == 0
    assert result.problem is not None and "anchor" in result.problem and "seal" in result.problem


def test_a_moved_purge_anchor_is_detected(store: Repositories) -> None:
    _seed(store)
    store.retention.purge(NOW + timedelta(days=400))  # every event purged: a sealed anchor
    _seed(store, 3)
    assert store.audit.verify().ok
    seq, digest = _newest(store)
    with store.db.engine.begin() as conn:  # the anchor moved onto the newest, events wiped
        conn.execute(update(AuditAnchor).values(seq=seq, hash=digest))
        conn.execute(delete(AuditEvent))
    result = store.audit.verify()
    assert not result.ok and result.problem is not None and "seal" in result.problem


def test_a_cut_tail_with_the_checkpoint_deleted_is_detected(store: Repositories) -> None:
    _seed(store)
    _cut_after(store, 7)
    assert store.db.checkpoint is not None
    store.db.checkpoint.close()
    store.db.checkpoint.path.unlink()
    result = store.audit.verify()
    assert not result.ok and result.behind_checkpoint
    assert result.problem is not None and "checkpoint" in result.problem
    assert "missing" in result.problem
    # Legitimately lost (a new disk): an admin accepts it, on the record, and it is whole.
    store.audit.accept_restore("os:admin")
    assert store.audit.verify().ok
    assert store.audit.events(action="audit.restore_accepted")


def test_a_fresh_store_verifies_without_a_checkpoint(store: Repositories) -> None:
    assert store.db.checkpoint is not None and not store.db.checkpoint.path.exists()
    result = store.audit.verify()
    assert result.ok and result.checked == 0


def test_an_older_checkpoint_put_back_after_a_cut_is_detected(store: Repositories) -> None:
    assert store.db.checkpoint is not None
    _seed(store, 3)  # events 1..6
    saved = store.db.checkpoint.path.read_bytes()
    _seed(store, 5)  # events 7..16
    _cut_after(store, 9)
    store.db.checkpoint.close()
    store.db.checkpoint.path.write_bytes(saved)  # the checkpoint of event 6 put back
    result = store.audit.verify()
    assert not result.ok and result.behind_checkpoint
    assert result.problem is not None and "older checkpoint" in result.problem
    assert "6" in result.problem and "9" in result.problem


@pytest.fixture
def witnessed(store_config: StoreConfig, tmp_path: Path) -> Iterator[tuple[Repositories, Path]]:
    """A store that writes every new audit head to an append-only witness file."""
    log = tmp_path / "witness" / "audit-heads.log"
    log.parent.mkdir()
    repos = open_repositories(replace(store_config, witness=str(log)))
    yield repos, log
    repos.db.dispose()


def test_the_witness_catches_a_cut_back_to_an_old_checkpoint(
    witnessed: tuple[Repositories, Path],
) -> None:
    """Cut exactly back to an old checkpoint and put that checkpoint back: nothing in the
    database or on the kiosk's disk can tell (the README says so); the witness can."""
    store, log = witnessed
    assert store.db.checkpoint is not None
    _seed(store, 3)
    saved = store.db.checkpoint.path.read_bytes()
    _seed(store, 5)
    assert store.audit.verify(log).ok
    lines = log.read_text().splitlines()
    assert len(lines) == 16 and all(line.startswith("<110>1 ") for line in lines)
    assert re.match(r"<110>1 \S+ \S+ kiosk \d+ audit-head - kiosk-audit-head site=", lines[-1])
    _cut_after(store, 6)
    store.db.checkpoint.close()
    store.db.checkpoint.path.write_bytes(saved)
    assert store.audit.verify().ok  # the limit of a checkpoint on the same disk
    result = store.audit.verify(log)
    assert not result.ok
    assert result.problem == (
        "the newest events were cut off: the witness records event 16, the chain ends at 6"
    )


def test_a_forged_witness_line_is_reported(witnessed: tuple[Repositories, Path]) -> None:
    store, log = witnessed
    _seed(store, 2)
    last = log.read_text().splitlines()[-1]
    forged = last.replace("seq=4 ", "seq=40 ")
    with log.open("a") as f:
        f.write(forged + "\n")
    result = store.audit.verify(log)
    assert not result.ok and result.problem is not None and "forged" in result.problem


def test_machines_sharing_a_database_verify_with_the_witness(
    store_config: StoreConfig, tmp_path: Path
) -> None:
    """Two kiosks on one database each move their own checkpoint: one alone finds the
    other's events beyond its checkpoint; with the witness both write, both verify."""
    log = tmp_path / "heads.log"
    first = open_repositories(replace(store_config, witness=str(log)))
    second = open_repositories(
        replace(store_config, witness=str(log), checkpoint_path=tmp_path / "second.ckpt")
    )
    try:
        record_event(first, "test", "one")
        record_event(second, "test", "two")
        record_event(second, "test", "three")
        lagging = first.audit.verify()
        assert not lagging.ok and lagging.problem is not None
        assert "other machines" in lagging.problem
        assert first.audit.verify(log).ok and second.audit.verify(log).ok
    finally:
        second.db.dispose()
        first.db.dispose()


def test_kiosks_sharing_a_database_follow_their_checkpoints_without_a_query(
    store_config: StoreConfig, tmp_path: Path
) -> None:
    """Two kiosks check visitors in by turns, each keeping its own checkpoint: between two
    of one kiosk's events are the other's. The check-in reads, with the chain's head, the
    event its checkpoint records, so following the checkpoint needs no query of its own
    (one per check-in, on every kiosk of a busy site, before); and it still follows."""
    first = open_repositories(store_config)
    second = open_repositories(replace(store_config, checkpoint_path=tmp_path / "second.ckpt"))
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        statements.append(sql)

    event.listen(first.db.engine, "before_cursor_execute", count)
    try:
        for i in range(4):
            check_in(second, visitor(2 * i), actor="test", now=NOW + timedelta(minutes=i))
            check_in(first, visitor(2 * i + 1), actor="test", now=NOW + timedelta(minutes=i))
            assert first.db.checkpoint is not None and second.db.checkpoint is not None
            assert first.db.checkpoint.read() == Checkpoint(2 * i + 2, _hash_of(first, 2 * i + 2))
            assert second.db.checkpoint.read() == Checkpoint(2 * i + 1, _hash_of(first, 2 * i + 1))
            statements.clear()  # the hash's query above
        check_in(second, visitor(90), actor="test", now=NOW + timedelta(minutes=9))
        check_in(first, visitor(91), actor="test", now=NOW + timedelta(minutes=9))
        assert statements == []
        assert first.db.checkpoint is not None
        assert first.db.checkpoint.read() == Checkpoint(10, _hash_of(first, 10))
    finally:
        event.remove(first.db.engine, "before_cursor_execute", count)
        second.db.dispose()
        first.db.dispose()


def _hash_of(store: Repositories, seq: int) -> bytes:
    with store.db.engine.connect() as conn:
        return bytes(conn.execute(select(AuditEvent.hash).where(AuditEvent.seq == seq)).one()[0])


class _SyslogServer(threading.Thread):
    """A syslog server receiving RFC 5424 messages over UDP, writing them to a file."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.received = 0
        self.stopping = False

    def run(self) -> None:
        with self.path.open("a") as out:
            while not self.stopping:
                try:
                    data = self.sock.recv(65536)
                except TimeoutError:
                    continue
                out.write(data.decode().rstrip("\n") + "\n")
                out.flush()
                self.received += 1


def test_a_syslog_server_witnesses_the_chain(store_config: StoreConfig, tmp_path: Path) -> None:
    server = _SyslogServer(tmp_path / "syslog")
    server.start()
    store = open_repositories(replace(store_config, witness=f"syslog://127.0.0.1:{server.port}"))
    try:
        _seed(store, 2)
        wait_until_sync(lambda: server.received == 4)
        assert store.audit.verify(server.path).ok
        _cut_after(store, 2)
        result = store.audit.verify(server.path)
        assert not result.ok and result.problem is not None and "witness" in result.problem
    finally:
        server.stopping = True
        server.join()
        server.sock.close()
        store.db.dispose()


def test_a_missing_witness_file_is_fine_only_before_the_first_event(
    store_config: StoreConfig, tmp_path: Path
) -> None:
    log = tmp_path / "not-yet.log"
    store = open_repositories(replace(store_config, witness=str(tmp_path / "elsewhere.log")))
    try:
        assert store.audit.verify(log).ok  # nothing written, nothing witnessed
        record_event(store, "test", "one")
        result = store.audit.verify(log)
        assert not result.ok and result.problem is not None and "witness" in result.problem
    finally:
        store.db.dispose()
