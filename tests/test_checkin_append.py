"""A check-in appends its audit events after the lane's head as its process last wrote
it, all its rows in one statement (storage.fastwrite.RawWriter.insert_chained), where
that head still holds; where it does not (another writer appended, the events were cut
or the database restored), it stores nothing that way and goes through the transaction
that locks the lane and reads its head. Either way the chain stays whole and verifiable.
On SQLite and on PostgreSQL."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import psycopg
import pytest
from sqlalchemy import delete, func, select, text

from kiosk.domain.documents import DocumentText
from kiosk.domain.visits import NewVisit, VisitorType
from storage import audit
from storage.fastwrite import RawWriter
from storage.models import AuditEvent, ShownDocument, Visit
from storage.open import StoreConfig, open_repositories
from storage.repositories import Repositories
from tests.helpers.factories import visitor
from tests.helpers.store import check_in, record_event

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)


def _chain(store: Repositories) -> list[tuple[int, str, bytes, bytes]]:
    with store.db.engine.connect() as conn:
        rows = conn.execute(
            select(AuditEvent.seq, AuditEvent.action, AuditEvent.prev_hash, AuditEvent.hash)
            .where(AuditEvent.lane == "")
            .order_by(AuditEvent.seq)
        )
        return [(int(s), a, bytes(p), bytes(h)) for s, a, p, h in rows]


@contextmanager
def _transactions(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many times the writer opened a transaction (the lane's lock and head read
    first) rather than sending a check-in as one statement."""
    opened: list[int] = []
    original = RawWriter.transaction

    def counted(self: RawWriter) -> Any:
        opened.append(1)
        return original(self)

    monkeypatch.setattr(RawWriter, "transaction", counted)
    yield opened


def test_check_ins_go_in_one_statement_after_the_kiosks_own_last_event(
    store: Repositories, engine_kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first check-in of a process reads the lane's head; the next ones append after
    the event the one before appended, without reading it (on PostgreSQL: one statement,
    one round trip). A delivery's two events follow each other; the chain verifies."""
    with _transactions(monkeypatch) as opened:
        check_in(store, visitor(1), now=NOW)
        assert len(opened) == 1
        for i in range(2, 6):
            check_in(store, visitor(i), now=NOW + timedelta(minutes=i))
        check_in(store, _delivery(), now=NOW + timedelta(minutes=9))
    expected = 1 if engine_kind == "postgres" else 6  # SQLite: its transaction always
    assert len(opened) == expected
    chain = _chain(store)
    assert [s for s, *_ in chain] == list(range(1, 8))
    assert [a for _, a, *_ in chain][-2:] == ["visit.check_in", "visit.check_out"]
    for (_, _, _, before), (_, _, prev, _) in pairwise(chain):
        assert prev == before
    assert store.audit.verify().ok
    assert store.db.checkpoint is not None
    assert store.db.checkpoint.read() == audit.Checkpoint(7, chain[-1][3])


def _delivery() -> NewVisit:
    return NewVisit(
        name="Fastparcel Express",
        email=None,
        phone=None,
        company="Fastparcel Express",
        visitor_type=VisitorType.DELIVERY,
        host_name="Hostina Placeholder",
        parcel=True,
    )


def test_a_check_in_after_another_writers_event_goes_after_it(
    store: Repositories, store_config: StoreConfig
) -> None:
    """Another machine appends to the kiosk's lane between two of its check-ins: the
    kiosk's next event follows that one (its one statement finds its own last event is
    no longer the head, stores nothing, and the check-in goes through the lane's lock)."""
    other = open_repositories(store_config)
    try:
        check_in(store, visitor(1), now=NOW)
        record_event(other, "test", "other.event")
        result = check_in(store, visitor(2), now=NOW + timedelta(minutes=1))
    finally:
        other.db.dispose()
    chain = _chain(store)
    assert [(s, a) for s, a, *_ in chain] == [
        (1, "visit.check_in"),
        (2, "other.event"),
        (3, "visit.check_in"),
    ]
    assert chain[2][2] == chain[1][3]
    with store.db.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Visit)).scalar() == 2
        ids = conn.execute(select(Visit.id)).scalars().all()
    assert result.visit_id in ids
    assert store.audit.verify().ok


