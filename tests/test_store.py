"""The Repositories on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

import ast
import json
import logging
import sqlite3
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.dialects import sqlite

from kiosk.domain.visits import ScreeningOutcome, VisitorType
from kiosk.services.rights import Person
from storage.errors import (
    AlreadyCheckedOut,
    DatabaseUnavailable,
    InvalidDeparture,
    NotFound,
    RecordTampered,
)
from storage.fastread import uuid_from_hex
from storage.ids import time_ordered_id
from storage.models import AuditEvent, Visit
from storage.open import StoreConfig, open_repositories
from storage.repositories import Repositories
from storage.types import UTCDateTime
from tests.helpers.factories import visitor
from tests.helpers.kiosk_ui import OPERATOR
from tests.helpers.store import (
    add_host,
    check_in,
    check_out,
    check_out_visit,
    correct,
    record_event,
    services_over,
)


def _all_bytes(store: Repositories, cfg: StoreConfig, tmp_path: Path) -> bytes:
    """Everything on disk (SQLite: every file of the data dir, WAL included) or, on
    PostgreSQL, every row of every table as the server returns it."""
    if store.db.engine.dialect.name == "sqlite":
        return b"".join(p.read_bytes() for p in (tmp_path / "data").iterdir() if p.is_file())
    dump = b""
    for engine in (store.db.engine, store.db.keystore.engine):
        with engine.connect() as conn:
            tables = conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            ).scalars()
            for table in list(tables):
                rows = conn.execute(text(f'SELECT row_to_json(t)::text FROM "{table}" t'))
                dump += "\n".join(r[0] for r in rows).encode()
    return dump


def test_check_in_round_trip(store: Repositories) -> None:
    v = visitor(1)
    result = check_in(store, v, actor="test")
    got = store.visits.get(result.visit_id)
    assert (got.name, got.email, got.phone, got.company) == (v.name, v.email, v.phone, v.company)
    assert got.host_name == "Hostina Placeholder"
    assert got.screening is ScreeningOutcome.PASSED
    assert got.nda_accepted and got.on_site
    day = store.visits.on_day(store.db.local_day(result.arrived_at))
    assert [x.id for x in day.visits] == [result.visit_id]


def test_personal_data_never_on_disk_or_in_logs(
    store: Repositories, store_config: StoreConfig, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    visits = [visitor(i) for i in range(20)]
    for v in visits:
        check_in(store, v, actor="test")
    store.visits.find_person(email=visits[3].email)
    raw = _all_bytes(store, store_config, tmp_path)
    assert len(raw) > 10_000
    logged = caplog.text.encode()
    for v in visits:
        for secret in (v.name, v.email, v.company, v.phone):
            assert secret is not None
            assert secret.encode() not in raw, "personal data found in the database bytes"
            assert secret.encode() not in logged
    # ... and yet everything decrypts.
    day = store.visits.on_day(store.db.local_day(datetime.now(UTC)))
    assert sorted(x.name for x in day.visits) == sorted(v.name for v in visits)


def test_every_field_reads_back_as_written(store: Repositories) -> None:
    # Day view, look-up and export read the same few text columns, formatted by each
    # database (hex ids, ISO times): every field must come back exactly.
    host = add_host(store, "Hostperson Fictional", actor="admin")
    arrived = datetime(2026, 3, 29, 0, 59, 58, 123456, tzinfo=UTC)  # 01:59 CET, before DST
    v = visitor(13, visitor_type=VisitorType.CONTRACTOR, host_id=host, host_name=None)
    done = check_in(store, v, actor="test", now=arrived)
    left = arrived + timedelta(hours=3, microseconds=7)  # after the clocks went forward
    check_out_visit(store, done.visit_id, actor="test", now=left)
    plain = check_in(store, visitor(14, phone=None, company=None), actor="test", now=arrived)
    day = store.visits.on_day(store.db.local_day(arrived))
    assert day.damaged == []
    got = {x.id: x for x in day.visits}
    first = got[done.visit_id]
    assert first == store.visits.get(done.visit_id)
    assert first == store.visits.find_person(email=v.email)[0]
    assert (first.arrived_at, first.departed_at) == (arrived, left)
    assert first.arrived_at.tzinfo is UTC and first.departed_at.tzinfo is UTC  # type: ignore[union-attr]
    assert first.local_day == date(2026, 3, 29) and first.visitor_type is VisitorType.CONTRACTOR
    assert (first.host_id, first.host_name) == (host, None)
    assert (first.nda_accepted, first.needs_confirmation, first.flagged) == (True, False, False)
    second = got[plain.visit_id]
    assert (second.phone, second.company, second.host_id) == (None, None, None)
    assert second.departed_at is None and second.visitor_type is VisitorType.GUEST


def test_sqlite_times_are_fixed_width_utc_text_that_sorts() -> None:
    bind = UTCDateTime().process_bind_param
    dialect = sqlite.dialect()
    on_the_second = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert bind(on_the_second, dialect) == "2026-01-02 03:04:05.000000"
    amsterdam = datetime(2026, 7, 1, 9, 0, 0, 5, tzinfo=ZoneInfo("Europe/Amsterdam"))
    assert bind(amsterdam, dialect) == "2026-07-01 07:00:00.000005"
    times = [on_the_second + timedelta(microseconds=m) for m in (0, 1, 999_999, 10**6)]
    texts = [bind(t, dialect) for t in times]
    assert sorted(texts) == texts and {len(t) for t in texts} == {26}
    with pytest.raises(ValueError, match="naive"):
        bind(datetime(2026, 1, 2), dialect)


def test_an_unknown_visitor_type_is_reported_not_fatal(store: Repositories) -> None:
    odd = check_in(store, visitor(15), actor="test")
    fine = check_in(store, visitor(16), actor="test")
    with store.db.engine.begin() as conn:
        conn.execute(update(Visit).where(Visit.id == odd.visit_id).values(visitor_type="alien"))
    day = store.visits.on_day(store.db.local_day(odd.arrived_at))
    assert [v.id for v in day.visits] == [fine.visit_id]
    assert [(d.row_id, "integrity check" in d.reason) for d in day.damaged] == [
        (odd.visit_id, True)
    ]
    with pytest.raises(RecordTampered, match=str(odd.visit_id)):
        store.visits.get(odd.visit_id)


def test_check_out_by_code_once(store: Repositories) -> None:
    result = check_in(store, visitor(2), actor="test")
    messy = result.badge_code.lower().replace("-", " ")
    assert check_out(store, messy, actor="test") == result.visit_id
    assert store.visits.get(result.visit_id).departed_at is not None
    with pytest.raises(AlreadyCheckedOut):
        check_out(store, result.badge_code, actor="test")
    with pytest.raises(NotFound):
        check_out(store, "0000-0000-0000", actor="test")
    with pytest.raises(NotFound):
        check_out(store, "not a code", actor="test")


def test_a_departure_staff_enter_must_lie_between_arrival_and_now(store: Repositories) -> None:
    """Staff close yesterday's open visit with the time the visitor left: a time before
    the arrival or in the future is refused and writes nothing (no departure, no audit
    event); a time between is the departure, in every read, and the event says so."""
    arrived = datetime(2026, 11, 29, 8, 0, 0, 250000, tzinfo=UTC)
    now = arrived + timedelta(days=1)
    done = check_in(store, visitor(2), actor="test", now=arrived)
    events = _count_events(store)
    for wrong in (arrived - timedelta(seconds=1), now + timedelta(minutes=1)):
        with pytest.raises(InvalidDeparture):
            check_out_visit(store, done.visit_id, actor="staff:a", now=now, departed_at=wrong)
        assert store.visits.get(done.visit_id).departed_at is None
        assert _count_events(store) == events
    left = datetime(2026, 11, 29, 17, 30, tzinfo=ZoneInfo("Europe/Amsterdam"))
    check_out_visit(store, done.visit_id, actor="staff:a", now=now, departed_at=left)
    assert store.visits.get(done.visit_id).departed_at == left
    assert store.visits.on_day(date(2026, 11, 29)).visits[0].departed_at == left
    with store.db.engine.connect() as conn:
        at, details = conn.execute(
            select(AuditEvent.at, AuditEvent.details).order_by(AuditEvent.seq.desc()).limit(1)
        ).one()
    assert (at, details) == (now, {"departure_entered": "2026-11-29T16:30:00+00:00"})
    with pytest.raises(AlreadyCheckedOut):
        check_out_visit(store, done.visit_id, actor="staff:a", now=now, departed_at=left)


def _count_events(store: Repositories) -> int:
    with store.db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(AuditEvent)).scalar_one())


def test_flipped_byte_is_detected_and_named(store: Repositories) -> None:
    a = check_in(store, visitor(3), actor="test")
    b = check_in(store, visitor(4), actor="test")
    with store.db.engine.begin() as conn:
        stored = conn.execute(select(Visit.personal_ct).where(Visit.id == a.visit_id)).scalar_one()
        blob = bytearray(stored)
        blob[20] ^= 0x01
        conn.execute(update(Visit).where(Visit.id == a.visit_id).values(personal_ct=bytes(blob)))
    with pytest.raises(RecordTampered) as err:
        store.visits.get(a.visit_id)
    assert str(a.visit_id) in str(err.value)
    assert "Qwertyco" not in str(err.value)
    assert store.visits.get(b.visit_id).name == visitor(4).name
    day = store.visits.on_day(store.db.local_day(a.arrived_at))
    assert [v.id for v in day.visits] == [b.visit_id]
    assert [d.row_id for d in day.damaged] == [a.visit_id]


def test_ciphertext_moved_to_another_row_is_detected(store: Repositories) -> None:
    a = check_in(store, visitor(5), actor="test")
    b = check_in(store, visitor(6), actor="test")
    with store.db.engine.begin() as conn:
        blob_a = conn.execute(select(Visit.personal_ct).where(Visit.id == a.visit_id)).one()[0]
        conn.execute(update(Visit).where(Visit.id == b.visit_id).values(personal_ct=blob_a))
    with pytest.raises(RecordTampered, match=str(b.visit_id)):
        store.visits.get(b.visit_id)
    assert store.visits.get(a.visit_id).name == visitor(5).name
    # Staff correcting the moved record are refused too: a correction re-seals what it
    # read, and must not turn a forged envelope into a valid one.
    with pytest.raises(RecordTampered, match=str(b.visit_id)):
        correct(store, b.visit_id, {"company": "Fixed"}, actor="staff:rita")
    with store.db.engine.connect() as conn:
        still = conn.execute(select(Visit.personal_ct).where(Visit.id == b.visit_id)).one()[0]
    assert bytes(still) == bytes(blob_a)


def test_find_person_by_email_and_phone(store: Repositories) -> None:
    ids = [check_in(store, visitor(i), actor="test").visit_id for i in range(30)]
    again = check_in(store, visitor(7), actor="test").visit_id
    found = store.visits.find_person(email=visitor(7).email.upper())  # type: ignore[union-attr]
    assert sorted(v.id for v in found) == sorted([ids[7], again])
    found = store.visits.find_person(phone=visitor(8).phone)
    assert [v.id for v in found] == [ids[8]]
    assert store.visits.find_person(email="nobody@example.invalid") == []


def test_look_ups_reach_every_day_that_holds_visits(store: Repositories) -> None:
    # Badge and blind-index look-ups seek day by day: days far apart, and one visit
    # from a kiosk whose clock was years behind, are all found.
    now = datetime.now(UTC)
    whens = [now - timedelta(days=d) for d in (0, 1, 45, 3 * 365)]
    done = [check_in(store, visitor(i), actor="test", now=w) for i, w in enumerate(whens)]
    with store.db.engine.connect() as conn:
        assert store.visits.visit_days(conn) == sorted({store.db.local_day(w) for w in whens})
    for i, result in enumerate(done):
        assert [v.id for v in store.visits.find_person(email=visitor(i).email)] == [result.visit_id]
        assert check_out(store, result.badge_code, actor="test") == result.visit_id


def test_a_correction_reseals_the_visit_and_moves_its_look_ups(store: Repositories) -> None:
    """A corrected phone number or e-mail finds the visit under the new value, not the old;
    nothing else of the visit changes; a correction that changes nothing writes nothing."""
    v = check_in(store, visitor(7), actor="test").visit_id
    before = store.visits.get(v)
    fixed = {"phone": "+31205559999", "email": None, "company": before.company}
    assert correct(store, v, fixed, actor="staff:rita") == ["email", "phone"]
    after = store.visits.get(v)
    assert (after.phone, after.email) == ("+31205559999", None)
    assert (after.name, after.company, after.arrived_at) == (
        before.name, before.company, before.arrived_at
    )  # fmt: skip
    assert [x.id for x in store.visits.find_person(phone="+31205559999")] == [v]
    assert store.visits.find_person(phone=before.phone or "") == []
    assert store.visits.find_person(email=before.email or "") == []
    events = len(store_events(store))
    assert correct(store, v, {"phone": "+31205559999"}, actor="staff:rita") == []
    assert len(store_events(store)) == events  # nothing changed, nothing audited
    with pytest.raises(ValueError, match="cannot correct"):
        correct(store, v, {"badge_code": "x"}, actor="staff:rita")
    with pytest.raises(NotFound):
        correct(store, uuid.uuid4(), {"name": "Nobody Fakename"}, actor="staff:rita")


def store_events(store: Repositories) -> list[str]:
    with store.db.engine.connect() as conn:
        return list(conn.execute(select(AuditEvent.action)).scalars())


def test_erase_person_removes_every_record(store: Repositories) -> None:
    keep = check_in(store, visitor(10), actor="test")
    gone = check_in(store, visitor(11), actor="test")
    email = visitor(11).email
    assert email is not None
    report = services_over(store).rights.erase(Person(email=email), OPERATOR)
    assert (report.visits, report.nda_acceptances, report.outbox) == (1, 1, 1)
    with pytest.raises(NotFound):
        store.visits.get(gone.visit_id)
    assert store.visits.get(keep.visit_id).name == visitor(10).name


def test_stream_range_yields_every_visit(store: Repositories) -> None:
    base = datetime(2026, 11, 2, 9, tzinfo=UTC)
    for i in range(25):
        check_in(store, visitor(i), actor="test", now=base + timedelta(hours=i * 5))
    days = [(base + timedelta(hours=i * 5)).date() for i in range(25)]
    streamed = list(store.visits.stream_range(days[5], days[15], batch=4))
    expected = [
        i
        for i in range(25)
        if days[5] <= store.db.local_day(base + timedelta(hours=i * 5)) <= days[15]
    ]
    assert [v.name for v in streamed] == [visitor(i).name for i in expected]  # type: ignore[union-attr]


def test_one_transaction_writes_audit_event_without_personal_data(store: Repositories) -> None:
    v = visitor(12)
    result = check_in(store, v, actor="test")
    with store.db.engine.connect() as conn:
        events = conn.execute(select(AuditEvent)).all()
    assert [e.action for e in events] == ["visit.check_in"]
    assert events[0].object_id == str(result.visit_id)
    dumped = json.dumps([list(map(str, e)) for e in events])
    assert v.name not in dumped and str(v.email) not in dumped


def test_uuid_from_hex_is_a_real_uuid() -> None:
    for _ in range(100):
        u = uuid.uuid4()
        fast = uuid_from_hex(u.hex)
        assert fast == u and hash(fast) == hash(u) and str(fast) == str(u)
        assert fast.bytes == u.bytes and {fast: 1}[u] == 1


def test_a_write_refused_by_the_driver_is_a_clear_error_and_keeps_nothing(
    store: Repositories,
) -> None:
    """Check-ins write on the driver's own connection; a driver error there, after the
    visit row went in, still becomes DatabaseUnavailable and rolls the check-in back."""
    if store.db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite checks a trigger's tables only when it fires")
    check_in(store, visitor(1), actor="test")
    # The audit event is the last insert: make SQLite refuse it as an operational error.
    refuse = text(
        "CREATE TRIGGER refuse BEFORE INSERT ON audit_events"
        " BEGIN INSERT INTO no_such_table VALUES (1); END"
    )
    with store.db.engine.begin() as conn:
        conn.execute(refuse)
    with pytest.raises(DatabaseUnavailable, match="no such table"):
        check_in(store, visitor(2), actor="test")
    with store.db.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER refuse"))
        assert conn.execute(select(func.count()).select_from(Visit)).scalar() == 1
        assert conn.execute(select(func.count()).select_from(AuditEvent)).scalar() == 1
    third = check_in(store, visitor(3), actor="test")  # and the store goes on working
    assert store.visits.get(third.visit_id).name == visitor(3).name


def test_a_database_locked_past_the_busy_timeout_is_a_clear_error(
    store_config: StoreConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holding SQLite's write lock: the check-in waits out the busy
    timeout, then fails with a clear error, writes nothing, and works once it is free."""
    if not store_config.database_url.startswith("sqlite"):
        pytest.skip("SQLite's write lock; PostgreSQL locks rows, not the database")
    monkeypatch.setattr("storage.engine.BUSY_TIMEOUT_MS", 300)
    store = open_repositories(store_config)
    check_in(store, visitor(1), actor="test")
    path = store_config.database_url.removeprefix("sqlite:///")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(DatabaseUnavailable, match="database is locked"):
            check_in(store, visitor(2), actor="test")
    finally:
        other.execute("ROLLBACK")
        other.close()
    done = check_in(store, visitor(3), actor="test")
    with store.db.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Visit)).scalar() == 2
    assert store.visits.get(done.visit_id).name == visitor(3).name
    store.db.engine.dispose()


