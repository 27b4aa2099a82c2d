"""Audit lanes: kiosks sharing a database, each with a lane of its own ([audit] lane),
append to chains of their own without waiting for each other; each lane verifies on its
own, its checkpoint and witness follow it, purges keep it verifiable, and its events
cannot be passed off as another lane's. On SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from storage.models import AuditAnchor, AuditEvent
from storage.open import StoreConfig, open_repositories
from storage.repositories import Repositories
from tests.helpers.factories import visitor
from tests.helpers.store import check_in, record_event

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)


def _kiosk(store_config: StoreConfig, tmp_path: Path, lane: str, n: int) -> Repositories:
    """A kiosk in ``lane`` with its own checkpoint, writing the shared witness file."""
    return open_repositories(
        replace(
            store_config,
            audit_lane=lane,
            witness=str(tmp_path / "heads.log"),
            checkpoint_path=tmp_path / f"checkpoint-{n}.json",
        )
    )


@pytest.fixture
def kiosks(store_config: StoreConfig, tmp_path: Path) -> Iterator[list[Repositories]]:
    """Two kiosks on one database, in lanes "a" and "b"."""
    made = [_kiosk(store_config, tmp_path, lane, i) for i, lane in enumerate(("a", "b"))]
    yield made
    for repos in made:
        repos.db.dispose()


def _lane(store: Repositories, lane: str) -> list[tuple[int, bytes]]:
    with store.db.engine.connect() as conn:
        rows = conn.execute(
            select(AuditEvent.seq, AuditEvent.prev_hash)
            .where(AuditEvent.lane == lane)
            .order_by(AuditEvent.seq)
        )
        return [(int(seq), bytes(prev)) for seq, prev in rows]


def test_each_kiosk_appends_to_its_own_lane_and_verifies_without_the_witness(
    kiosks: list[Repositories],
) -> None:
    """Interleaved check-ins: each lane counts from 1 and follows only its own events;
    each kiosk's checkpoint follows its lane, so neither needs the witness to verify
    (kiosks sharing one lane do: the other's events run past its checkpoint)."""
    a, b = kiosks
    for i in range(3):
        check_in(a, visitor(2 * i), actor="test", now=NOW + timedelta(minutes=2 * i))
        check_in(b, visitor(2 * i + 1), actor="test", now=NOW + timedelta(minutes=2 * i + 1))
    assert [seq for seq, _ in _lane(a, "a")] == [1, 2, 3]
    assert [seq for seq, _ in _lane(a, "b")] == [1, 2, 3]
    assert _lane(a, "") == []
    for store, lane in ((a, "a"), (b, "b")):
        result = store.audit.verify()
        assert result.ok and result.checked == 6, result.problem
        assert store.db.checkpoint is not None
        recorded = store.db.checkpoint.read()
        assert recorded is not None and (recorded.lane, recorded.seq) == (lane, 3)
    shown = a.audit.events()  # both lanes, in time
    assert [e.ref for e in shown] == ["a/1", "b/1", "a/2", "b/2", "a/3", "b/3"]


def test_a_kiosk_in_another_lane_does_not_wait_for_an_open_append(
    kiosks: list[Repositories], store_config: StoreConfig, tmp_path: Path, engine_kind: str
) -> None:
    """Kiosk "a" holds its lane's append lock (a transaction that appended and has not
    committed): kiosk "b" checks a visitor in meanwhile; a second kiosk in lane "a"
    waits, and then appends after the first's event, not beside it."""
    if engine_kind != "postgres":
        pytest.skip("SQLite has one writer at a time, whatever the lane")
    a, b = kiosks
    also_a = _kiosk(store_config, tmp_path, "a", 2)
    done: dict[str, threading.Event] = {"b": threading.Event(), "a": threading.Event()}

    def write(store: Repositories, name: str) -> None:
        record_event(store, "test", f"test.{name}")
        done[name].set()

    with a.db.uow("test") as tx:
        tx.audit("test.hold")
        threads = [
            threading.Thread(target=write, args=(b, "b")),
            threading.Thread(target=write, args=(also_a, "a")),
        ]
        for thread in threads:
            thread.start()
        assert done["b"].wait(10), "lane b waited for lane a's open transaction"
        assert not done["a"].wait(0.5), "two appends to lane a at once"
    assert done["a"].wait(10)
    for thread in threads:
        thread.join()
    also_a.db.dispose()
    lane_a = _lane(a, "a")
    assert [seq for seq, _ in lane_a] == [1, 2]
    assert a.audit.verify(a.db.witness.file if a.db.witness else None).ok


def test_a_cut_in_one_lane_is_named_with_its_lane(kiosks: list[Repositories]) -> None:
    a, b = kiosks
    for _ in range(3):
        record_event(a, "test", "test.a")
        record_event(b, "test", "test.b")
    with a.db.engine.begin() as conn:  # b's newest event cut off
        conn.execute(delete(AuditEvent).where(AuditEvent.lane == "b", AuditEvent.seq == 3))
    assert a.audit.verify().ok  # a's checkpoint guards lane a, which is whole
    result = b.audit.verify()
    assert not result.ok and result.problem == (
        "the newest events were cut off: the checkpoint records event 3 of lane b, lane b ends at 2"
    )
    with a.db.engine.begin() as conn:  # and a's middle one deleted
        conn.execute(delete(AuditEvent).where(AuditEvent.lane == "a", AuditEvent.seq == 2))
    result = a.audit.verify()
    assert not result.ok and result.problem == "event 2 of lane a is missing (deleted)"


def test_events_cannot_be_moved_to_another_lane(kiosks: list[Repositories]) -> None:
    """A lane starts from a hash of its name: a lane's events relabelled as another's
    (whole, with its checkpoint's kiosk none the wiser) do not verify."""
    a, b = kiosks
    record_event(a, "test", "test.a")
    record_event(b, "test", "test.b")
    record_event(b, "test", "test.b")
    with a.db.engine.begin() as conn:
        conn.execute(update(AuditEvent).where(AuditEvent.lane == "b").values(lane="c"))
    result = a.audit.verify()
    assert not result.ok and result.problem == (
        "event 1 of lane c does not follow event 0 (reordered or edited)"
    )


def test_a_purge_anchors_every_lane(kiosks: list[Repositories]) -> None:
    a, b = kiosks
    for i in range(3):
        check_in(a, visitor(i), actor="test", now=NOW + timedelta(minutes=i))
        check_in(b, visitor(10 + i), actor="test", now=NOW + timedelta(minutes=i))
    a.retention.purge(NOW + timedelta(days=400))  # every event older than a year: all
    with a.db.engine.connect() as conn:
        anchors = conn.execute(select(AuditAnchor.lane, AuditAnchor.seq)).all()
        left = conn.execute(select(AuditEvent.lane, AuditEvent.seq)).all()
    assert sorted((lane, int(seq)) for lane, seq in anchors) == [("a", 3), ("b", 3)]
    assert [(lane, int(seq)) for lane, seq in left] == [("a", 4)]  # the purge's own event
    record_event(b, "test", "test.b")
    assert a.audit.verify().ok and b.audit.verify().ok
    assert _lane(a, "b")[0][0] == 4  # lane b goes on from its anchor
    with a.db.engine.begin() as conn:  # b's anchor moved back to before its events
        conn.execute(update(AuditAnchor).where(AuditAnchor.lane == "b").values(seq=2))
    result = a.audit.verify()
    assert not result.ok and result.problem is not None
    assert result.problem.startswith("the audit anchor of lane b")


def test_the_witness_names_each_lane_and_catches_a_cut_in_one(
    kiosks: list[Repositories],
) -> None:
    """Cut lane b back to an old checkpoint and put that checkpoint back: the witness
    lines, which name their lane, still show it."""
    a, b = kiosks
    assert b.db.checkpoint is not None and b.db.witness is not None
    log = b.db.witness.file
    assert log is not None
    record_event(a, "test", "test.a")
    record_event(b, "test", "test.b")
    saved = b.db.checkpoint.path.read_bytes()
    record_event(b, "test", "test.b", None, None)
    assert b.audit.verify(log).ok
    lines = log.read_text().splitlines()
    assert [" lane=a seq=1 " in lines[0], " lane=b seq=2 " in lines[-1]] == [True, True]
    with a.db.engine.begin() as conn:
        conn.execute(delete(AuditEvent).where(AuditEvent.lane == "b", AuditEvent.seq == 2))
    b.db.checkpoint.close()
    b.db.checkpoint.path.write_bytes(saved)
    assert b.audit.verify().ok  # the limit of a checkpoint on the same disk
    result = b.audit.verify(log)
    assert not result.ok and result.problem == (
        "the newest events were cut off: the witness records event 2 of lane b, lane b ends at 1"
    )


def test_a_kiosk_given_a_lane_goes_on_from_the_shared_chain(
    store_config: StoreConfig, tmp_path: Path
) -> None:
    """A kiosk that wrote lane "" (every kiosk before lanes) is given a lane: its
    checkpoint moves to the new lane, and the old events still verify."""
    before = open_repositories(store_config)
    record_event(before, "test", "test.old")
    record_event(before, "test", "test.old")
    before.db.dispose()
    after = open_repositories(replace(store_config, audit_lane="lobby-b"))
    try:
        record_event(after, "test", "test.new")
        assert after.db.checkpoint is not None
        recorded = after.db.checkpoint.read()
        assert recorded is not None and (recorded.lane, recorded.seq) == ("lobby-b", 1)
        result = after.audit.verify()
        assert result.ok and result.checked == 3, result.problem
    finally:
        after.db.dispose()
