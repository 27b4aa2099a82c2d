"""Crash safety (SIGKILL at random moments) and concurrent kiosks."""

from __future__ import annotations

import random
import resource
import selectors
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TypeVar

import psycopg
import pytest
from sqlalchemy import select

from kiosk.domain.visits import ScreeningOutcome
from storage.errors import AlreadyCheckedOut, DatabaseUnavailable
from storage.keystore_models import DataKey
from storage.models import AuditEvent
from storage.open import StoreConfig, open_repositories
from storage.repositories import Repositories
from tests.helpers.factories import visitor
from tests.helpers.postgres import PG_ADMIN_URL, PgDatabases
from tests.helpers.store import check_in, check_out, check_out_visit, correct
from tests.helpers.workers import config_json

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent.parent


def _spawn(cfg: StoreConfig, count: int, start: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.workers", config_json(cfg), str(count), str(start)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("engine_kind", ["sqlite"])
def test_sigkill_at_random_moments_loses_nothing_reported(store_config: StoreConfig) -> None:
    rng = random.Random(20261129)
    reported: list[uuid.UUID] = []
    for round_no in range(12):
        proc = _spawn(store_config, 0, round_no * 10_000)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read() if proc.stderr else ""
        deadline = time.monotonic() + rng.uniform(0.02, 0.6)

        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        lines: list[str] = []
        while time.monotonic() < deadline:
            if sel.select(timeout=max(0.0, deadline - time.monotonic())):
                line = proc.stdout.readline()
                if not line:
                    break
                lines.append(line)
        proc.kill()  # SIGKILL: no clean-up, maybe mid-transaction
        rest, _ = proc.communicate()
        lines.extend(rest.splitlines())
        reported += [uuid.UUID(x.split()[1]) for x in lines if x.startswith("done ")]
    assert len(reported) > 12

    for db in ("kiosk.db", "keystore.db"):
        conn = sqlite3.connect(store_config.key_file.parent / db)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        conn.close()
    store = open_repositories(store_config)
    try:
        for vid in reported:
            assert store.visits.get(vid).name.startswith("Zyxwvut Fakename")
    finally:
        store.db.engine.dispose()


@pytest.mark.parametrize("engine_kind", ["sqlite"])
def test_a_purge_killed_midway_leaves_a_consistent_store_and_the_next_one_finishes(
    store_config: StoreConfig,
) -> None:
    """A purge's batches commit without waiting for the disk (the checkpoint after each
    syncs it): killing it at random moments, while visitors check in, loses no check-in,
    keeps the file and the audit chain sound, and the next purge deletes what is left."""
    # 400 expired visits and their 400 outbox rows, four at a time: 200 batches. Four
    # kills after 10-40 batches each never let it finish.
    rng = random.Random(20261201)
    now = datetime.now(UTC)
    store = open_repositories(store_config)
    for n in range(400):
        check_in(store, visitor(n), actor="test", now=now - timedelta(days=60, seconds=n))
    reported: list[uuid.UUID] = []
    try:
        for _ in range(4):
            args = [config_json(store_config), "purge", now.isoformat(), "4"]
            proc = subprocess.Popen(
                [sys.executable, "-m", "tests.helpers.workers", *args],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                text=True,
            )
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
            for _ in range(rng.randint(10, 40)):
                assert proc.stdout.readline().strip() == "batch"
                # Visitors keep arriving meanwhile.
                reported.append(
                    check_in(store, visitor(1000 + len(reported)), actor="test").visit_id
                )
            proc.kill()  # SIGKILL: inside a batch, or in the checkpoint between two
            out, _ = proc.communicate()
            assert "purged" not in out, "the purge ended before it was killed"
        db = store_config.key_file.parent / "kiosk.db"
        with closing(sqlite3.connect(db)) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            visits = conn.execute("SELECT count(*) FROM visits").fetchone()[0]
            outbox = conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
        expired = visits + outbox - 2 * len(reported)  # each check-in has one of each
        assert 0 < expired < 800  # some purged, not all

        report = store.retention.purge(now)
        assert report.rows["visits"] + report.rows["outbox"] == expired
        with closing(sqlite3.connect(db)) as conn:
            assert conn.execute("SELECT count(*) FROM visits").fetchone()[0] == len(reported)
        for vid in reported:  # every check-in made meanwhile is there and decrypts
            assert store.visits.get(vid).name.startswith("Zyxwvut Fakename")
        assert store.audit.verify().ok
    finally:
        store.db.engine.dispose()


@pytest.mark.parametrize("engine_kind", ["sqlite"])
def test_a_full_disk_refuses_the_check_in_that_does_not_fit_and_keeps_the_rest(
    store_config: StoreConfig,
) -> None:
    """The kiosk's disk fills up (here: a file-size limit on the process, a few check-ins
    above the database's size). The check-in that does not fit fails as a database
    outage, in one line without the visitor's name; every check-in reported before it is
    there and decrypts, the failed one left nothing, the database and the audit trail are
    intact, and once there is room again the next check-in works."""
    folder = store_config.key_file.parent
    first = open_repositories(store_config)
    check_in(first, visitor(0), actor="test")
    first.db.engine.dispose()  # the WAL folded back: the worker starts with an empty one
    first.db.keystore.engine.dispose()
    limit = max(f.stat().st_size for f in folder.iterdir()) + 300_000

    def small_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = subprocess.run(
        [sys.executable, "-m", "tests.helpers.workers", config_json(store_config), "0", "100"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, preexec_fn=small_disk,
    )  # fmt: skip
    reported = [uuid.UUID(x.split()[1]) for x in proc.stdout.splitlines() if x.startswith("done")]
    assert proc.returncode != 0 and reported, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("storage.errors.DatabaseUnavailable: the database could not be used")
    assert "Zyxwvut" not in proc.stderr

    conn = sqlite3.connect(folder / "kiosk.db")
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert conn.execute("SELECT count(*) FROM visits").fetchone() == (1 + len(reported),)
    conn.close()
    store = open_repositories(store_config)
    try:
        for n, vid in enumerate(reported, start=100):
            assert store.visits.get(vid).name == visitor(n).name
        assert store.audit.verify().ok
        later = check_in(store, visitor(999), actor="test")
        assert store.visits.get(later.visit_id).name == visitor(999).name
    finally:
        store.db.engine.dispose()


def test_four_kiosks_at_once(store_config: StoreConfig) -> None:
    """Four processes start together on a fresh database: they race on migrations, the
    key file, the site, the day's data keys and the audit chain."""
    procs = [_spawn(store_config, 25, i * 1000) for i in range(4)]
    ids: list[uuid.UUID] = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        ids += [uuid.UUID(x.split()[1]) for x in out.splitlines() if x.startswith("done ")]
    assert len(ids) == 100
    store = open_repositories(store_config)
    try:
        day = store.visits.on_day(store.db.local_day(store.visits.get(ids[0]).arrived_at))
        got = {v.id for v in day.visits}
        assert set(ids) <= got
        with store.db.keystore.engine.connect() as conn:
            keys = conn.execute(select(DataKey.category, DataKey.day)).all()
        per_day = Counter((c, d) for c, d in keys)
        assert per_day and all(n == 1 for n in per_day.values())
        assert {c for c, _ in keys} == {"visit", "nda", "outbox"}
        with store.db.engine.connect() as conn:
            seqs = [s for (s,) in conn.execute(select(AuditEvent.seq).order_by(AuditEvent.seq))]
        assert seqs == list(range(1, 101))
    finally:
        store.db.engine.dispose()


def test_four_threads_of_one_kiosk_check_in_at_once(store_config: StoreConfig) -> None:
    """Check-ins from several threads of one process (the app's workers): on SQLite one
    of them writes on the connection the store keeps, the others through the pool."""
    store = open_repositories(store_config)
    try:
        with ThreadPoolExecutor(4) as pool:
            done = list(
                pool.map(lambda n: check_in(store, visitor(n), actor="test").visit_id, range(80))
            )
        for n, vid in enumerate(done):
            assert store.visits.get(vid).name == visitor(n).name
        with store.db.engine.connect() as conn:
            seqs = [s for (s,) in conn.execute(select(AuditEvent.seq).order_by(AuditEvent.seq))]
        assert seqs == list(range(1, 81))
        assert store.audit.verify().ok
    finally:
        store.db.engine.dispose()


@contextmanager
def two_stores(config: StoreConfig) -> Iterator[tuple[Repositories, Repositories]]:
    """Two Stores on one database, as two processes have them (a kiosk and a desk)."""
    pair = open_repositories(config), open_repositories(config)
    try:
        yield pair
    finally:
        for repos in pair:
            repos.db.dispose()


def at_once(*actions: Callable[[], T]) -> list[T]:
    """Run each action in its own thread, all released at the same moment; the results
    (or the first exception) in order."""
    start = threading.Barrier(len(actions))

    def go(action: Callable[[], T]) -> T:
        start.wait()
        return action()

    with ThreadPoolExecutor(len(actions)) as pool:
        return [f.result() for f in [pool.submit(go, a) for a in actions]]


def test_a_badge_scan_and_a_desk_check_out_at_once_record_one_departure(
    store_config: StoreConfig,
) -> None:
    """The visitor scans their badge at the kiosk while reception presses Check out (two
    processes on one database): one of them checks the visit out, the other is told it
    is already done (or, on SQLite, finds the database busy and can try again); never two
    departures, never two check-out events."""
    with two_stores(store_config) as (kiosk, desk):
        visits = [check_in(kiosk, visitor(n), actor="t") for n in range(30)]
        for v in visits:
            outcomes = at_once(
                partial(_outcome, partial(check_out, kiosk, v.badge_code, actor="kiosk")),
                partial(_outcome, partial(check_out_visit, desk, v.visit_id, actor="staff:r")),
            )
            assert outcomes.count("done") == 1, outcomes
        with kiosk.db.engine.connect() as conn:
            per_visit = Counter(
                obj
                for (obj,) in conn.execute(
                    select(AuditEvent.object_id).where(AuditEvent.action == "visit.check_out")
                )
            )
        assert per_visit == Counter(str(v.visit_id) for v in visits)  # one each
        assert kiosk.audit.verify().ok


def test_two_desks_correcting_one_visit_at_once_keep_both_corrections(
    store_config: StoreConfig,
) -> None:
    """Two desks correct different fields of one visit at the same moment: each
    correction re-seals the envelope, so without a lock both started from the same one
    and the later undid the earlier. Both corrections stay."""
    with two_stores(store_config) as (one, other):
        visits = [check_in(one, visitor(n), actor="t").visit_id for n in range(20)]
        for n, visit_id in enumerate(visits):
            at_once(
                partial(correct, one, visit_id, {"name": f"Corrected Name {n}"}, actor="staff:a"),
                partial(correct, other, visit_id, {"company": f"Corrected BV {n}"},
                        actor="staff:b"),
            )  # fmt: skip
        got = [one.visits.get(v) for v in visits]
        assert [(v.name, v.company) for v in got] == [
            (f"Corrected Name {n}", f"Corrected BV {n}") for n in range(len(visits))
        ]
        assert [v.email for v in got] == [visitor(n).email for n in range(len(visits))]
        assert one.audit.verify().ok


def test_a_withdrawn_consent_is_not_undone_by_a_correction_at_the_same_moment(
    store_config: StoreConfig,
) -> None:
    """A visitor withdraws their consent to screening (an admin answers the request)
    while a desk corrects their company: both re-seal the same envelope. Without a lock
    the correction could seal the screening outcome back in after the withdrawal."""
    with two_stores(store_config) as (admin, desk):
        visits = [
            check_in(admin, visitor(n, screening=ScreeningOutcome.PASSED), actor="t").visit_id
            for n in range(20)
        ]
        for n, visit_id in enumerate(visits):
            at_once(
                partial(_withdraw_consent, admin, visit_id, actor="staff:ada"),
                partial(correct, desk, visit_id, {"company": f"Corrected BV {n}"},
                        actor="staff:b"),
            )  # fmt: skip
        got = [admin.visits.get(v) for v in visits]
        assert [v.screening for v in got] == [ScreeningOutcome.NOT_ASKED] * len(visits)
        assert [v.company for v in got] == [f"Corrected BV {n}" for n in range(len(visits))]


def _withdraw_consent(repos: Repositories, visit_id: uuid.UUID, *, actor: str) -> int:
    with repos.db.uow(actor) as tx:
        return repos.rights.withdraw_consent(tx, [visit_id])


def _outcome(action: Callable[[], object]) -> str:
    try:
        action()
    except AlreadyCheckedOut:
        return "already"
    except DatabaseUnavailable:
        return "busy"
    return "done"


@pytest.mark.parametrize("engine_kind", ["sqlite"])
def test_closing_the_store_closes_every_connection(store_config: StoreConfig) -> None:
    """Disposing of the engine closes the connection kept for check-ins too: SQLite
    folds its WAL back and removes it only when the last connection closes."""
    store = open_repositories(store_config)
    check_in(store, visitor(1), actor="test")
    wal = store_config.key_file.parent / "kiosk.db-wal"
    assert wal.exists()
    store.db.engine.dispose()
    store.db.keystore.engine.dispose()
    assert not wal.exists()


@pytest.mark.parametrize("engine_kind", ["postgres"])
def test_a_key_store_that_is_away_is_a_database_outage_not_a_crash(
    store_config: StoreConfig, pg: PgDatabases
) -> None:
    """The key store's server goes away (its database stops taking connections) while
    kiosks run. The first check-in of a new day needs that day's key, and a console that
    has not read a day yet needs its key: both now fail as "the database could not be
    used", as an outage of the records does, so the kiosk tells the visitor to try again
    and keeps the form (before, a raw driver error gave "something went wrong"). Once
    the server is back the same processes carry on, without a restart."""
    kiosk = open_repositories(store_config)
    console = open_repositories(store_config)  # another machine: no day's key read yet
    today = datetime.now(UTC)
    check_in(kiosk, visitor(1), actor="t", now=today)
    keys_db = store_config.keystore_url.rsplit("/", 1)[1]

    def key_store(reachable: bool) -> None:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{keys_db}" ALLOW_CONNECTIONS {reachable}')
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (keys_db,),
            )

    key_store(False)
    try:
        with pytest.raises(DatabaseUnavailable):
            check_in(kiosk, visitor(2), actor="t", now=today + timedelta(days=1))
        with pytest.raises(DatabaseUnavailable):
            console.visits.on_day(kiosk.db.local_day(today))
        check_in(kiosk, visitor(3), actor="t", now=today)  # today's key is held already
    finally:
        key_store(True)
    check_in(kiosk, visitor(2), actor="t", now=today + timedelta(days=1))
    assert [v.name for v in console.visits.on_day(kiosk.db.local_day(today)).visits] == [
        visitor(1).name,
        visitor(3).name,
    ]
    for repos in (kiosk, console):
        repos.db.dispose()