HOLDER = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
spans = []
for i in range(5):
    db.execute("BEGIN IMMEDIATE")
    start = time.monotonic()
    if i == 0:
        print("holding", flush=True)
    time.sleep(0.28)
    db.execute("COMMIT")
    spans.append((start, time.monotonic()))
    time.sleep(0.02)
print(spans, flush=True)
"""


@pytest.mark.parametrize("write", ["check-in", "audit event"])
def test_a_writer_gets_in_at_the_first_gap_between_another_writers_transactions(
    store_config: StoreConfig, write: str
) -> None:
    """A long purge is a run of short write transactions with short gaps between them.
    A check-in (or any other write) that arrives meanwhile must get in at the first gap,
    not after the run. SQLite's own busy wait sleeps 100 ms a try after 228 ms, so it
    kept missing gaps: here, 280 ms transactions 20 ms apart, it would wait all five."""
    if not store_config.database_url.startswith("sqlite"):
        pytest.skip("SQLite's write lock; PostgreSQL locks rows, not the database")
    store = open_repositories(store_config)
    path = store_config.database_url.removeprefix("sqlite:///")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, path], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None
    try:
        assert holder.stdout.readline().strip() == "holding"
        if write == "check-in":
            check_in(store, visitor(1), actor="test")
        else:
            record_event(store, "test", "test.event")
        done = time.monotonic()
        spans = ast.literal_eval(holder.stdout.readline())
    finally:
        holder.kill()
        holder.wait()
        store.db.engine.dispose()
    assert len(spans) == 5
    # In at the first gap: done before the other writer's second transaction ended
    # (it waited for the check-in to commit before it could even begin).
    assert done < spans[1][1], (done, spans)


def test_visit_ids_sort_by_time() -> None:
    start = datetime(2026, 11, 29, 8, tzinfo=UTC)
    ids = [time_ordered_id(start + timedelta(milliseconds=3 * i)) for i in range(2000)]
    assert all(u.version == 7 and u.variant == uuid.RFC_4122 for u in ids)
    assert [u.hex for u in ids] == sorted(u.hex for u in ids)  # SQLite stores the hex
    assert len(set(ids)) == len(ids)
    assert len({time_ordered_id(start) for _ in range(1000)}) == 1000  # same millisecond


def test_check_ins_get_time_ordered_ids(store: Repositories) -> None:
    at = datetime.now(UTC)
    first = check_in(store, visitor(1), actor="test", now=at).visit_id
    second = check_in(store, visitor(2), actor="test", now=at + timedelta(seconds=1)).visit_id
    assert first.version == 7 and first.hex < second.hex
