"""Issue 2 benchmarks: check-in commit rate, a day decrypted, find by e-mail, purge."""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import random
import shutil
import sqlite3
import statistics
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import storage.fastwrite
from bench.common import (
    BENCH,
    NOW,
    RAW_VISITS,
    SCALE,
    Result,
    bulk_load,
    fake,
    median_ms,
    open_bench_store,
    paired_median_ms,
    services_over,
)
from kiosk.domain.visits import NdaSignature, NewVisit, ScreeningOutcome, VisitorType
from kiosk.domain.watchlist import NewWatchEntry, WatchEntry
from storage.crypto import field_ad
from storage.engine import begin_immediate as begin
from storage.engine import checkpoint
from storage.repositories import Repositories
from storage.repositories.visit_reads import VISIT_DAYS
from storage.repositories.watchlist import WatchlistRepository
from storage.sealing import head_sql, visit_ad


def _raw(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in (
        "journal_mode=WAL",
        "synchronous=FULL",
        "secure_delete=ON",
        "foreign_keys=ON",
        "busy_timeout=10000",
    ):
        conn.execute(f"PRAGMA {pragma}")
    return conn


def new_visit(n: int) -> NewVisit:
    v = fake(n)
    return NewVisit(
        name=v.name,
        email=v.email,
        phone=None,
        company=v.company,
        visitor_type=VisitorType.GUEST,
        host_name=v.host_name,
        privacy_version="bench",
        privacy_sha256="0" * 64,
        nda=NdaSignature("bench", "en", "1" * 64, v.name),
        screening=ScreeningOutcome.PASSED,
    )


def bench_checkin(folder: Path) -> Result:
    """Check-ins per second as the check-in service stores them (validation aside:
    encryption, blind index, visit + NDA + screening + outbox + audit in one unit of work)
    against raw sqlite3 inserting the same five rows per transaction at the same
    durability.

    Each commit waits on an fsync, whose latency here comes in bursts; so the two run in
    alternating rounds and each keeps its best round. The visitors' details are built
    before each round, as the raw side's are constants."""
    n = max(50, int(300 * SCALE))
    store = open_bench_store(folder / "ours")
    checkin = services_over(store).checkin
    checkin.store(new_visit(0), BENCH)  # creates the day's keys
    schema = [
        sql
        for (sql,) in sqlite3.connect(folder / "ours" / "kiosk.db").execute(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'"
        )
    ]
    raw = _raw(folder / "raw.db")
    for sql in schema:
        raw.execute(sql)
    site = uuid.uuid4().hex
    raw.execute(
        "INSERT INTO sites (id, name, created_at, slug) VALUES (?, 'raw', '2026-11-29', 'raw')",
        (site,),
    )
    blob = os.urandom(40)
    ours = baseline = 0.0
    done = 0
    for _round in range(5):
        visits = [new_visit(i) for i in range(done + 1, done + n + 1)]  # the input, untimed
        t0 = time.perf_counter()
        for visit in visits:
            checkin.store(visit, BENCH)
        ours = max(ours, n / (time.perf_counter() - t0))
        t0 = time.perf_counter()
        for i in range(done, done + n):
            _raw_checkin(raw, site, blob, i)
        baseline = max(baseline, n / (time.perf_counter() - t0))
        done += n
    ratio = ours / baseline
    return Result("check-in commit rate", ours, "/s", baseline, ratio, "ratio >= 0.5", ratio >= 0.5)


def _raw_checkin(raw: sqlite3.Connection, site: str, blob: bytes, i: int) -> None:
    vid, at = uuid.uuid4().hex, "2026-11-29 09:00:00.000000"
    raw.execute("BEGIN IMMEDIATE")
    raw.execute(
        "INSERT INTO visits (id, site_id, key_id, created_at, arrived_at, local_day,"
        " visitor_type, personal_ct, email_bidx,"
        " badge_hash, privacy_version, privacy_sha256, under_16, needs_confirmation,"
        " flagged, restricted, nda_accepted, auto_checkout)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,0,0,0,0,1,0)",
        (vid, site, site, at, at, "2026-11-29", "guest", os.urandom(140), i,
         os.urandom(32), "bench", "0" * 64),
    )  # fmt: skip
    # Columns named: a migration that adds one (0008 did) must not break the baseline.
    raw.execute(
        "INSERT INTO nda_acceptances (id, site_id, visit_id, key_id, created_at,"
        " document_version, document_language, document_sha256, signed_name_ct)"
        " VALUES (?,?,?,?,?,?,?,?,?)",
        (uuid.uuid4().hex, site, vid, site, at, "bench", "en", "1" * 64, blob),
    )
    raw.execute(
        "INSERT INTO outbox (id, site_id, visit_id, key_id, created_at, kind, payload_ct,"
        " attempts, next_attempt_at) VALUES (?,?,?,?,?,'host_arrival',?,0,?)",
        (uuid.uuid4().hex, site, vid, site, at, blob, at),
    )
    raw.execute(
        "INSERT INTO audit_events (seq, at, actor, action, object_id, details, prev_hash,"
        " hash) VALUES (?,?,?,?,?,?,?,?)",
        (i + 1, at, "bench", "visit.check_in", vid, "{}", blob[:32], blob[:32]),
    )
    raw.execute("COMMIT")


def _raw_decrypt_rows(
    conn: sqlite3.Connection, sql: str, args: tuple[object, ...], keys: dict[str, AESGCM]
) -> int:
    count = 0
    for row in conn.execute(sql, args):
        vid, kid = uuid.UUID(row[0]), uuid.UUID(row[1])
        aead = keys[row[1]]
        blob = row[2]
        aead.decrypt(blob[:12], blob[12:], field_ad("visits", "personal", vid, kid)).decode()
        count += 1
    return count


def _raw_decrypt_rows_hex(
    conn: sqlite3.Connection, sql: str, args: tuple[object, ...], keys: dict[str, AESGCM]
) -> int:
    """:func:`_raw_decrypt_rows` at its tightest: the associated data built from the hex
    ids with bytes.fromhex, no UUID objects (about half the time of the UUID parsing)."""
    prefix = field_ad("visits", "personal", uuid.UUID(int=0), uuid.UUID(int=0))[:-32]
    count = 0
    for vid, kid, blob in conn.execute(sql, args):
        ad = prefix + bytes.fromhex(vid) + bytes.fromhex(kid)
        keys[kid].decrypt(blob[:12], blob[12:], ad).decode()
        count += 1
    return count


def _raw_decrypt_sealed(
    conn: sqlite3.Connection, sql: str, args: tuple[object, ...], keys: dict[str, AESGCM]
) -> int:
    """:func:`_raw_decrypt_rows` of sealed rows: the listed fields selected with them."""
    count = 0
    for head, blob in conn.execute(sql, args):
        vid, kid = head[:32], head[32:64]
        ad = visit_ad(uuid.UUID(vid), uuid.UUID(kid), head[64:])
        keys[kid].decrypt(blob[:12], blob[12:], ad).decode()
        count += 1
    return count


def _key_map(store: Repositories) -> dict[str, AESGCM]:
    return {k.hex: a for k, a in store.db.keystore._by_id.items()}


SELECT_ROWS = "SELECT id, key_id, personal_ct FROM visits"
# The day as before the seal: the same rows, enveloped without it (bench.common).
SELECT_UNSEALED = f"SELECT id, key_id, personal_ct FROM {RAW_VISITS}"
# The same rows sealed, as the kiosk stores them: the seal text read with them.
SELECT_SEALED = f"SELECT {head_sql('sqlite')}, personal_ct FROM visits"


def bench_day(folder: Path) -> list[Result]:
    """A day of 5,000 visits fetched and decrypted, against raw sqlite3 + AES-GCM."""
    count = max(500, int(5000 * SCALE))
    store = open_bench_store(folder)
    day_start = NOW.replace(hour=7)
    bulk_load(store, count, day_start, timedelta(hours=10), unsealed_copy=True)
    day = store.db.local_day(day_start)
    assert len(store.visits.on_day(day).visits) == count
    keys = _key_map(store)
    raw = sqlite3.connect(folder / "kiosk.db")
    sql = SELECT_UNSEALED + " WHERE site_id = ? AND local_day = ? ORDER BY arrived_at"
    args = (store.db.site_id.hex, day.isoformat())
    assert _raw_decrypt_rows(raw, sql, args, keys) == count
    assert _raw_decrypt_rows_hex(raw, sql, args, keys) == count
    ours, baseline = paired_median_ms(
        lambda: store.visits.on_day(day), lambda: _raw_decrypt_rows(raw, sql, args, keys)
    )
    ours_again, tight = paired_median_ms(
        lambda: store.visits.on_day(day), lambda: _raw_decrypt_rows_hex(raw, sql, args, keys)
    )
    ours_third, fetch_only = paired_median_ms(
        lambda: store.visits.on_day(day), lambda: raw.execute(sql, args).fetchall()
    )
    return [
        Result(
            f"day of {count} visits decrypted",
            ours,
            "ms",
            baseline,
            ours / baseline,
            "<= 20 ms median",
            ours <= 20,
        ),
        # Information: the raw side without UUID objects. It only decrypts; ours also
        # turns each row into a record (times, day, type, flags, host).
        Result(
            "  same, raw building ids with bytes.fromhex",
            ours_again,
            "ms",
            tight,
            ours_again / tight,
            "(information)",
            True,
        ),
        # Information: the floor this machine sets for the absolute goal: the same rows
        # fetched (three columns) and neither decrypted nor decoded.
        Result(
            "  same, raw fetching only (no decryption)",
            ours_third,
            "ms",
            fetch_only,
            ours_third / fetch_only,
            "(information)",
            True,
        ),
    ]


def bench_find_and_purge(folder: Path) -> list[Result]:
    count = max(10_000, int(1_000_000 * SCALE))
    store = open_bench_store(folder / "ours")
    t0 = time.perf_counter()
    bulk_load(store, count, NOW - timedelta(days=30), timedelta(days=29, hours=23))
    print(f"  (loaded {count} visits in {time.perf_counter() - t0:.1f} s)", flush=True)
    rng = random.Random(7)
    targets = [rng.randrange(count) for _ in range(60)]
    it = iter(targets)

    def find() -> None:
        n = next(it)
        found = store.visits.find_person(email=fake(n).email)
        assert [v.name for v in found] == [fake(n).name]

    ours_find = median_ms(find, repeat=50, warmup=5)
    keys = _key_map(store)
    raw = sqlite3.connect(folder / "ours" / "kiosk.db")
    it2 = iter(targets)

    def raw_find() -> None:
        # The same index walk as ours: one seek per day held.
        n = next(it2)
        email = fake(n).email or ""
        sql = (
            SELECT_SEALED + f" WHERE site_id = ? AND local_day IN ({VISIT_DAYS}) AND email_bidx = ?"
        )
        _raw_decrypt_sealed(raw, sql, (store.db.site_id.hex, store.db.email_index(email)), keys)

    base_find = median_ms(raw_find, repeat=50, warmup=5)
    raw.close()
    results = [
        Result(
            f"find by e-mail among {count} visits",
            ours_find,
            "ms",
            base_find,
            ours_find / base_find,
            "<= 5 ms median",
            ours_find <= 5,
        )
    ]

    # Purge: the same database copied, raw DELETE on one copy, Store.purge on the other.
    checkpoint(store.db.engine)
    store.db.dispose()
    shutil.copytree(folder / "ours", folder / "raw")
    # The copy (about 800 MB) sits in the page cache until the kernel writes it back, up
    # to 30 s later: in the middle of whichever purge runs then, where that writeback
    # stalls the purge's commits (single commits of 100-270 ms measured when it did).
    # Each side starts with the setup's and the other side's writes on disk.
    os.sync()
    store = open_bench_store(folder / "ours")
    as_of = NOW + timedelta(days=31)
    cutoff = (as_of - timedelta(days=30)).strftime("%Y-%m-%d %H:%M:%S.%f")
    raw = _raw(folder / "raw" / "kiosk.db")
    t0 = time.perf_counter()
    raw.execute("BEGIN IMMEDIATE")
    deleted = raw.execute("DELETE FROM visits WHERE created_at < ?", (cutoff,)).rowcount
    raw.execute("COMMIT")
    base_purge = time.perf_counter() - t0
    raw.close()
    os.sync()
    with CheckInsMeanwhile(folder / "ours", as_of) as meanwhile:
        t0 = time.perf_counter()
        report = store.retention.purge(as_of)
        ours_purge = time.perf_counter() - t0
    assert report.rows["visits"] == deleted == count, (report.rows, deleted)
    ratio = ours_purge / base_purge
    results.append(
        Result(
            f"purge of {count} expired visits",
            ours_purge,
            "s",
            base_purge,
            ratio,
            "ratio <= 1.5",
            ratio <= 1.5,
        )
    )
    results.append(
        Result(
            "purge: longest single lock",
            report.longest_lock_ms,
            "ms",
            base_purge * 1e3,
            report.longest_lock_ms / (base_purge * 1e3),
            "<= 200 ms",
            report.longest_lock_ms <= 200,
        )
    )
    idle, during = meanwhile.latencies()
    longest_wait = max(wait for _, wait in during)
    idle_wait = max(0.001, statistics.median(wait for _, wait in idle))
    results.append(
        Result(
            f"  {len(during)} check-ins meanwhile: longest lock wait",
            longest_wait,
            "ms",
            idle_wait,
            longest_wait / idle_wait,
            "<= 200 ms",
            longest_wait <= 200,
        )
    )
    # Information: the whole check-in, its own commit included. The purge keeps the disk
    # busy (each batch's checkpoint writes and syncs a few MB), and a check-in's commit
    # waits behind that.
    longest = max(total for total, _ in during)
    idle_ms = statistics.median(total for total, _ in idle)
    results.append(
        Result(
            "  same, longest check-in in all (base: idle)",
            longest,
            "ms",
            idle_ms,
            longest / idle_ms,
            "(information)",
            True,
        )
    )
    locks = sorted(report.locks_ms)
    p99 = locks[int(0.99 * (len(locks) - 1))]
    median = statistics.median(locks)
    results.append(
        Result(
            f"  {len(locks)} locks: 99th percentile (base: median)",
            p99,
            "ms",
            median,
            p99 / median,
            "(information)",
            True,
        )
    )
    return results


class CheckInsMeanwhile:
    """Another process checking visitors in, as the kiosk would, ten a second while the
    purge runs: how long each check-in took in all, and how long it waited for the write
    lock (BEGIN IMMEDIATE, timed by wrapping storage.fastwrite's), against the same
    process's check-ins before the purge began. Its visits arrive on the purge's day, so
    the purge keeps them."""

    IDLE = 30
    PAUSE_S = 0.1

    def __init__(self, folder: Path, now: datetime) -> None:
        context = multiprocessing.get_context("spawn")
        self._stop = context.Event()
        self._ready = context.Event()
        self._out: Any = context.Queue()
        self._process = context.Process(
            target=_check_in_until_stopped,
            args=(folder, now, self._ready, self._stop, self._out),
        )
        self._result: tuple[list[Timing], list[Timing]] | None = None

    def __enter__(self) -> CheckInsMeanwhile:
        self._process.start()
        while not self._ready.wait(0.5):
            if not self._process.is_alive():
                raise RuntimeError("the check-in process ended before it was ready")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._result = self._out.get(timeout=120)
        self._process.join(30)

    def latencies(self) -> tuple[list[Timing], list[Timing]]:
        """(idle, during): (in all, waiting for the lock) in ms per check-in; ``during``
        are those after the idle ones, until the purge ended."""
        assert self._result is not None and self._result[1], "no check-in during the purge"
        return self._result


Timing = tuple[float, float]


def _check_in_until_stopped(folder: Path, now: datetime, ready: Any, stop: Any, out: Any) -> None:
    checkin = services_over(open_bench_store(folder)).checkin
    waits: list[float] = []

    def timed_begin(connection: Any) -> None:
        t0 = time.perf_counter()
        begin(connection)
        waits.append((time.perf_counter() - t0) * 1e3)

    vars(storage.fastwrite)["begin_immediate"] = timed_begin
    idle: list[Timing] = []
    during: list[Timing] = []
    n = 5_000_000
    while not stop.is_set():
        into = idle if len(idle) < CheckInsMeanwhile.IDLE else during
        if into is during:
            ready.set()
        visit = new_visit(n)
        t0 = time.perf_counter()
        checkin.store(visit, BENCH, now=now)
        into.append(((time.perf_counter() - t0) * 1e3, waits[-1]))
        n += 1
        time.sleep(CheckInsMeanwhile.PAUSE_S)
    out.put((idle, during))


class _NoWatchlist(WatchlistRepository):
    """The baseline: the same check-in without the watchlist check."""

    def matching(self, *args: object, **kwargs: object) -> list[WatchEntry]:
        return []


def bench_checkin_watchlist(folder: Path) -> Result:
    """The check-in rate with a watchlist of 10,000 entries (e-mail and name each, none
    of them the visitors': the usual case; with 16-bit blind indexes about one visitor
    in four still has a candidate decrypted) against the same check-ins into the same
    database without the check, in alternating rounds, each keeping its best. Goal: the
    check costs at most 5%."""
    entries = max(1000, int(10_000 * SCALE))
    n = max(50, int(300 * SCALE))
    store = open_bench_store(folder / "db")
    today = NOW.date()
    with store.db.uow("bench") as tx:
        for i in range(entries):
            store.watchlist.add(
                tx,
                NewWatchEntry(
                    email=f"listed{i:06d}@example.org",
                    phone=None,
                    name=f"Listed Person {i:06d}",
                    reason="bench",
                    expires_on=today + timedelta(days=1 + i % 365),
                ),
            )
    unwatched = dataclasses.replace(store, watchlist=_NoWatchlist(store.db))
    sides = {"watched": services_over(store).checkin, "raw": services_over(unwatched).checkin}
    for checkin in sides.values():
        checkin.store(new_visit(0), BENCH)  # the day's keys, the watchlist's copy
    best = {"watched": 0.0, "raw": 0.0}
    done = 0
    for _round in range(6):
        for name, checkin in sides.items():
            visits = [new_visit(i) for i in range(done + 1, done + n + 1)]
            t0 = time.perf_counter()
            for visit in visits:
                checkin.store(visit, BENCH)
            best[name] = max(best[name], n / (time.perf_counter() - t0))
            done += n
    ratio = best["watched"] / best["raw"]
    return Result(
        f"check-in rate with {entries} watchlist entries",
        best["watched"],
        "/s",
        best["raw"],
        ratio,
        "ratio >= 0.95",
        ratio >= 0.95,
    )