def test_a_check_in_after_its_last_event_was_cut_off_does_not_hide_the_cut(
    store: Repositories,
) -> None:
    """The kiosk's own newest event deleted: the check-in stores its visit (after the
    head the database now has) and the checkpoint stays at the deleted event, so
    verification still reports the cut."""
    for i in range(3):
        check_in(store, visitor(i), now=NOW + timedelta(minutes=i))
    with store.db.engine.begin() as conn:
        conn.execute(delete(AuditEvent).where(AuditEvent.seq == 3))
    check_in(store, visitor(7), now=NOW + timedelta(minutes=7))
    assert [s for s, *_ in _chain(store)] == [1, 2, 3]
    with store.db.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Visit)).scalar() == 4
    result = store.audit.verify()
    assert not result.ok and result.problem == "event 3 was rewritten", result.problem


def test_a_check_in_waits_for_a_writer_holding_its_lanes_lock_and_goes_after_it(
    store: Repositories, engine_kind: str
) -> None:
    """Another connection has locked the lane and read its head (the kiosk's last
    event), and has not appended yet: the kiosk's check-in, which would append after
    that same event, waits for the lock, then finds the head moved and goes after the
    other's event; the other's append is not refused."""
    if engine_kind != "postgres":
        pytest.skip("SQLite's write lock serialises writers")
    check_in(store, visitor(1), now=NOW)
    [(seq, _, _, digest)] = _chain(store)
    url = store.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    done = threading.Event()
    failed: list[BaseException] = []

    def second() -> None:
        try:
            check_in(store, visitor(2), now=NOW + timedelta(minutes=2))
        except BaseException as exc:  # reported by the test below
            failed.append(exc)
        done.set()

    with psycopg.connect(url) as conn:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (audit.lock_key(""),))
        head = conn.execute(
            "SELECT seq, hash FROM audit_events WHERE lane = '' ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        assert head is not None and (head[0], bytes(head[1])) == (seq, digest)
        thread = threading.Thread(target=second)
        thread.start()
        assert not done.wait(0.5), "the check-in appended while another held the lane's lock"
        values = audit.event_values(
            store.db.audit_key, "", seq + 1, digest, NOW + timedelta(minutes=1), "test",
            "other.event", None, None,
        )  # fmt: skip
        conn.execute(
            "INSERT INTO audit_events (lane, seq, at, actor, action, object_id, details,"
            " prev_hash, hash) VALUES ('', %s, %s, %s, %s, NULL, '{}', %s, %s)",
            (values["seq"], values["at"], "test", "other.event", digest, values["hash"]),
        )
    assert done.wait(10)
    thread.join()
    assert failed == []
    chain = _chain(store)
    assert [(s, a) for s, a, *_ in chain] == [
        (1, "visit.check_in"),
        (2, "other.event"),
        (3, "visit.check_in"),
    ]
    assert store.audit.verify().ok


def test_check_ins_from_two_threads_at_once_all_land_and_leave_the_pool_as_it_was(
    store: Repositories,
) -> None:
    """Two threads checking in at once (the second writes on a pooled connection while
    the first has the kept one): every visit stored once, the chain whole; and a
    connection given back to the pool still holds its transactions (not left to commit
    every statement on its own)."""
    errors: list[BaseException] = []

    def run(first: int) -> None:
        try:
            for i in range(first, first + 15):
                check_in(store, visitor(i), now=NOW + timedelta(seconds=i))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in (0, 100)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [s for s, *_ in _chain(store)] == list(range(1, 31))
    assert store.audit.verify().ok
    with store.db.engine.connect() as conn:
        conn.execute(text("DELETE FROM visits"))
        conn.rollback()
        assert conn.execute(select(func.count()).select_from(Visit)).scalar() == 30


def test_a_text_another_kiosk_keeps_already_goes_in_the_one_statement_once(
    store: Repositories,
    store_config: StoreConfig,
    engine_kind: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A check-in showing a privacy notice another kiosk has already stored (this one
    does not know it yet): on PostgreSQL still one statement, the text kept once."""
    text = "version: 1\nOur privacy notice."
    shown = DocumentText("privacy", "en", "1", hashlib.sha256(text.encode()).hexdigest(), text)
    other = open_repositories(store_config)
    try:
        check_in(other, replace(visitor(1), documents=(shown,)), now=NOW)
    finally:
        other.db.dispose()
    check_in(store, visitor(2), now=NOW + timedelta(minutes=1))  # reads the head
    with _transactions(monkeypatch) as opened:
        check_in(store, replace(visitor(3), documents=(shown,)), now=NOW + timedelta(minutes=2))
    assert len(opened) == (0 if engine_kind == "postgres" else 1)
    with store.db.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ShownDocument)).scalar() == 1
        assert conn.execute(select(func.count()).select_from(Visit)).scalar() == 3
    assert store.audit.verify().ok
